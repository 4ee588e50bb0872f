package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.check.CheckResult.Verdict;
import io.raftkv.check.KvModel.Cas;
import io.raftkv.check.KvModel.Delete;
import io.raftkv.check.KvModel.Get;
import io.raftkv.check.KvModel.Previous;
import io.raftkv.check.KvModel.Set;
import io.raftkv.check.KvModel.Swapped;
import io.raftkv.check.KvModel.Value;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-written key-value histories whose verdicts can be argued on paper. */
class LinearizabilityCheckerTest {

  private static final KvModel KV = new KvModel();

  private final List<Operation<KvModel.Op, KvModel.Result>> h = new ArrayList<>();

  private void op(int client, KvModel.Op in, KvModel.Result out, long call, long ret) {
    h.add(Operation.completed(client, in, out, call, ret));
  }

  private void unknown(int client, KvModel.Op in, long call) {
    h.add(Operation.unknown(client, in, call));
  }

  private static Value value(String v) {
    return new Value(v);
  }

  private CheckResult<KvModel.Op, KvModel.Result> check() {
    return LinearizabilityChecker.check(KV, h, 5_000);
  }

  private void assertLinearizable() {
    CheckResult<?, ?> r = check();
    assertEquals(Verdict.LINEARIZABLE, r.verdict(), r.description());
  }

