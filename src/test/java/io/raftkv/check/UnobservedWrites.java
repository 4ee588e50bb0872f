package io.raftkv.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes a key-value history cheaper to check by leaving out the unknown-outcome writes whose
 * effect nobody observed: a set, compare-and-set or batch of sets whose values (unique per write)
 * no completed get returned and no compare-and-set expected.
 *
 * <p>Leaving out an unknown-outcome operation is sound for a "linearizable" verdict: a
 * linearization of what remains is one of the whole history in which that operation never took
 * effect, which its unknown outcome allows. The converse does not hold (the write may have taken
 * effect and, say, made a compare-and-set fail), so a history that is not linearizable without
 * them must be checked again whole. This matters because every unknown write may take effect at
 * any point after its call, and a few dozen of them in one part multiply the search; most were
 * never applied (they went to a node that was cut off or paused), and none of those is observed.
 *
 * <p>A delete's effect is an absent key, which a get that returned "absent" or a
 * compare-and-set that expected absence observes: an unknown delete is left out only when no such
 * observation of its key completed after the delete was sent.
 */
public final class UnobservedWrites {
  private UnobservedWrites() {}

  /** The history without unobserved unknown-outcome writes, in the same order. */
  public static List<Operation<KvModel.Op, KvModel.Result>> prune(
      List<Operation<KvModel.Op, KvModel.Result>> history) {
    Set<String> observed = new HashSet<>();
    // For each key, the latest return time of a completed operation that observed it absent.
    Map<String, Long> absenceSeen = new HashMap<>();
    for (Operation<KvModel.Op, KvModel.Result> op : history) {
      if (op.outcomeUnknown()) continue;
      if (op.input() instanceof KvModel.Get g && op.output() instanceof KvModel.Value v) {
        if (v.value() != null) {
          observed.add(v.value());
        } else {
          absenceSeen.merge(g.key(), op.returnTime(), Math::max);
        }
      }
      if (op.input() instanceof KvModel.Cas c) {
        if (c.expected() != null) {
          observed.add(c.expected());
        } else {
          absenceSeen.merge(c.key(), op.returnTime(), Math::max);
        }
      }
    }
    List<Operation<KvModel.Op, KvModel.Result>> kept = new ArrayList<>(history.size());
    for (Operation<KvModel.Op, KvModel.Result> op : history) {
      if (!(op.outcomeUnknown() && unobserved(op.input(), op.callTime(), observed, absenceSeen))) kept.add(op);
    }
    return kept;
  }

  private static boolean unobserved(KvModel.Op input, long call, Set<String> observed, Map<String, Long> absenceSeen) {
    if (input instanceof KvModel.Set s) return !observed.contains(s.value());
    if (input instanceof KvModel.Cas c) return !observed.contains(c.newValue());
    if (input instanceof KvModel.Delete d) return absenceSeen.getOrDefault(d.key(), Long.MIN_VALUE) <= call;
    if (input instanceof KvModel.Batch b) {
      for (KvModel.Op w : b.writes()) {
        if (!unobserved(w, call, observed, absenceSeen)) return false;
      }
      return true;
    }
    return false;
  }
}
