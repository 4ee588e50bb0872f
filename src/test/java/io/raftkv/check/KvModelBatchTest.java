package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raftkv.check.CheckResult.Verdict;
import io.raftkv.check.KvModel.Batch;
import io.raftkv.check.KvModel.Cas;
import io.raftkv.check.KvModel.Delete;
import io.raftkv.check.KvModel.Get;
import io.raftkv.check.KvModel.Previous;
import io.raftkv.check.KvModel.Set;
import io.raftkv.check.KvModel.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Atomic batches of sets and deletes: all-or-nothing visibility, and partitioning by component. */
class KvModelBatchTest {

  private static final KvModel KV = new KvModel();

  private final List<Operation<KvModel.Op, KvModel.Result>> h = new ArrayList<>();

  private void op(int client, KvModel.Op in, KvModel.Result out, long call, long ret) {
    h.add(Operation.completed(client, in, out, call, ret));
  }

  private void unknown(int client, KvModel.Op in, long call) {
    h.add(Operation.unknown(client, in, call));
  }

  private void assertVerdict(Verdict expected) {
    CheckResult<KvModel.Op, KvModel.Result> r = LinearizabilityChecker.check(KV, h, 5_000);
    assertEquals(expected, r.verdict(), r.description());
  }

  private static Batch batch(KvModel.Op... writes) {
    return new Batch(List.of(writes));
  }

  /** a=0, b=0 from the start, then a batch setting both to 1 during [10, 20]. */
  private void zeroesThenOnes() {
    op(1, batch(new Set("a", "0"), new Set("b", "0")), KvModel.OK, 0, 1);
    op(1, batch(new Set("a", "1"), new Set("b", "1")), KvModel.OK, 10, 20);
  }

  @Test
  void readerSeeingOneNewKeyThenAnotherOldKeyIsNotLinearizable() {
    zeroesThenOnes();
    op(2, new Get("a"), new Value("1"), 12, 14);
    op(2, new Get("b"), new Value("0"), 15, 17);
    assertVerdict(Verdict.NOT_LINEARIZABLE);
  }

  @Test
  void readsOverlappingTheBatchAndEachOtherMaySeeEitherSide() {
    zeroesThenOnes();
    // get(b) may take effect before the batch and get(a) after it.
    op(2, new Get("a"), new Value("1"), 12, 16);
    op(3, new Get("b"), new Value("0"), 14, 18);
    assertVerdict(Verdict.LINEARIZABLE);
  }

  @Test
  void readerSeeingOldThenNewDuringTheBatchIsLinearizable() {
    zeroesThenOnes();
    op(2, new Get("b"), new Value("0"), 12, 14);
    op(2, new Get("a"), new Value("1"), 15, 17);
    assertVerdict(Verdict.LINEARIZABLE);
  }

  @Test
  void unknownBatchMayHaveTakenEffect() {
    op(1, batch(new Set("a", "0"), new Set("b", "0")), KvModel.OK, 0, 1);
    unknown(1, batch(new Set("a", "1"), new Delete("b")), 10);
    op(2, new Get("a"), new Value("1"), 30, 31);
    op(2, new Get("b"), new Value(null), 32, 33);
    assertVerdict(Verdict.LINEARIZABLE);
  }

  @Test
  void unknownBatchMayNeverHaveTakenEffect() {
    op(1, batch(new Set("a", "0"), new Set("b", "0")), KvModel.OK, 0, 1);
    unknown(1, batch(new Set("a", "1"), new Delete("b")), 10);
    op(2, new Get("a"), new Value("0"), 30, 31);
    op(2, new Get("b"), new Value("0"), 32, 33);
    assertVerdict(Verdict.LINEARIZABLE);
  }

  @Test
  void unknownBatchCannotHaveTakenHalfEffect() {
    op(1, batch(new Set("a", "0"), new Set("b", "0")), KvModel.OK, 0, 1);
    unknown(1, batch(new Set("a", "1"), new Delete("b")), 10);
    op(2, new Get("a"), new Value("1"), 30, 31);
    op(2, new Get("b"), new Value("0"), 32, 33);
    assertVerdict(Verdict.NOT_LINEARIZABLE);
  }

