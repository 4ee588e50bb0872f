package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compares the checker with a naive oracle on many small random histories. The oracle follows the
 * definition directly: try every order of the operations that respects real time, with operations
 * of unknown outcome free to be left out, and no cache or event list. Histories are generated from
 * a real sequential execution (so many are linearizable) and then sometimes corrupted (so many are
 * not); both kinds must be well represented for the comparison to mean anything.
 */
class BruteForceCrossCheckTest {

  private static final int RUNS = 3_000;

  @Test
  void registerCheckerAgreesWithBruteForce() {
    registerCrossCheck(new Random(20240601L), 5);
  }

  @Test
  void registerCheckerAgreesWithBruteForceWhenHalfTheOpsTimeOut() {
    // Many unknown-outcome ops exercise the lazy pass and the cache's superset pruning.
    registerCrossCheck(new Random(99L), 2);
  }

  private static void registerCrossCheck(Random rnd, int unknownOneIn) {
    RegisterModel model = new RegisterModel();
    int[] seen = new int[2];
    for (int run = 0; run < RUNS; run++) {
      List<Operation<RegisterModel.Op, RegisterModel.Result>> h =
          randomRegisterHistory(rnd, unknownOneIn);
      boolean expected = bruteForce(model, h);
      CheckResult<RegisterModel.Op, RegisterModel.Result> r = LinearizabilityChecker.check(model, h);
      assertEquals(expected, r.isLinearizable(), () -> "history " + h + "\n" + r.description());
      seen[expected ? 1 : 0]++;
    }
    assertTrue(seen[0] > RUNS / 5 && seen[1] > RUNS / 5, "unbalanced sample: " + seen[0] + "/" + seen[1]);
  }

  @Test
  void kvCheckerWithPartitionsAgreesWithWholeHistoryBruteForce() {
    // The oracle sees all keys at once; the checker splits by key. Agreement tests both the model
    // and the partitioning.
    kvCrossCheck(new Random(7L), false);
  }

  @Test
  void kvCheckerWithBatchesAgreesWithWholeHistoryBruteForce() {
    // Batches over random subsets of three keys join them into components of every shape.
    kvCrossCheck(new Random(11L), true);
  }

  private static void kvCrossCheck(Random rnd, boolean batches) {
    KvModel model = new KvModel();
    int[] seen = new int[2];
    for (int run = 0; run < RUNS; run++) {
      List<Operation<KvModel.Op, KvModel.Result>> h = randomKvHistory(rnd, batches);
      boolean expected = bruteForce(model, h);
      CheckResult<KvModel.Op, KvModel.Result> r = LinearizabilityChecker.check(model, h);
      assertEquals(expected, r.isLinearizable(), () -> "history " + h + "\n" + r.description());
      seen[expected ? 1 : 0]++;
    }
    assertTrue(seen[0] > RUNS / 5 && seen[1] > RUNS / 5, "unbalanced sample: " + seen[0] + "/" + seen[1]);
  }

  // ---- the oracle ----

  static <S, I, O> boolean bruteForce(Model<S, I, O> model, List<Operation<I, O>> history) {
    return extend(model, model.init(), new ArrayList<>(history));
  }

  private static <S, I, O> boolean extend(Model<S, I, O> model, S state, List<Operation<I, O>> left) {
    boolean onlyUnknownLeft = true;
    for (Operation<I, O> op : left) {
      onlyUnknownLeft &= op.outcomeUnknown();
    }
    if (onlyUnknownLeft) {
      return true; // the rest never took effect
    }
    for (int i = 0; i < left.size(); i++) {
      Operation<I, O> candidate = left.get(i);
      if (!canGoNext(candidate, left)) continue;
      Model.Step<S> step = model.step(state, candidate.input(), candidate.output());
      if (!step.ok()) continue;
      List<Operation<I, O>> rest = new ArrayList<>(left);
      rest.remove(i);
      if (extend(model, step.state(), rest)) return true;
    }
    return false;
  }

  /** Nothing still pending may have returned strictly before the candidate was called. */
  private static <I, O> boolean canGoNext(Operation<I, O> candidate, List<Operation<I, O>> left) {
    for (Operation<I, O> other : left) {
      if (other != candidate && other.returnTime() < candidate.callTime()) return false;
    }
    return true;
  }

  // ---- generators ----

