package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {

  @Test
  void recordsCompletedUnknownAndPendingOperationsAndDropsFailures() {
    HistoryRecorder<KvModel.Op, KvModel.Result> rec = new HistoryRecorder<>();
    int set = rec.invoke(1, new KvModel.Set("x", "a"), 10);
    int failed = rec.invoke(2, new KvModel.Set("x", "b"), 11);
    int timedOut = rec.invoke(3, new KvModel.Set("x", "c"), 12);
    int pending = rec.invoke(4, new KvModel.Get("x"), 13);
    rec.ok(set, KvModel.OK, 20);
    rec.fail(failed);
    rec.info(timedOut);
    assertThrows(IllegalStateException.class, () -> rec.ok(set, KvModel.OK, 21));

    List<Operation<KvModel.Op, KvModel.Result>> h = rec.history();
    assertEquals(
        List.of(
            Operation.completed(1, new KvModel.Set("x", "a"), KvModel.OK, 10, 20),
            Operation.unknown(3, new KvModel.Set("x", "c"), 12),
            Operation.unknown(4, new KvModel.Get("x"), 13)),
        h);
    assertEquals(3, pending);
    assertEquals(
        CheckResult.Verdict.LINEARIZABLE,
        LinearizabilityChecker.check(new KvModel(), h).verdict());
  }
}
