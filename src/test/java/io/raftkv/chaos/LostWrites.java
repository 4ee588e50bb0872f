package io.raftkv.chaos;

import io.raftkv.chaos.OpRecord.KeyWrite;
import io.raftkv.chaos.OpRecord.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The end-of-run durability check, separate from the linearizability search so that it holds for
 * any history size: after every fault is healed and every member has applied all the leader has,
 * each member's value of each key must be the one a write left there.
 *
 * <ul>
 *   <li>An acknowledged write that nothing could have overwritten (no other write to its key,
 *       acknowledged or unknown, was still possible after it began) must be every member's final
 *       value: otherwise it was lost.
 *   <li>A final value must come from a write that was acknowledged or whose fate is unknown: a
 *       value only a definitely failed write (503) carried means that failure was a lie.
 *   <li>Every member holds the same value: otherwise the replicas diverged.
 * </ul>
 * Values are unique per write, so a value names its write.
 */
final class LostWrites {
  private LostWrites() {}

  /** A timed key change, flattened out of the records. */
  private record Change(String key, String value, long call, long ret, Outcome outcome) {}

  /**
   * @param finals each member's final contents (key to value) under the workload's prefix
   * @return one line per problem; empty when none
   */
  static List<String> check(List<OpRecord> records, Map<Integer, Map<String, String>> finals) {
    Map<String, List<Change>> byKey = new HashMap<>();
    for (OpRecord r : records) {
      for (KeyWrite w : r.writes()) {
        long ret = r.outcome() == Outcome.OK ? r.ret() : Long.MAX_VALUE;
        byKey.computeIfAbsent(w.key(), k -> new ArrayList<>())
            .add(new Change(w.key(), w.value(), r.call(), ret, r.outcome()));
      }
    }
    TreeSet<String> keys = new TreeSet<>(byKey.keySet());
    finals.values().forEach(m -> keys.addAll(m.keySet()));
    List<String> problems = new ArrayList<>();
    for (String key : keys) {
      List<Change> changes = byKey.getOrDefault(key, List.of());
      String first = null;
      boolean firstSet = false;
      for (Map.Entry<Integer, Map<String, String>> node : finals.entrySet()) {
        String v = node.getValue().get(key);
        if (!firstSet) {
          first = v;
          firstSet = true;
        } else if (!Objects.equals(first, v)) {
          problems.add("replicas diverge on " + key + ": " + describe(finals, key));
          break;
        }
      }
      problems.addAll(checkKey(key, changes, finals));
    }
    return problems;
  }

  private static List<String> checkKey(String key, List<Change> changes, Map<Integer, Map<String, String>> finals) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<Integer, Map<String, String>> node : finals.entrySet()) {
      String v = node.getValue().get(key);
      if (v == null) continue;
      Change source = null;
      for (Change c : changes) {
        if (v.equals(c.value())) source = c;
      }
      if (source == null) {
        problems.add("node " + node.getKey() + " holds " + key + "=" + v + ", which no request wrote");
      } else if (source.outcome() == Outcome.FAILED) {
        problems.add("node " + node.getKey() + " holds " + key + "=" + v
            + ", written by a request that was answered as failed");
      }
    }
    for (Change w : changes) {
      if (w.outcome() != Outcome.OK || overwritable(w, changes)) continue;
      for (Map.Entry<Integer, Map<String, String>> node : finals.entrySet()) {
        String v = node.getValue().get(key);
        if (!Objects.equals(v, w.value())) {
          problems.add("lost write: " + key + "=" + w.value() + " acknowledged at " + w.ret() / 1000
              + " ms and never overwritten, but node " + node.getKey() + " holds " + v);
        }
      }
    }
    return problems;
  }

  /** Whether some other write (not definitely failed) could have taken effect after {@code w}. */
  private static boolean overwritable(Change w, List<Change> changes) {
    for (Change x : changes) {
      if (x == w || x.outcome() == Outcome.FAILED) continue;
      if (x.ret() > w.call()) return true;
    }
    return false;
  }

  private static String describe(Map<Integer, Map<String, String>> finals, String key) {
    StringBuilder sb = new StringBuilder();
    finals.forEach((id, m) -> sb.append("node ").append(id).append('=').append(m.get(key)).append(' '));
    return sb.toString().trim();
  }
}
