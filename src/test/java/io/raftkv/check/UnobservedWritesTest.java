package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class UnobservedWritesTest {
  private static final KvModel MODEL = new KvModel();

  @Test
  void dropsOnlyUnknownWritesWhoseValuesNobodySaw() {
    var seen = Operation.<KvModel.Op, KvModel.Result>unknown(1, new KvModel.Set("k", "a"), 0);
    var unseen = Operation.<KvModel.Op, KvModel.Result>unknown(2, new KvModel.Set("k", "b"), 0);
    var unseenBatch = Operation.<KvModel.Op, KvModel.Result>unknown(3,
        new KvModel.Batch(List.of(new KvModel.Set("k", "c"), new KvModel.Set("j", "d"))), 0);
    var batchWithDelete = Operation.<KvModel.Op, KvModel.Result>unknown(4,
        new KvModel.Batch(List.of(new KvModel.Set("k", "e"), new KvModel.Delete("j"))), 0);
    var delete = Operation.<KvModel.Op, KvModel.Result>unknown(5, new KvModel.Delete("k"), 0);
    var jAbsent = Operation.<KvModel.Op, KvModel.Result>completed(9, new KvModel.Get("j"), new KvModel.Value(null), 5, 6);
    var lateDelete = Operation.<KvModel.Op, KvModel.Result>unknown(10, new KvModel.Delete("j"), 7);
    var casExpectingA = Operation.<KvModel.Op, KvModel.Result>completed(6,
        new KvModel.Cas("k", "a", "f"), new KvModel.Swapped(false), 1, 2);
    var unseenCas = Operation.<KvModel.Op, KvModel.Result>unknown(7, new KvModel.Cas("k", null, "g"), 0);
    var acknowledged = Operation.<KvModel.Op, KvModel.Result>completed(8, new KvModel.Set("k", "h"), KvModel.OK, 3, 4);

    List<Operation<KvModel.Op, KvModel.Result>> kept = UnobservedWrites.prune(List.of(
        seen, unseen, unseenBatch, batchWithDelete, delete, casExpectingA, unseenCas, acknowledged, jAbsent,
        lateDelete));
    // The batch's delete of j may explain the later get of j that found it absent; the delete of
    // k and the one of j sent after that get explain nothing anyone saw.
    assertEquals(List.of(seen, batchWithDelete, casExpectingA, acknowledged, jAbsent), kept);
  }

  @Test
  void aPrunedHistoryThatPassesMeansTheWholeOnePasses() {
    // An unknown write nobody read, then reads of the old value: linearizable with or without it.
    List<Operation<KvModel.Op, KvModel.Result>> history = List.of(
        Operation.completed(1, new KvModel.Set("k", "a"), KvModel.OK, 0, 1),
        Operation.unknown(2, new KvModel.Set("k", "lost"), 2),
        Operation.completed(3, new KvModel.Get("k"), new KvModel.Value("a"), 3, 4));
    assertTrue(LinearizabilityChecker.check(MODEL, UnobservedWrites.prune(history)).isLinearizable());
    assertTrue(LinearizabilityChecker.check(MODEL, history).isLinearizable());
  }

  @Test
  void aPrunedHistoryCanFailWhereTheWholeOnePasses() {
    // The unknown set of "b" took effect, unseen, and made a later cas expecting "a" fail.
    List<Operation<KvModel.Op, KvModel.Result>> history = List.of(
        Operation.completed(1, new KvModel.Set("k", "a"), KvModel.OK, 0, 1),
        Operation.unknown(2, new KvModel.Set("k", "b"), 2),
        Operation.completed(3, new KvModel.Cas("k", "a", "c"), new KvModel.Swapped(false), 3, 4));
    assertFalse(LinearizabilityChecker.check(MODEL, UnobservedWrites.prune(history)).isLinearizable());
    assertTrue(LinearizabilityChecker.check(MODEL, history).isLinearizable(),
        "so a failing pruned check must be followed by a whole one");
  }
}
