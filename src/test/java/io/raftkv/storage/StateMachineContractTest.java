package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.Condition;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The state machine contract ({@link StateMachineStore}): apply exactly once and in order, the
 * applied position and membership durable with the effects, multi-key commands, prefix scans in
 * UTF-8 byte order.
 */
abstract class StateMachineContractTest<S extends RaftLogStore & StateMachineStore & SnapshotStore>
    extends StorageTestSupport<S> {
  static LogEntry command(long index, long term, KvCommand c) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, KvCommandCodec.encode(c));
  }

  // ---- apply ----

  @Test
  void applySetsAndDeletesAndSurvivesRestart() {
    List<LogEntry> entries =
        List.of(set(1, 1, "a", "1"), set(2, 1, "b", "2"), LogEntry.noop(3, 2), del(4, 2, "a"), set(5, 2, "b", "3"));
    store.persist(append(entries));
    List<KvResult> results = store.apply(entries);
    assertEquals(
        List.of(
            new KvResult.Applied(null),
            new KvResult.Applied(null),
            KvResult.NONE,
            new KvResult.Applied("1"),
            new KvResult.Applied("2")),
        results);
    assertNull(store.get("a"));
    assertEquals("3", store.get("b"));
    assertEquals(5, store.appliedIndex());
    assertEquals(2, store.appliedTerm());

    store = restart(store);
    assertEquals(5, store.appliedIndex());
    assertEquals(2, store.appliedTerm());
    Recovered r = store.recover();
    assertEquals(5, r.appliedIndex());
    assertEquals(2, r.appliedTerm());
    assertEquals(Map.of("b", "3"), dump(store));
  }

  @Test
  void replayAfterRestartIsExactlyOnce() {
    List<LogEntry> first = List.of(set(1, 1, "a", "1"), set(2, 1, "a", "2"));
    store.persist(append(first));
    store.apply(first);

    store = restart(store);
    // A restarted node replays from its log; entries up to the applied index must be skipped.
    List<LogEntry> replay = new ArrayList<>(first);
    replay.add(set(3, 1, "a", "3"));
    store.persist(append(replay.subList(2, 3)));
    List<KvResult> results = store.apply(replay);
    assertEquals(List.of(KvResult.NONE, KvResult.NONE, new KvResult.Applied("2")), results);
    assertEquals("3", store.get("a"));
    assertEquals(3, store.appliedIndex());

    assertEquals(List.of(KvResult.NONE, KvResult.NONE, KvResult.NONE), store.apply(replay));
    assertEquals("3", store.get("a"));
    assertEquals(3, store.appliedIndex());
  }

  @Test
  void nonContiguousApplyThrowsAndChangesNothing() {
    store.apply(List.of(set(1, 1, "a", "1")));
    assertThrows(IllegalStateException.class, () -> store.apply(List.of(set(3, 1, "a", "x"))));
    assertThrows(
        IllegalStateException.class, () -> store.apply(List.of(set(2, 1, "a", "y"), set(4, 1, "a", "z"))));
    assertEquals("1", store.get("a"));
    assertEquals(1, store.appliedIndex());
  }

  @Test
  void laterCommandInABatchSeesEarlierOne() {
    List<KvResult> results =
        store.apply(List.of(set(1, 1, "a", "1"), del(2, 1, "a"), set(3, 1, "b", "x"), set(4, 1, "b", "y")));
    assertEquals(
        List.of(
            new KvResult.Applied(null),
            new KvResult.Applied("1"),
            new KvResult.Applied(null),
            new KvResult.Applied("x")),
        results);
    assertNull(store.get("a"));
    assertEquals("y", store.get("b"));
    assertEquals(new TreeMap<>(Map.of("b", "y")), dump(store));
  }

  @Test
  void configAndNoopEntriesAdvanceTheAppliedIndexOnly() {
    Membership config = Membership.ofVoters(List.of(new Member(1, "a:1", "a:2")));
    List<KvResult> results =
        store.apply(List.of(LogEntry.noop(1, 1), new LogEntry(2, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(config))));
    assertEquals(List.of(KvResult.NONE, KvResult.NONE), results);
    assertEquals(2, store.appliedIndex());
    assertTrue(dump(store).isEmpty());
  }

  @Test
  void utf8KeysAndValuesRoundTrip() {
    store.apply(List.of(set(1, 1, "clé-ü", "värde ✓")));
    store = restart(store);
    assertEquals("värde ✓", store.get("clé-ü"));
  }

  @Test
  void appliedMembershipIsTheLastAppliedConfigAndSurvivesRestart() {
    assertEquals(Membership.EMPTY, appliedMembership(store));
    List<LogEntry> entries = List.of(config(1, 1, ONE), set(2, 1, "a", "1"), config(3, 1, ONE_PLUS_LEARNER));
    store.persist(append(entries));
    store.apply(entries.subList(0, 2));
    assertEquals(ONE, appliedMembership(store));
    store.apply(entries.subList(2, 3));
    assertEquals(ONE_PLUS_LEARNER, appliedMembership(store));
    store = restart(store);
    assertEquals(ONE_PLUS_LEARNER, appliedMembership(store));
  }

  // ---- multi-key commands and prefix scans ----

  @Test
  void batchTxnAndGetSetApplyAtomicallyAndSurviveRestart() {
    List<KvResult> results = store.apply(List.of(
        command(1, 1, new KvCommand.Batch(List.of(
            new KvCommand.Set("a", "1"), new KvCommand.Set("b", "2"), new KvCommand.Delete("a")))),
        // Sees the batch above although both sit in one apply: b exists, a does not.
        command(2, 1, new KvCommand.Txn(
            List.of(new Condition("b", Condition.Compare.EQUAL, "2"), new Condition("a", Condition.Compare.NOT_EXISTS, null)),
            List.of(new KvCommand.Set("b", "3"), new KvCommand.Set("c", "x")),
            List.of(new KvCommand.Set("else", "!")),
            true)),
        command(3, 1, new KvCommand.GetSet("c", "y"))));
    assertEquals(
        List.of(
            new KvResult.BatchApplied(3),
            new KvResult.TxnApplied(true, Arrays.asList("2", null)),
            new KvResult.GetSetApplied("x")),
        results);
    store = restart(store);
    assertEquals(new TreeMap<>(Map.of("b", "3", "c", "y")), dump(store));
  }

  @Test
  void scanReturnsPrefixMatchesInKeyOrderUpToTheLimit() {
    store.apply(List.of(
        set(1, 1, "user:2", "Bob"),
        set(2, 1, "user:10", "Zed"),
        set(3, 1, "user:1", "Alice"),
        set(4, 1, "user", "bare"),
        set(5, 1, "usex", "other"),
        set(6, 1, "config:theme", "dark"),
        del(7, 1, "user:2")));
    assertEquals(
        List.of(new KvPair("user:1", "Alice"), new KvPair("user:10", "Zed")), store.scan("user:", 100));
    assertEquals(List.of(new KvPair("user:1", "Alice")), store.scan("user:", 1));
    assertEquals(List.of(), store.scan("user:", 0));
    assertEquals(List.of(), store.scan("nothing", 10));
    assertEquals(
        List.of("config:theme", "user", "user:1", "user:10", "usex"),
        store.scan("", 100).stream().map(KvPair::key).toList());
    assertThrows(IllegalArgumentException.class, () -> store.scan("u", -1));
  }

  @Test
  void scanOrdersByUtf8BytesLikeRocksDb() {
    // U+FF5E sorts before U+1F600 in code points (and UTF-8 bytes), but after its surrogate pair
    // in UTF-16 order; both stores must agree on the former.
    store.apply(List.of(set(1, 1, "p\uD83D\uDE00", "emoji"), set(2, 1, "p\uFF5E", "tilde"), set(3, 1, "pa", "ascii")));
    assertEquals(
        List.of(new KvPair("pa", "ascii"), new KvPair("p\uFF5E", "tilde"), new KvPair("p\uD83D\uDE00", "emoji")),
        store.scan("p", 10));
    assertEquals(List.of(new KvPair("pa", "ascii"), new KvPair("p\uFF5E", "tilde")), store.scan("p", 2));
  }

  @Test
  void scanPagesStartStrictlyAfterAKeyAndStopAtTheByteBudget() {
    // Keys of 2 bytes and values of 8: each item counts 10 bytes against the budget.
    store.apply(List.of(
        set(1, 1, "p1", "aaaaaaaa"), set(2, 1, "p2", "bbbbbbbb"), set(3, 1, "p3", "cccccccc"),
        set(4, 1, "p4", "dddddddd"), set(5, 1, "q1", "other")));
    KvPage first = store.scan("p", null, 100, 25);
    assertEquals(List.of("p1", "p2"), first.items().stream().map(KvPair::key).toList());
    assertTrue(first.more());
    assertEquals("p2", first.nextKey());
    KvPage second = store.scan("p", first.nextKey(), 100, 25);
    assertEquals(List.of("p3", "p4"), second.items().stream().map(KvPair::key).toList());
    assertFalse(second.more(), "q1 does not match the prefix, so nothing follows p4");
    assertNull(second.nextKey());
    // A budget of exactly two items holds two; the item limit cuts and reports the rest too.
    assertEquals(2, store.scan("p", null, 100, 20).items().size());
    KvPage limited = store.scan("p", "p1", 1, 1000);
    assertEquals(List.of(new KvPair("p2", "bbbbbbbb")), limited.items());
    assertTrue(limited.more());
    // A page holds at least one item even when that item alone is over the budget.
    KvPage tiny = store.scan("p", null, 100, 1);
    assertEquals(List.of(new KvPair("p1", "aaaaaaaa")), tiny.items());
    assertTrue(tiny.more());
    // Start-after keys before the prefix, between matches, or after them all.
    assertEquals(4, store.scan("p", "a", 100, 1000).items().size());
    assertEquals(List.of("p3", "p4"), store.scan("p", "p2x", 100, 1000).items().stream().map(KvPair::key).toList());
    assertEquals(new KvPage(List.of(), false), store.scan("p", "p4", 100, 1000));
    assertEquals(new KvPage(List.of(), false), store.scan("p", "z", 100, 1000));
    assertEquals(new KvPage(List.of(), true), store.scan("p", null, 0, 1000));
  }

  @Test
  void scanPagesFollowUtf8OrderAcrossAstralKeys() {
    store.apply(List.of(set(1, 1, "p\uD83D\uDE00", "emoji"), set(2, 1, "p\uFF5E", "tilde"), set(3, 1, "pa", "ascii")));
    List<String> keys = new ArrayList<>();
    String after = null;
    do {
      KvPage page = store.scan("p", after, 1, 1000);
      page.items().forEach(p -> keys.add(p.key()));
      after = page.nextKey();
    } while (after != null);
    assertEquals(List.of("pa", "p\uFF5E", "p\uD83D\uDE00"), keys);
  }

  @Test
  void resultsAreBuiltOnlyWhereWantedWhileTheStateIsTheSame() {
    List<LogEntry> entries = List.of(
        set(1, 1, "a", "1"),
        command(2, 1, new KvCommand.Txn(
            List.of(), List.of(new KvCommand.Set("a", "2"), new KvCommand.Delete("b")), List.of(), true)),
        command(3, 1, new KvCommand.GetSet("a", "3")),
        command(4, 1, new KvCommand.Txn(List.of(), List.of(new KvCommand.Set("c", "x")), List.of(), true)));
    List<KvResult> results = store.apply(entries, index -> index == 4);
    assertEquals(
        List.of(KvResult.NONE, KvResult.NONE, KvResult.NONE, new KvResult.TxnApplied(true, Arrays.asList((String) null))),
        results);
    assertEquals(new TreeMap<>(Map.of("a", "3", "c", "x")), dump(store));
    try (S other = openOther()) {
      assertEquals(
          List.of(new KvResult.Applied(null), new KvResult.TxnApplied(true, Arrays.asList("1", null)),
              new KvResult.GetSetApplied("2"), new KvResult.TxnApplied(true, Arrays.asList((String) null))),
          other.apply(entries));
      assertEquals(dump(store), dump(other));
    }
  }

  @Test
  void scanSeesOnlyAppliedState() {
    store.persist(append(sets(1, 2, 1)));
    assertEquals(List.of(), store.scan("k", 10));
    store.apply(sets(1, 1, 1));
    assertEquals(List.of(new KvPair("k1", "v1@1")), store.scan("k", 10));
  }
}
