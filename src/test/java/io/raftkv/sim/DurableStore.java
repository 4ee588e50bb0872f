package io.raftkv.sim;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.LogEntryReader;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.Ready;
import io.raftkv.raft.core.StoredLog;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One node's disk: only what a completed, synced write put here survives a crash. The state
 * machine and its applied index are durable as of the last completed write, which models a store
 * that writes them in the same batch as the log (the weakest store the design allows): after a
 * restart the node re-applies from there, and must never apply an entry twice.
 *
 * <p>The log holds the entries after {@code logBase} (whose term is {@code logBaseTerm}); what
 * lies at or below it was compacted behind {@code snapshot}. A snapshot is durable the moment it
 * is taken or installed.
 */
final class DurableStore implements LogEntryReader {
  /** A point-in-time copy of a state machine: the effect of every entry up to {@code index}. */
  record Snapshot(long index, long term, Membership membership, TreeMap<String, String> kv) {
    Snapshot {
      kv = new TreeMap<>(kv);
    }
  }

  HardState hardState = HardState.INITIAL;
  /** Entries logBase+1, logBase+2, ... in order. */
  final ArrayList<LogEntry> log = new ArrayList<>();
  long logBase;
  long logBaseTerm;
  /** The latest snapshot taken or installed, or null. */
  Snapshot snapshot;
  TreeMap<String, String> stateMachine = new TreeMap<>();
  long appliedIndex;
  long appliedTerm;
  /** The membership as of {@code appliedIndex}: the newest CONFIG entry applied, or a snapshot's. */
  Membership appliedMembership = Membership.EMPTY;

  long lastIndex() {
    return logBase + log.size();
  }

  /** The entry at {@code index}, or null if it is compacted or beyond the log. */
  LogEntry entry(long index) {
    if (index <= logBase || index > lastIndex()) return null;
    return log.get((int) (index - logBase - 1));
  }

  /** The term at {@code index}: the base's for the base, -1 when compacted or beyond. */
  long termAt(long index) {
    if (index == logBase) return logBaseTerm;
    LogEntry e = entry(index);
    return e == null ? -1 : e.term();
  }

  /**
   * The synced write of a Ready's persistent part: a snapshot install first (the caller has
   * staged its data), then hard state, truncation, and new entries.
   */
  void persist(Ready r, Snapshot installed) {
    if (r.install() != null) install(r.install(), installed);
    if (r.hardState() != null) hardState = r.hardState();
    if (r.truncateFrom() != 0) {
      if (r.truncateFrom() <= logBase) {
        throw new IllegalStateException("truncation from " + r.truncateFrom() + " below the log base " + logBase);
      }
      while (lastIndex() >= r.truncateFrom()) log.remove(log.size() - 1);
    }
    for (LogEntry e : r.entries()) {
      if (e.index() != lastIndex() + 1) {
        // A Ready must extend the log exactly; anything else is a core or driver bug.
        throw new IllegalStateException("durable log gap: appending " + e.index() + " after " + lastIndex());
      }
      log.add(e);
    }
  }

  /** Replaces the state machine with a received snapshot and drops the log it covers. */
  private void install(Ready.SnapshotInstall in, Snapshot s) {
    if (s == null || s.index() != in.index() || s.term() != in.term()) {
      throw new IllegalStateException("install of " + in + " without its staged data");
    }
    if (in.keepLogAfterIndex()) {
      if (termAt(in.index()) != in.term()) {
        throw new IllegalStateException("install keeps the log after " + in.index() + " but the durable log has term "
            + termAt(in.index()) + " there, not " + in.term());
      }
      compact(in.index());
    } else {
      log.clear();
      logBase = in.index();
      logBaseTerm = in.term();
    }
    snapshot = s;
    stateMachine = new TreeMap<>(s.kv());
    appliedIndex = s.index();
    appliedTerm = s.term();
    appliedMembership = s.membership();
  }

  /** Drops the entries up to {@code index}, which a durable snapshot covers. */
  void compact(long index) {
    if (index <= logBase) return;
    if (index > lastIndex()) throw new IllegalStateException("compaction to " + index + " beyond the log " + lastIndex());
    long term = termAt(index);
    log.subList(0, (int) (index - logBase)).clear();
    logBase = index;
    logBaseTerm = term;
  }

  void saveStateMachine(TreeMap<String, String> sm, long index, long term, Membership membership) {
    stateMachine = new TreeMap<>(sm);
    appliedIndex = index;
    appliedTerm = term;
    appliedMembership = membership;
  }

  /** What a restarted core loads: the log's bounds, term runs and CONFIG entries, not the entries. */
  StoredLog shape() {
    return StoredLog.of(logBase, logBaseTerm, log);
  }

  /** The synced entries a core reads back, bounded as a real store bounds them. */
  @Override
  public List<LogEntry> read(long from, long to, int maxCount, long maxBytes) {
    List<LogEntry> out = new ArrayList<>();
    long bytes = 0;
    for (long i = from; i <= to && out.size() < maxCount; i++) {
      LogEntry e = entry(i);
      if (e == null) break;
      bytes += e.sizeBytes();
      if (!out.isEmpty() && bytes > maxBytes) break;
      out.add(e);
    }
    return out;
  }

  boolean isEmpty() {
    return hardState.term() == 0 && log.isEmpty() && logBase == 0 && snapshot == null;
  }
}
