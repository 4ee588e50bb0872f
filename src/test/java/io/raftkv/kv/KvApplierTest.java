package io.raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KvApplierTest {
  private final TreeMap<String, String> data = new TreeMap<>();
  private int writes;
  private int reads;

  private final KvWriteView view =
      new KvWriteView() {
        @Override
        public String get(String key) {
          reads++;
          return data.get(key);
        }

        @Override
        public void put(String key, String value) {
          writes++;
          data.put(key, value);
        }

        @Override
        public void delete(String key) {
          writes++;
          data.remove(key);
        }
      };

  @BeforeEach
  void clear() {
    data.clear();
    writes = 0;
  }

  private KvResult apply(KvCommand c) {
    return KvApplier.apply(c, view);
  }

  private static KvCommand.Set set(String k, String v) {
    return new KvCommand.Set(k, v);
  }

  private static KvCommand.Delete del(String k) {
    return new KvCommand.Delete(k);
  }

  private static Condition cond(String key, Condition.Compare op, String value) {
    return new Condition(key, op, value);
  }

  @Test
  void setAndDeleteReportThePreviousValue() {
    assertEquals(new KvResult.Applied(null), apply(set("a", "1")));
    assertEquals(new KvResult.Applied("1"), apply(set("a", "2")));
    assertEquals(new KvResult.Applied("2"), apply(del("a")));
    assertEquals(new KvResult.Applied(null), apply(del("a")));
  }

  @Test
  void batchAppliesInOrderAndCountsOperations() {
    KvResult r = apply(new KvCommand.Batch(List.of(set("a", "1"), set("b", "2"), del("a"), set("c", "3"))));
    assertEquals(new KvResult.BatchApplied(4), r);
    assertEquals(Map.of("b", "2", "c", "3"), data);
  }

  @Test
  void batchSetThenDeleteOfTheSameKeyLeavesItAbsent() {
    data.put("k", "before");
    apply(new KvCommand.Batch(List.of(set("k", "x"), del("k"))));
    assertNull(data.get("k"));
    apply(new KvCommand.Batch(List.of(del("k"), set("k", "y"))));
    assertEquals("y", data.get("k"));
  }

  @Test
  void getSetReturnsTheOldValue() {
    assertEquals(new KvResult.GetSetApplied(null), apply(new KvCommand.GetSet("g", "1")));
    assertEquals("1", data.get("g"));
    assertEquals(new KvResult.GetSetApplied("1"), apply(new KvCommand.GetSet("g", "2")));
    assertEquals("2", data.get("g"));
  }

  @Test
  void everyComparisonOnAPresentKey() {
    // String order, not numeric: "10" < "9".
    String v = "5";
    assertTrue(cond("k", Condition.Compare.EXISTS, null).holds(v));
    assertFalse(cond("k", Condition.Compare.NOT_EXISTS, null).holds(v));
    assertTrue(cond("k", Condition.Compare.EQUAL, "5").holds(v));
    assertFalse(cond("k", Condition.Compare.EQUAL, "6").holds(v));
    assertTrue(cond("k", Condition.Compare.NOT_EQUAL, "6").holds(v));
    assertFalse(cond("k", Condition.Compare.NOT_EQUAL, "5").holds(v));
    assertTrue(cond("k", Condition.Compare.GREATER, "4").holds(v));
    assertFalse(cond("k", Condition.Compare.GREATER, "5").holds(v));
    assertTrue(cond("k", Condition.Compare.GREATER, "10").holds(v));
    assertTrue(cond("k", Condition.Compare.LESS, "6").holds(v));
    assertFalse(cond("k", Condition.Compare.LESS, "5").holds(v));
    assertTrue(cond("k", Condition.Compare.GREATER_EQUAL, "5").holds(v));
    assertFalse(cond("k", Condition.Compare.GREATER_EQUAL, "6").holds(v));
    assertTrue(cond("k", Condition.Compare.LESS_EQUAL, "5").holds(v));
    assertFalse(cond("k", Condition.Compare.LESS_EQUAL, "4").holds(v));
    // The empty string is a value, not absence.
    assertTrue(cond("k", Condition.Compare.EXISTS, null).holds(""));
    assertTrue(cond("k", Condition.Compare.EQUAL, "").holds(""));
  }

  @Test
  void anAbsentKeyPassesOnlyNotExistsAndNotEqual() {
    assertFalse(cond("k", Condition.Compare.EXISTS, null).holds(null));
    assertTrue(cond("k", Condition.Compare.NOT_EXISTS, null).holds(null));
    assertTrue(cond("k", Condition.Compare.NOT_EQUAL, "x").holds(null));
    for (Condition.Compare op :
        List.of(Condition.Compare.EQUAL, Condition.Compare.GREATER, Condition.Compare.LESS,
            Condition.Compare.GREATER_EQUAL, Condition.Compare.LESS_EQUAL)) {
      assertFalse(cond("k", op, "").holds(null), op.toString());
    }
  }

  @Test
  void conditionsValidateTheirValue() {
    assertThrows(IllegalArgumentException.class, () -> cond("k", Condition.Compare.EQUAL, null));
    assertThrows(IllegalArgumentException.class, () -> cond("k", Condition.Compare.EXISTS, "v"));
    for (Condition.Compare op : Condition.Compare.values()) {
      assertEquals(op, Condition.Compare.ofWireName(op.wireName()));
    }
    assertNull(Condition.Compare.ofWireName("EQUAL"));
  }

  @Test
  void txnRunsIfThenWhenAllConditionsHold() {
    data.put("a", "1");
    KvCommand.Txn t = new KvCommand.Txn(
        List.of(cond("a", Condition.Compare.EQUAL, "1"), cond("b", Condition.Compare.NOT_EXISTS, null)),
        List.of(set("b", "then")),
        List.of(set("b", "else")),
        false);
    assertEquals(new KvResult.TxnApplied(true, null), apply(t));
    assertEquals("then", data.get("b"));
    // Now b exists, so the same transaction takes the else branch.
    assertEquals(new KvResult.TxnApplied(false, null), apply(t));
    assertEquals("else", data.get("b"));
  }

  @Test
  void txnWithoutConditionsTakesTheIfBranch() {
    KvResult r = apply(new KvCommand.Txn(List.of(), List.of(set("x", "1")), List.of(set("y", "1")), false));
    assertEquals(new KvResult.TxnApplied(true, null), r);
    assertEquals(Map.of("x", "1"), data);
  }

  @Test
  void failedTxnWithoutElseWritesNothing() {
    KvResult r = apply(new KvCommand.Txn(
        List.of(cond("missing", Condition.Compare.EXISTS, null)), List.of(set("x", "1")), List.of(), true));
    assertEquals(new KvResult.TxnApplied(false, List.of()), r);
    assertEquals(0, writes);
  }

  @Test
  void returnPreviousListsTheValueBeforeEachExecutedOpInOrder() {
    data.put("a", "A0");
    KvCommand.Txn t = new KvCommand.Txn(
        List.of(cond("a", Condition.Compare.GREATER_EQUAL, "A")),
        List.of(set("a", "A1"), set("b", "B1"), set("a", "A2"), del("a"), del("zz")),
        List.of(set("never", "x")),
        true);
    KvResult r = apply(t);
    // The second write to "a" sees the first one: values are taken just before each op.
    assertEquals(new KvResult.TxnApplied(true, Arrays.asList("A0", null, "A1", "A2", null)), r);
    assertEquals(Map.of("b", "B1"), data);
  }

  @Test
  void returnPreviousOfTheElseBranch() {
    data.put("n", "7");
    KvResult r = apply(new KvCommand.Txn(
        List.of(cond("n", Condition.Compare.LESS, "5")),
        List.of(set("n", "low")),
        List.of(set("n", "high"), new KvCommand.Delete("other")),
        true));
    assertEquals(new KvResult.TxnApplied(false, Arrays.asList("7", null)), r);
    assertEquals("high", data.get("n"));
  }

  @Test
  void allConditionsMustHold() {
    data.put("a", "1");
    KvResult r = apply(new KvCommand.Txn(
        List.of(cond("a", Condition.Compare.EQUAL, "1"), cond("a", Condition.Compare.EQUAL, "2")),
        List.of(set("x", "then")),
        List.of(set("x", "else")),
        false));
    assertEquals(new KvResult.TxnApplied(false, null), r);
    assertEquals("else", data.get("x"));
  }

  @Test
  void emptyBatchIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new KvCommand.Batch(List.of()));
  }

  @Test
  void withoutAWaitingClientNoPreviousValueIsReadOrBuilt() {
    data.put("a", "1");
    data.put("b", "2");
    KvCommand.Txn txn = new KvCommand.Txn(
        List.of(),
        List.of(new KvCommand.Set("a", "x"), new KvCommand.Set("c", "y"), new KvCommand.Delete("b")),
        List.of(),
        true);
    reads = 0;
    assertEquals(KvResult.NONE, KvApplier.apply(txn, view, false));
    // Only the delete reads (to write nothing for an absent key); the sets do not.
    assertEquals(1, reads);
    assertEquals(Map.of("a", "x", "c", "y"), data);
    reads = 0;
    assertEquals(KvResult.NONE, KvApplier.apply(new KvCommand.GetSet("a", "z"), view, false));
    assertEquals(KvResult.NONE, KvApplier.apply(new KvCommand.Set("d", "w"), view, false));
    assertEquals(0, reads);
    assertEquals(Map.of("a", "z", "c", "y", "d", "w"), data);
    // The same commands with a waiting client report what they replaced.
    assertEquals(new KvResult.GetSetApplied("z"), KvApplier.apply(new KvCommand.GetSet("a", "q"), view, true));
  }
}