  /** Linearization points drawn inside each interval; outputs from running them in that order. */
  private static List<Operation<RegisterModel.Op, RegisterModel.Result>> randomRegisterHistory(
      Random rnd, int unknownOneIn) {
    int n = 1 + rnd.nextInt(8);
    long[][] spans = spans(rnd, n);
    Integer[] order = byPoint(spans);
    Operation<RegisterModel.Op, RegisterModel.Result>[] ops = newArray(n);
    Integer value = null;
    for (int idx : order) {
      long call = spans[idx][0];
      long ret = spans[idx][2];
      boolean unknown = rnd.nextInt(unknownOneIn) == 0;
      boolean neverApplied = unknown && rnd.nextBoolean();
      int kind = rnd.nextInt(3);
      if (kind == 0) {
        Integer seenValue = value;
        if (rnd.nextInt(4) == 0) seenValue = rnd.nextInt(4) == 0 ? null : rnd.nextInt(3); // corrupt
        ops[idx] =
            Operation.completed(idx, RegisterModel.READ, new RegisterModel.ReadResult(seenValue), call, ret);
      } else if (kind == 1) {
        int v = rnd.nextInt(3);
        if (!neverApplied) value = v;
        if (rnd.nextInt(8) == 0) value = rnd.nextInt(3); // corrupt: the store drifts
        ops[idx] = unknown
            ? Operation.unknown(idx, new RegisterModel.Write(v), call)
            : Operation.completed(idx, new RegisterModel.Write(v), RegisterModel.OK, call, ret);
      } else {
        int expected = rnd.nextInt(3);
        int next = rnd.nextInt(3);
        boolean swaps = value != null && value == expected;
        if (unknown) {
          if (!neverApplied && swaps) value = next;
          ops[idx] = Operation.unknown(idx, new RegisterModel.Cas(expected, next), call);
        } else if (swaps || rnd.nextInt(6) == 0) { // sometimes claim a swap that could not be
          value = next;
          ops[idx] =
              Operation.completed(idx, new RegisterModel.Cas(expected, next), RegisterModel.OK, call, ret);
        } else {
          // A cas that did not swap is a Jepsen :fail: it is not in the history. Reuse the slot
          // as a read so the index stays dense.
          ops[idx] =
              Operation.completed(idx, RegisterModel.READ, new RegisterModel.ReadResult(value), call, ret);
        }
      }
    }
    return List.of(ops);
  }

  private static List<Operation<KvModel.Op, KvModel.Result>> randomKvHistory(Random rnd, boolean batches) {
    int n = 1 + rnd.nextInt(7);
    long[][] spans = spans(rnd, n);
    Integer[] order = byPoint(spans);
    Operation<KvModel.Op, KvModel.Result>[] ops = newArray(n);
    String[] keys = {"a", "b", "c"};
    String[] values = {null, null, null}; // current value per key
    for (int idx : order) {
      long call = spans[idx][0];
      long ret = spans[idx][2];
      int k = rnd.nextInt(batches ? 3 : 2);
      String key = keys[k];
      boolean unknown = rnd.nextInt(5) == 0;
      boolean applied = !unknown || rnd.nextBoolean();
      boolean corrupt = rnd.nextInt(batches ? 4 : 6) == 0; // three keys dilute the reads
      KvModel.Op in;
      KvModel.Result out;
      int kind = rnd.nextInt(batches ? 5 : 4);
      if (kind == 0) {
        in = new KvModel.Get(key);
        String seen = corrupt ? randomValue(rnd) : values[k];
        out = new KvModel.Value(seen);
      } else if (kind == 1) {
        String v = randomValue(rnd);
        v = v == null ? "0" : v;
        in = new KvModel.Set(key, v);
        out = rnd.nextBoolean() ? KvModel.OK : new KvModel.Previous(corrupt ? randomValue(rnd) : values[k]);
        if (applied) values[k] = v;
      } else if (kind == 2) {
        in = new KvModel.Delete(key);
        out = KvModel.OK;
        if (applied && !corrupt) values[k] = null;
      } else if (kind == 4) {
        List<KvModel.Op> writes = new ArrayList<>();
        String[] after = values.clone();
        for (int w = 1 + rnd.nextInt(3); w > 0; w--) {
          int wk = rnd.nextInt(3);
          String v = randomValue(rnd);
          writes.add(v == null ? new KvModel.Delete(keys[wk]) : new KvModel.Set(keys[wk], v));
          // corrupt: the batch is torn, only its first write lands
          if (!corrupt || writes.size() == 1) after[wk] = v;
        }
        in = new KvModel.Batch(writes);
        out = KvModel.OK;
        if (applied) System.arraycopy(after, 0, values, 0, values.length);
      } else {
        String expected = randomValue(rnd);
        String next = rnd.nextBoolean() ? "1" : "2";
        in = new KvModel.Cas(key, expected, next);
        boolean swaps = java.util.Objects.equals(values[k], expected);
        out = new KvModel.Swapped(corrupt != swaps);
        if (applied && swaps) values[k] = next;
      }
      ops[idx] = unknown ? Operation.unknown(idx, in, call) : Operation.completed(idx, in, out, call, ret);
    }
    return List.of(ops);
  }

  private static String randomValue(Random rnd) {
    int v = rnd.nextInt(3);
    return v == 0 ? null : Integer.toString(v);
  }

  /** For each op: call, linearization point, return; small times so ties and overlaps abound. */
  private static long[][] spans(Random rnd, int n) {
    long[][] spans = new long[n][];
    for (int i = 0; i < n; i++) {
      long call = rnd.nextInt(12);
      long point = call + rnd.nextInt(4);
      long ret = point + rnd.nextInt(4);
      spans[i] = new long[] {call, point, ret};
    }
    return spans;
  }

  private static Integer[] byPoint(long[][] spans) {
    Integer[] order = new Integer[spans.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, (a, b) -> Long.compare(spans[a][1], spans[b][1]));
    return order;
  }

  @SuppressWarnings("unchecked")
  private static <I, O> Operation<I, O>[] newArray(int n) {
    return (Operation<I, O>[]) new Operation<?, ?>[n];
  }
}