  private CheckResult<KvModel.Op, KvModel.Result> assertNotLinearizable() {
    CheckResult<KvModel.Op, KvModel.Result> r = check();
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r.description());
    return r;
  }

  @Test
  void emptyHistoryIsLinearizable() {
    assertLinearizable();
  }

  @Test
  void sequentialReadsAndWritesAreLinearizable() {
    op(1, new Get("x"), value(null), 0, 1);
    op(1, new Set("x", "a"), KvModel.OK, 2, 3);
    op(2, new Get("x"), value("a"), 4, 5);
    assertLinearizable();
  }

  @Test
  void staleReadAfterCompletedWriteIsNotLinearizable() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    op(1, new Set("x", "b"), KvModel.OK, 2, 3);
    op(2, new Get("x"), value("a"), 4, 5);
    CheckResult<KvModel.Op, KvModel.Result> r = assertNotLinearizable();
    assertEquals("key=x", r.partition());
    assertTrue(r.description().contains("key=x"), r.description());
    // set(a), set(b) fit; the read of a cannot follow them.
    assertEquals(2, r.longestPrefix().size(), r.description());
  }

  @Test
  void lostWriteIsNotLinearizable() {
    // The write of b completed, yet every later read still sees a.
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    op(2, new Set("x", "b"), KvModel.OK, 2, 4);
    op(3, new Get("x"), value("a"), 3, 5); // concurrent with the write: a is fine here
    op(3, new Get("x"), value("a"), 6, 7); // after the write completed: must see b
    op(1, new Get("x"), value("a"), 8, 9);
    assertNotLinearizable();
  }

  @Test
  void valueReappearingWithoutAWriteIsNotLinearizable() {
    // Reads see b, then the older a, then b again; b was written once, so it cannot come back.
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    op(2, new Set("x", "b"), KvModel.OK, 2, 10);
    op(3, new Get("x"), value("b"), 3, 4);
    op(3, new Get("x"), value("a"), 5, 6);
    op(3, new Get("x"), value("b"), 7, 8);
    assertNotLinearizable();
  }

  @Test
  void concurrentOverlappingWritesMayBeReadInEitherOrder() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 10);
    op(2, new Set("x", "b"), KvModel.OK, 1, 11);
    op(3, new Get("x"), value("a"), 12, 13);
    assertLinearizable();
    h.set(2, Operation.completed(3, new Get("x"), value("b"), 12, 13));
    assertLinearizable();
  }

  @Test
  void concurrentReadsMayObserveWritesInEitherOrderButAgree() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 10);
    op(2, new Set("x", "b"), KvModel.OK, 0, 10);
    op(3, new Get("x"), value("b"), 2, 3);
    op(3, new Get("x"), value("a"), 4, 5);
    assertLinearizable(); // b then a
    // Once both writes are over, a later reader must agree with the final value a.
    op(4, new Get("x"), value("b"), 11, 12);
    assertNotLinearizable();
  }

  @Test
  void timedOutWriteObservedLaterIsLinearizable() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    unknown(2, new Set("x", "b"), 2);
    op(3, new Get("x"), value("a"), 3, 4);
    op(3, new Get("x"), value("b"), 100, 101); // applied long after the client gave up
    op(3, new Get("x"), value("b"), 102, 103);
    assertLinearizable();
  }

  @Test
  void timedOutWriteNeverObservedIsLinearizable() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    unknown(2, new Set("x", "b"), 2);
    op(3, new Get("x"), value("a"), 3, 4);
    op(3, new Get("x"), value("a"), 100, 101);
    assertLinearizable();
  }

  @Test
  void timedOutWriteCannotBeSeenBeforeItWasCalled() {
    op(3, new Get("x"), value("b"), 0, 1);
    unknown(2, new Set("x", "b"), 2);
    assertNotLinearizable();
  }

  @Test
  void timedOutWriteTakesEffectOnceOnly() {
    // b shows up, is overwritten by c, and cannot reappear: the unknown write happened at most once.
    unknown(2, new Set("x", "b"), 0);
    op(3, new Get("x"), value("b"), 1, 2);
    op(1, new Set("x", "c"), KvModel.OK, 3, 4);
    op(3, new Get("x"), value("b"), 5, 6);
    assertNotLinearizable();
  }

  @Test
  void timedOutCasMayOrMayNotHaveSwapped() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    unknown(2, new Cas("x", "a", "b"), 2);
    op(3, new Get("x"), value("a"), 3, 4);
    op(3, new Get("x"), value("b"), 5, 6);
    assertLinearizable();
    // But it cannot swap from a value that never held.
    h.set(1, Operation.unknown(2, new Cas("x", "z", "b"), 2));
    assertNotLinearizable();
  }

  @Test
  void casChainIsLinearizable() {
    op(1, new Cas("x", null, "1"), new Swapped(true), 0, 1);
    op(2, new Cas("x", "1", "2"), new Swapped(true), 2, 3);
    op(1, new Cas("x", "1", "3"), new Swapped(false), 4, 5);
    op(3, new Cas("x", "2", "3"), new Swapped(true), 6, 7);
    op(2, new Get("x"), value("3"), 8, 9);
    assertLinearizable();
  }

  @Test
  void concurrentCasesOnlyOneCanWin() {
    op(1, new Set("x", "0"), KvModel.OK, 0, 1);
    op(2, new Cas("x", "0", "1"), new Swapped(true), 2, 10);
    op(3, new Cas("x", "0", "2"), new Swapped(true), 2, 10);
    assertNotLinearizable();
    h.set(2, Operation.completed(3, new Cas("x", "0", "2"), new Swapped(false), 2, 10));
    assertLinearizable();
  }

  @Test
  void casThatClaimsFailureWhenItShouldHaveSwappedIsNotLinearizable() {
    op(1, new Set("x", "0"), KvModel.OK, 0, 1);
    op(2, new Cas("x", "0", "1"), new Swapped(false), 2, 3);
    assertNotLinearizable();
  }

  @Test
  void deleteThenGetReturnsNull() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    op(1, new Delete("x"), KvModel.OK, 2, 3);
    op(2, new Get("x"), value(null), 4, 5);
    assertLinearizable();
    op(2, new Get("x"), value("a"), 6, 7);
    assertNotLinearizable();
  }

  @Test
  void reportedPreviousValuesAreChecked() {
    op(1, new Set("x", "a"), new Previous(null), 0, 1);
    op(1, new Set("x", "b"), new Previous("a"), 2, 3);
    op(1, new Delete("x"), new Previous("b"), 4, 5);
    assertLinearizable();
    op(1, new Set("x", "c"), new Previous("b"), 6, 7); // b was deleted
    assertNotLinearizable();
  }

  @Test
  void operationsThatMerelyTouchAreTreatedAsConcurrent() {
    // With coarse virtual clocks, equal times are not evidence of order.
    op(1, new Set("x", "a"), KvModel.OK, 0, 5);
    op(2, new Get("x"), value(null), 5, 6);
    assertLinearizable();
  }

  @Test
  void independentKeysAreCheckedIndependently() {
    // Each key on its own is fine; the cross-key pattern would be impossible for one register.
    op(1, new Set("x", "1"), KvModel.OK, 0, 1);
    op(2, new Set("y", "1"), KvModel.OK, 0, 1);
    op(1, new Get("y"), value("1"), 2, 3);
    op(2, new Get("x"), value("1"), 2, 3);
    op(1, new Set("x", "2"), KvModel.OK, 4, 5);
    op(2, new Get("y"), value("1"), 6, 7);
    assertLinearizable();
  }

  @Test
  void aViolationOnOneKeyIsReportedForThatKey() {
    op(1, new Set("a", "1"), KvModel.OK, 0, 1);
    op(1, new Set("b", "1"), KvModel.OK, 0, 1);
    op(1, new Set("b", "2"), KvModel.OK, 2, 3);
    op(2, new Get("a"), value("1"), 4, 5);
    op(2, new Get("b"), value("1"), 4, 5);
    op(2, new Get("c"), value(null), 4, 5);
    CheckResult<KvModel.Op, KvModel.Result> r = assertNotLinearizable();
    assertEquals("key=b", r.partition());
  }

  /** One permit: acquire is legal only while it is free. Unlike a write, it can be refused. */
  private static final class OnePermit implements Model<Boolean, String, String> {
    @Override
    public Boolean init() {
      return true;
    }

    @Override
    public Step<Boolean> step(Boolean free, String input, String output) {
      return free ? Step.ok(false) : Step.illegal();
    }
  }

  @Test
  void unknownOperationThatCouldNeverApplyIsLeftOut() {
    // The timed-out acquire cannot fit anywhere once the other one holds the permit; the history
    // is still linearizable because the timed-out one may simply never have happened.
    List<Operation<String, String>> permits =
        List.of(
            Operation.unknown(1, "acquire", 0), Operation.completed(2, "acquire", "ok", 1, 2));
    CheckResult<String, String> r = LinearizabilityChecker.check(new OnePermit(), permits);
    assertEquals(Verdict.LINEARIZABLE, r.verdict(), r.description());
    List<Operation<String, String>> both =
        List.of(
            Operation.completed(1, "acquire", "ok", 0, 3),
            Operation.completed(2, "acquire", "ok", 1, 2));
    assertEquals(Verdict.NOT_LINEARIZABLE, LinearizabilityChecker.check(new OnePermit(), both).verdict());
  }

  @Test
  void unknownReadsAreIgnored() {
    op(1, new Set("x", "a"), KvModel.OK, 0, 1);
    unknown(2, new Get("x"), 2);
    assertLinearizable();
    assertEquals(1, check().operations());
  }

  @Test
  void longSequentialHistoryIsCheckedIteratively() {
    // Thousands of ops must not recurse: the search keeps its own stack.
    long t = 0;
    for (int i = 0; i < 20_000; i++) {
      op(i % 5, new Set("x", Integer.toString(i)), KvModel.OK, t, t + 2);
      op((i + 1) % 5, new Get("x"), value(Integer.toString(i)), t + 3, t + 4);
      t += 5;
    }
    assertLinearizable();
  }

  @Test
  void hopelessSearchTimesOutInsteadOfAnswering() {
    // 40 fully concurrent unknown-outcome writes of distinct values, then a read of a value
    // nobody wrote: proving this requires trying every subset and order. The checker must give
    // up and say "unknown", not guess.
    for (int i = 0; i < 40; i++) {
      unknown(i, new Set("x", Integer.toString(i)), 0);
    }
    for (int i = 0; i < 40; i++) {
      op(100 + i, new Get("x"), value(Integer.toString(i)), 1 + 2L * i, 2 + 2L * i);
    }
    op(200, new Get("x"), value("nobody"), 1000, 1001);
    CheckResult<KvModel.Op, KvModel.Result> r = LinearizabilityChecker.check(KV, h, 200);
    assertEquals(Verdict.TIMED_OUT, r.verdict(), r.description());
  }
}
