package io.raftkv.chaos;

import io.raftkv.chaos.OpRecord.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of one run, computed from the client records and the fault records after the run:
 * what the operator of a real cluster would ask about availability under each fault.
 */
final class RunFigures {
  /** How long after a cut a write sent to the cut-off side is counted (links may still drain). */
  private static final long CUT_GRACE_MICROS = 100_000;
  /** A fault this close to the end of the run may have had no chance to see a write after it. */
  private static final long TAIL_MICROS = 10_000_000;

  private final List<OpRecord> records;
  private final List<FaultRecord> faults;
  private final long endMicros;
  private final long[] okWriteReturns;

  RunFigures(List<OpRecord> records, List<FaultRecord> faults, long endMicros) {
    this.records = records;
    this.faults = faults;
    this.endMicros = endMicros;
    this.okWriteReturns = records.stream()
        .filter(r -> r.isWrite() && r.outcome() == Outcome.OK)
        .mapToLong(OpRecord::ret).sorted().toArray();
  }

  Map<String, Long> counts() {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("total", (long) records.size());
    for (Outcome o : Outcome.values()) {
      out.put(o.name().toLowerCase(), records.stream().filter(r -> r.outcome() == o).count());
    }
    out.put("ok_writes", (long) okWriteReturns.length);
    return out;
  }

  /** Statuses of the unexpected answers, with how many of each. */
  Map<Integer, Long> unexpectedStatuses() {
    Map<Integer, Long> out = new TreeMap<>();
    for (OpRecord r : records) {
      if (r.outcome() == Outcome.UNEXPECTED) out.merge(r.status(), 1L, Long::sum);
    }
    return out;
  }

  /** The longest time between two acknowledged writes (or the run's edges), and when it began. */
  long[] longestWriteGap(long from, long to) {
    long last = from;
    long best = 0;
    long bestStart = from;
    for (long t : okWriteReturns) {
      if (t < from) continue;
      if (t > to) break;
      if (t - last > best) {
        best = t - last;
        bestStart = last;
      }
      last = t;
    }
    if (to - last > best) {
      best = to - last;
      bestStart = last;
    }
    return new long[] {best, bestStart};
  }

  /**
   * For a fault that took the leader away: from its start to the first write that was sent after
   * it began and acknowledged; -1 when none was.
   */
  long firstWriteAfter(FaultRecord f) {
    long best = Long.MAX_VALUE;
    for (OpRecord r : records) {
      if (r.isWrite() && r.outcome() == Outcome.OK && r.call() >= f.start && r.ret() < best) best = r.ret();
    }
    return best == Long.MAX_VALUE ? -1 : best - f.start;
  }

  /** Writes sent to nodes cut off from every majority while that lasted: status counts and latency. */
  Map<String, Object> minorityWrites(FaultRecord f) {
    long n = 0;
    long ok = 0;
    long maxAnswerMicros = 0;
    Map<String, Long> byStatus = new TreeMap<>();
    List<Long> latencies = new ArrayList<>();
    for (OpRecord r : records) {
      if (!r.isWrite() || !f.minority.contains(r.node())) continue;
      if (r.call() < f.start + CUT_GRACE_MICROS || f.end < 0 || r.call() > f.end) continue;
      n++;
      if (r.outcome() == Outcome.OK) ok++;
      byStatus.merge(r.status() == 0 ? r.outcome().name().toLowerCase() : Integer.toString(r.status()), 1L, Long::sum);
      if (r.status() != 0) {
        maxAnswerMicros = Math.max(maxAnswerMicros, r.ret() - r.call());
        latencies.add(r.ret() - r.call());
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("writes", n);
    out.put("acknowledged", ok);
    out.put("by_status", byStatus);
    out.put("max_answer_ms", maxAnswerMicros / 1000);
    out.put("p50_answer_ms", percentile(latencies, 0.5) / 1000);
    return out;
  }

  /** Acknowledged writes sent to a cut-off node during its fault: each one is a safety failure. */
  long minorityAcknowledged() {
    long total = 0;
    for (FaultRecord f : faults) {
      if (!f.minority.isEmpty()) total += (Long) minorityWrites(f).get("acknowledged");
    }
    return total;
  }

  /** Per fault: its record plus the availability it saw. */
  List<Map<String, Object>> perFault() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (FaultRecord f : faults) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", f.kind);
      m.put("description", f.description);
      m.put("start_ms", f.start / 1000);
      m.put("end_ms", f.end / 1000);
      m.put("notes", f.notes());
      long end = f.end < 0 ? endMicros : f.end;
      m.put("longest_write_gap_ms", longestWriteGap(f.start, end)[0] / 1000);
      if (f.losesLeader) m.put("first_write_after_ms", firstWriteAfter(f) / 1000);
      if (!f.minority.isEmpty()) m.put("minority_writes", minorityWrites(f));
      out.add(m);
    }
    return out;
  }

  /**
   * The longest {@code first_write_after} over faults that took the leader away; a fault with no
   * write after it counts as forever, unless the run ended within {@link #TAIL_MICROS} of it.
   */
  long worstLeaderLoss(java.util.Set<String> kinds) {
    long worst = 0;
    for (FaultRecord f : faults) {
      if (!f.losesLeader || !kinds.contains(f.kind)) continue;
      long t = firstWriteAfter(f);
      if (t < 0 && f.start > endMicros - TAIL_MICROS) continue;
      worst = Math.max(worst, t < 0 ? Long.MAX_VALUE / 1000 : t);
    }
    return worst;
  }

  /** The slowest answer a cut-off node gave a write, over all faults that cut nodes off. */
  long slowestMinorityAnswer() {
    long worst = 0;
    for (FaultRecord f : faults) {
      if (!f.minority.isEmpty()) worst = Math.max(worst, (Long) minorityWrites(f).get("max_answer_ms"));
    }
    return worst * 1000;
  }

  /** The longest write gap during a bridge or flapping fault. */
  long worstStallUnder(String kind) {
    long worst = 0;
    for (FaultRecord f : faults) {
      if (f.kind.equals(kind)) worst = Math.max(worst, longestWriteGap(f.start, f.end < 0 ? endMicros : f.end)[0]);
    }
    return worst;
  }

  private static long percentile(List<Long> values, double p) {
    if (values.isEmpty()) return 0;
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
  }
}