  @Test
  void acknowledgedBatchIsVisibleToALaterRead() {
    op(1, batch(new Set("a", "1"), new Set("b", "1")), KvModel.OK, 0, 5);
    op(2, new Get("b"), new Value(null), 6, 7);
    assertVerdict(Verdict.NOT_LINEARIZABLE);
  }

  @Test
  void laterWriteInABatchWinsOnTheSameKey() {
    op(1, batch(new Set("a", "1"), new Set("a", "2"), new Delete("b"), new Set("b", "3")),
        KvModel.OK, 0, 1);
    op(2, new Get("a"), new Value("2"), 2, 3);
    op(2, new Get("b"), new Value("3"), 4, 5);
    assertVerdict(Verdict.LINEARIZABLE);
    h.set(1, Operation.completed(2, new Get("a"), new Value("1"), 2, 3));
    assertVerdict(Verdict.NOT_LINEARIZABLE);
  }

  @Test
  void batchMixesWithSingleKeyOperations() {
    op(1, new Set("a", "0"), KvModel.OK, 0, 1);
    op(1, batch(new Delete("a"), new Set("b", "x")), KvModel.OK, 2, 3);
    op(2, new Cas("b", "x", "y"), new KvModel.Swapped(true), 4, 5);
    op(2, new Get("a"), new Value(null), 6, 7);
    op(2, new Get("b"), new Value("y"), 8, 9);
    assertVerdict(Verdict.LINEARIZABLE);
  }

  @Test
  void aBatchReportsNoReplacedValues() {
    Map<String, String> state = KV.init();
    assertFalse(KV.step(state, batch(new Set("a", "1")), new Previous(null)).ok());
    assertEquals(Map.of("a", "1"), KV.step(state, batch(new Set("a", "1")), null).state());
  }

  @Test
  void aBatchThatChangesNothingKeepsTheSameState() {
    Map<String, String> state = Map.of("a", "1");
    assertSame(state, KV.step(state, batch(new Set("a", "1"), new Delete("b")), KvModel.OK).state());
  }

  @Test
  void batchHoldsOnlySetsAndDeletes() {
    assertThrows(IllegalArgumentException.class, () -> new Batch(List.of()));
    assertThrows(IllegalArgumentException.class, () -> batch(new Get("a")));
    assertThrows(IllegalArgumentException.class, () -> batch(new Cas("a", null, "1")));
    assertThrows(IllegalArgumentException.class, () -> batch(batch(new Set("a", "1"))));
    Batch b = batch(new Set("k1", "v"), new Delete("k2"), new Set("k1", "w"));
    assertEquals("batch[set(k1, v), delete(k2), set(k1, w)]", b.toString());
    assertEquals(List.of("k1", "k2"), b.keys());
  }

  @Test
  void batchesSharingAKeyJoinTheirKeysInOnePart() {
    Operation<KvModel.Op, KvModel.Result> getD = Operation.completed(1, new Get("d"), new Value(null), 0, 1);
    Operation<KvModel.Op, KvModel.Result> bc =
        Operation.completed(2, batch(new Set("c", "1"), new Set("b", "1")), KvModel.OK, 2, 3);
    Operation<KvModel.Op, KvModel.Result> getA = Operation.completed(3, new Get("a"), new Value(null), 4, 5);
    Operation<KvModel.Op, KvModel.Result> ab = Operation.unknown(4, batch(new Delete("a"), new Set("b", "2")), 6);
    Operation<KvModel.Op, KvModel.Result> setE = Operation.completed(5, new Set("e", "1"), KvModel.OK, 7, 8);

    Map<String, List<Operation<KvModel.Op, KvModel.Result>>> parts =
        KV.partition(List.of(getD, bc, getA, ab, setE));

    assertEquals(List.of("keys=a,b,c", "key=d", "key=e"), List.copyOf(parts.keySet()));
    assertEquals(List.of(bc, getA, ab), parts.get("keys=a,b,c"));
    assertEquals(List.of(getD), parts.get("key=d"));
    assertEquals(List.of(setE), parts.get("key=e"));
  }
}
