package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.Condition;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.StoredLog;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every node store keeps, run against RocksDB and the in-memory twin alike so the
 * simulator tests what production runs. Subclasses say how to open a store and how to restart
 * it after a clean shutdown.
 */
abstract class StorageContractTest<S extends RaftLogStore & StateMachineStore & SnapshotStore> {
  protected S store;

  protected abstract S open();

  /** Closes {@code s} cleanly and opens the same durable state again. */
  protected abstract S restart(S s);

  protected abstract Map<String, String> dump(S s);

  /** A second, empty store independent of {@link #store}; the test closes it. */
  protected abstract S openOther();

  /**
   * Stops {@code s} the hard way, without finishing what is in flight (an install that was never
   * committed, in particular), and opens what is left on disk.
   */
  protected abstract S crash(S s);

  protected abstract Membership appliedMembership(S s);

  @BeforeEach
  void openStore() {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ---- helpers ----

  static LogEntry set(long index, long term, String key, String value) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Set(key, value)));
  }

  static LogEntry del(long index, long term, String key) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Delete(key)));
  }

  static List<LogEntry> sets(long from, long to, long term) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(set(i, term, "k" + i, "v" + i + "@" + term));
    return out;
  }

  static PersistBatch append(List<LogEntry> entries) {
    return new PersistBatch(null, 0, entries);
  }

  /** Every entry the store holds after its base, read back through the bounded reader. */
  static List<LogEntry> entriesOf(RaftLogStore s) {
    StoredLog shape = s.recover().storedLog();
    if (shape.lastIndex() == shape.baseIndex()) return List.of();
    List<LogEntry> all = s.read(shape.baseIndex() + 1, shape.lastIndex(), Integer.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(shape.lastIndex() - shape.baseIndex(), all.size(), "the reader returns the whole recovered range");
    return all;
  }

  static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "127.0.0.1:7001", "127.0.0.1:8001")));
  static final Membership ONE_PLUS_LEARNER = ONE.withLearner(new Member(2, "127.0.0.1:7002", "127.0.0.1:8002"));

  static LogEntry config(long index, long term, Membership m) {
    return new LogEntry(index, term, LogEntry.Kind.CONFIG, MembershipCodec.encode(m));
  }

  /** Persists and applies a config at 1, then sets at 2..{@code last} in term 2. */
  void fill(S s, long last) {
    List<LogEntry> entries = new ArrayList<>();
    entries.add(config(1, 1, ONE));
    entries.addAll(sets(2, last, 2));
    s.persist(new PersistBatch(new HardState(2, 1), 0, entries));
    s.apply(entries);
  }

  /** Every pair in a snapshot, in the order the chunks carry them, checking each chunk's size. */
  static List<Map.Entry<String, String>> readAll(SnapshotSource source, int maxBytes, List<byte[]> chunks) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    for (byte[] chunk = source.nextChunk(maxBytes); chunk != null; chunk = source.nextChunk(maxBytes)) {
      chunks.add(chunk);
      SnapshotChunks.decode(
          chunk,
          (k, v) ->
              pairs.add(
                  new AbstractMap.SimpleImmutableEntry<>(
                      new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8))));
    }
    return pairs;
  }

  /** Streams the latest snapshot of {@code from} into {@code to} and commits it. */
  static void transfer(SnapshotStore from, SnapshotStore to, int maxBytes, boolean keepLog) {
    try (SnapshotSource source = from.openSnapshot()) {
      SnapshotSink sink = to.beginInstall(source.meta());
      for (byte[] chunk = source.nextChunk(maxBytes); chunk != null; chunk = source.nextChunk(maxBytes)) {
        sink.write(chunk);
      }
      sink.commit(keepLog);
    }
  }

  // ---- log and hard state ----

  @Test
  void emptyStoreRecoversInitialState() {
    Recovered r = store.recover();
    assertEquals(HardState.INITIAL, r.hardState());
    assertTrue(entriesOf(store).isEmpty());
    assertEquals(0, r.appliedIndex());
    assertEquals(0, r.appliedTerm());
    assertTrue(r.isEmpty());
  }

  @Test
  void persistedHardStateAndLogSurviveRestart() {
    Membership config = Membership.ofVoters(List.of(new Member(1, "127.0.0.1:7001", "127.0.0.1:8001")));
    List<LogEntry> entries =
        List.of(
            new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(config)),
            LogEntry.noop(2, 2),
            set(3, 2, "a", "1"));
    store.persist(new PersistBatch(new HardState(2, 3), 0, entries));
    store.persist(new PersistBatch(new HardState(3, HardState.NO_VOTE), 0, List.of()));

    store = restart(store);
    Recovered r = store.recover();
    assertEquals(new HardState(3, HardState.NO_VOTE), r.hardState());
    assertEquals(entries, entriesOf(store));
    assertEquals(config, MembershipCodec.decode(entriesOf(store).get(0).data()));
  }

  @Test
  void truncationReplacesTheSuffix() {
    store.persist(new PersistBatch(new HardState(1, 1), 0, sets(1, 10, 1)));
    store.persist(new PersistBatch(new HardState(2, 2), 6, sets(6, 8, 2)));

    store = restart(store);
    List<LogEntry> expected = new ArrayList<>(sets(1, 5, 1));
    expected.addAll(sets(6, 8, 2));
    assertEquals(expected, entriesOf(store));

    // The log must continue right after the new last index, not after the old one.
    store.persist(append(sets(9, 9, 2)));
    assertEquals(9, entriesOf(store).size());
  }

  @Test
  void truncationWithoutAppendShortensTheLog() {
    store.persist(append(sets(1, 4, 1)));
    store.persist(new PersistBatch(null, 3, List.of()));
    assertEquals(sets(1, 2, 1), entriesOf(store));
  }

  @Test
  void nonContiguousAppendIsRefusedAndWritesNothing() {
    store.persist(append(sets(1, 3, 1)));
    assertThrows(IllegalArgumentException.class, () -> store.persist(append(sets(5, 6, 1))));
    List<LogEntry> gapInside = List.of(set(4, 1, "a", "1"), set(6, 1, "b", "2"));
    assertThrows(IllegalArgumentException.class, () -> store.persist(append(gapInside)));
    // Overlapping without a truncation would leave a stale suffix behind, so it is refused too.
    assertThrows(IllegalArgumentException.class, () -> store.persist(append(sets(2, 2, 2))));
    assertThrows(
        IllegalArgumentException.class,
        () -> store.persist(new PersistBatch(new HardState(9, 9), 0, sets(7, 7, 1))));
    Recovered r = store.recover();
    assertEquals(sets(1, 3, 1), entriesOf(store));
    assertEquals(HardState.INITIAL, r.hardState());
  }

  // ---- reading the log back in bounded ranges ----

  @Test
  void readReturnsARangeBoundedByCountAndBytes() {
    store.persist(new PersistBatch(new HardState(1, 1), 0, sets(1, 20, 1)));
    assertEquals(sets(5, 15, 1), store.read(5, 15, Integer.MAX_VALUE, Long.MAX_VALUE));
    assertEquals(sets(5, 7, 1), store.read(5, 15, 3, Long.MAX_VALUE));
    long two = set(5, 1, "k5", "v5@1").sizeBytes() + set(6, 1, "k6", "v6@1").sizeBytes();
    assertEquals(sets(5, 6, 1), store.read(5, 15, Integer.MAX_VALUE, two));
    assertEquals(sets(5, 6, 1), store.read(5, 15, Integer.MAX_VALUE, two + 1));
    // One entry is always returned, so a reader can never stall on an entry larger than the bound.
    assertEquals(sets(5, 5, 1), store.read(5, 15, Integer.MAX_VALUE, 1));
    assertEquals(sets(18, 20, 1), store.read(18, 30, Integer.MAX_VALUE, Long.MAX_VALUE));
    assertTrue(store.read(21, 30, Integer.MAX_VALUE, Long.MAX_VALUE).isEmpty());
  }

  @Test
  void readFollowsTruncationAndStopsWhereTheLogWasCompacted() {
    fill(store, 10);
    store.persist(new PersistBatch(new HardState(3, 1), 8, sets(8, 12, 3)));
    List<LogEntry> expected = new ArrayList<>(sets(6, 7, 2));
    expected.addAll(sets(8, 12, 3));
    assertEquals(expected, store.read(6, 12, Integer.MAX_VALUE, Long.MAX_VALUE));

    store.createSnapshot();
    store.purgeLog(7);
    assertTrue(store.read(5, 12, Integer.MAX_VALUE, Long.MAX_VALUE).isEmpty(), "the start was compacted");
    assertEquals(sets(8, 12, 3), store.read(8, 12, Integer.MAX_VALUE, Long.MAX_VALUE));
    store = restart(store);
    assertEquals(sets(8, 12, 3), store.read(8, 12, Integer.MAX_VALUE, Long.MAX_VALUE));
  }

  @Test
  void recoverGivesTheLogsShapeWithoutItsEntries() {
    List<LogEntry> log = new ArrayList<>();
    log.add(config(1, 1, ONE));
    log.addAll(sets(2, 4, 1));
    log.addAll(sets(5, 6, 3));
    log.add(config(7, 3, ONE_PLUS_LEARNER));
    log.addAll(sets(8, 9, 5));
    store.persist(new PersistBatch(new HardState(5, 1), 0, log));

    store = restart(store);
    StoredLog shape = store.recover().storedLog();
    assertEquals(0, shape.baseIndex());
    assertEquals(9, shape.lastIndex());
    assertEquals(
        List.of(new StoredLog.TermRun(1, 1), new StoredLog.TermRun(5, 3), new StoredLog.TermRun(8, 5)),
        shape.termRuns());
    assertEquals(List.of(config(1, 1, ONE), config(7, 3, ONE_PLUS_LEARNER)), shape.configEntries());

    // After a purge the runs start right after the base, and compacted configs are gone.
    store.apply(log.subList(0, 6));
    store.createSnapshot();
    store.purgeLog(5);
    shape = store.recover().storedLog();
    assertEquals(5, shape.baseIndex());
    assertEquals(3, shape.baseTerm());
    assertEquals(List.of(new StoredLog.TermRun(6, 3), new StoredLog.TermRun(8, 5)), shape.termRuns());
    assertEquals(List.of(config(7, 3, ONE_PLUS_LEARNER)), shape.configEntries());
  }

  @Test
  void recoverCountsWhatWasAppliedSinceTheLatestSnapshot() {
    fill(store, 6);
    store.createSnapshot();
    List<LogEntry> more = sets(7, 10, 2);
    store.persist(append(more));
    store.apply(more.subList(0, 3));

    store = restart(store);
    Recovered r = store.recover();
    assertEquals(6, r.snapshotIndex());
    assertEquals(3, r.appliedEntriesSinceSnapshot());
    long bytes = 0;
    for (LogEntry e : more.subList(0, 3)) bytes += e.sizeBytes();
    assertEquals(bytes, r.appliedBytesSinceSnapshot(), "only applied entries after the snapshot count");
  }

  // ---- state machine ----

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

  // ---- multi-key commands and prefix scans ----

  static LogEntry command(long index, long term, KvCommand c) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, KvCommandCodec.encode(c));
  }

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

  // ---- applied membership, snapshots and compaction ----

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

  @Test
  void snapshotHoldsTheAppliedPositionAndMembershipAndSurvivesRestart() {
    assertEquals(Optional.empty(), store.latestSnapshot());
    fill(store, 10);
    SnapshotMeta meta = store.createSnapshot();
    assertEquals(10, meta.index());
    assertEquals(2, meta.term());
    assertEquals(ONE, meta.membership());
    assertTrue(meta.sizeBytes() > 0);
    assertEquals(Optional.of(meta), store.latestSnapshot());

    store = restart(store);
    assertEquals(Optional.of(meta), store.latestSnapshot());
    Recovered r = store.recover();
    // Nothing was purged, so the whole log is still there, but the base membership is known.
    assertEquals(0, r.baseIndex());
    assertEquals(0, r.baseTerm());
    assertEquals(ONE, r.baseMembership());
    assertEquals(10, entriesOf(store).size());
  }

  @Test
  void snapshotStreamsEveryPairInKeyOrderInSeveralChunksAndInstallsOnAFreshStore() {
    fill(store, 300);
    store.apply(List.of(del(301, 2, "k7")));
    store.persist(append(List.of(del(301, 2, "k7"))));
    SnapshotMeta meta = store.createSnapshot();
    List<byte[]> chunks = new ArrayList<>();
    List<Map.Entry<String, String>> pairs;
    try (SnapshotSource source = store.openSnapshot()) {
      assertEquals(meta, source.meta());
      pairs = readAll(source, 512, chunks);
      assertNull(source.nextChunk(512));
    }
    assertTrue(chunks.size() > 5, "expected several chunks, got " + chunks.size());
    TreeMap<String, String> expected = new TreeMap<>(dump(store));
    assertEquals(new ArrayList<>(expected.entrySet()), pairs);

    S other = openOther();
    try {
      transfer(store, other, 512, false);
      assertEquals(expected, dump(other));
      assertEquals(301, other.appliedIndex());
      assertEquals(2, other.appliedTerm());
      assertEquals(ONE, appliedMembership(other));
      SnapshotMeta installed = other.latestSnapshot().orElseThrow();
      assertEquals(301, installed.index());
      assertEquals(ONE, installed.membership());
    } finally {
      other.close();
    }
  }

  @Test
  void installReplacesStateDurablyAndKeepsTheLogAfterTheSnapshotWhenAsked() {
    // The leader's state at 10, and a follower whose log runs to 20 but applied only up to 5.
    S leader = openOther();
    try {
      fill(leader, 10);
      leader.createSnapshot();
      List<LogEntry> followerLog = new ArrayList<>(List.of(config(1, 1, ONE)));
      followerLog.addAll(sets(2, 20, 2));
      store.persist(new PersistBatch(new HardState(2, 1), 0, followerLog));
      store.apply(followerLog.subList(0, 5));

      transfer(leader, store, 200, true);
      store = restart(store);
      Recovered r = store.recover();
      assertEquals(10, r.baseIndex());
      assertEquals(2, r.baseTerm());
      assertEquals(ONE, r.baseMembership());
      assertEquals(sets(11, 20, 2), entriesOf(store));
      assertEquals(10, r.appliedIndex());
      assertEquals(dump(leader), dump(store));
      assertEquals(new HardState(2, 1), r.hardState());
      // Applying continues right after the snapshot.
      store.apply(entriesOf(store));
      assertEquals(20, store.appliedIndex());
    } finally {
      leader.close();
    }
  }

  @Test
  void installWithoutKeepingTheLogDropsAllOfItAndTheLogRestartsAfterTheBase() {
    S leader = openOther();
    try {
      fill(leader, 10);
      leader.createSnapshot();
      store.persist(append(sets(1, 20, 1)));
      store.apply(sets(1, 20, 1));

      transfer(leader, store, 1 << 20, false);
      assertEquals(dump(leader), dump(store));
      assertEquals(10, store.appliedIndex());
      store = restart(store);
      Recovered r = store.recover();
      assertTrue(entriesOf(store).isEmpty());
      assertEquals(10, r.baseIndex());
      assertEquals(2, r.baseTerm());
      assertFalse(r.isEmpty());
      assertNull(store.get("k15"));
      // A compacted log must continue right after its base.
      assertThrows(IllegalArgumentException.class, () -> store.persist(append(sets(12, 12, 3))));
      store.persist(append(sets(11, 12, 3)));
      assertEquals(sets(11, 12, 3), entriesOf(store));
    } finally {
      leader.close();
    }
  }

  @Test
  void crashDuringAnInstallLeavesTheOldState() {
    fill(store, 5);
    // A synced write makes the applies durable, so the in-memory twin's crash keeps them too.
    store.persist(new PersistBatch(null, 0, List.of()));
    Map<String, String> before = dump(store);
    S leader = openOther();
    try {
      fill(leader, 50);
      leader.createSnapshot();
      try (SnapshotSource source = leader.openSnapshot()) {
        SnapshotSink sink = store.beginInstall(source.meta());
        sink.write(source.nextChunk(300));
        sink.write(source.nextChunk(300));
        store = crash(store);
      }
      assertEquals(before, dump(store));
      assertEquals(5, store.appliedIndex());
      assertEquals(ONE, appliedMembership(store));
      assertEquals(5, entriesOf(store).size());
      assertEquals(0, store.recover().baseIndex());
      assertEquals(Optional.empty(), store.latestSnapshot());

      // A fresh install after the crash still works.
      transfer(leader, store, 300, false);
      assertEquals(dump(leader), dump(store));
    } finally {
      leader.close();
    }
  }

  @Test
  void abortedOrSupersededInstallChangesNothing() {
    fill(store, 5);
    Map<String, String> before = dump(store);
    S leader = openOther();
    try {
      fill(leader, 30);
      leader.createSnapshot();
      try (SnapshotSource source = leader.openSnapshot()) {
        SnapshotSink first = store.beginInstall(source.meta());
        first.write(source.nextChunk(100));
        first.abort();
        assertThrows(IllegalStateException.class, () -> first.commit(false));
        SnapshotSink second = store.beginInstall(source.meta());
        second.write(source.nextChunk(100));
        SnapshotSink third = store.beginInstall(source.meta());
        assertThrows(IllegalStateException.class, () -> second.write(new byte[0]));
        assertThrows(IllegalStateException.class, () -> second.commit(false));
        third.close();
      }
      assertEquals(before, dump(store));
      assertEquals(5, store.appliedIndex());
      store = restart(store);
      assertEquals(before, dump(store));
    } finally {
      leader.close();
    }
  }

  @Test
  void anInstallResumedInTheSameLeaderTermKeepsItsChunksAndAnyOtherStartsAfresh() {
    fill(store, 5);
    S leader = openOther();
    try {
      fill(leader, 60);
      leader.createSnapshot();
      SnapshotMeta meta = leader.latestSnapshot().orElseThrow();
      SnapshotMeta otherSnapshot = new SnapshotMeta(meta.index() - 1, meta.term(), meta.membership(), 0, 0);
      try (SnapshotSource source = leader.openSnapshot()) {
        SnapshotSink first = store.resumeInstall(meta, 7);
        first.write(source.nextChunk(200));
        first.write(source.nextChunk(200));
        assertEquals(2, first.stagedChunks());

        // A later leader term: its chunks may be cut elsewhere, so nothing staged is kept.
        assertEquals(0, store.resumeInstall(meta, 8).stagedChunks());
        assertThrows(IllegalStateException.class, () -> first.write(new byte[0]));
        // Another snapshot, or an install that asks for no resuming, starts afresh too.
        SnapshotSink fresh = store.resumeInstall(otherSnapshot, 8);
        assertEquals(0, fresh.stagedChunks());
        assertEquals(0, store.beginInstall(meta).stagedChunks());
        assertEquals(0, store.resumeInstall(meta, 8).stagedChunks());
      }
      try (SnapshotSource source = leader.openSnapshot()) {
        SnapshotSink staged = store.resumeInstall(meta, 9);
        staged.write(source.nextChunk(200));
        staged.write(source.nextChunk(200));
        staged.write(source.nextChunk(200));
        // The transfer broke off; the next one, same snapshot and same term, resumes at chunk 3.
        SnapshotSink resumed = store.resumeInstall(meta, 9);
        assertEquals(3, resumed.stagedChunks());
        for (byte[] chunk = source.nextChunk(200); chunk != null; chunk = source.nextChunk(200)) resumed.write(chunk);
        resumed.commit(false);
      }
      assertEquals(dump(leader), dump(store));
      assertEquals(meta.index(), store.appliedIndex());
      // A committed install is finished: asking for it again begins a new, empty one.
      SnapshotSink after = store.resumeInstall(meta, 9);
      assertEquals(0, after.stagedChunks());
      after.abort();
    } finally {
      leader.close();
    }
  }

  @Test
  void purgeRemovesEntriesRecordsTheBaseAndTheLogContinuesAfterIt() {
    fill(store, 20);
    assertThrows(IllegalArgumentException.class, () -> store.purgeLog(5)); // no snapshot yet
    store.createSnapshot();
    store.persist(append(sets(21, 25, 3)));
    assertThrows(IllegalArgumentException.class, () -> store.purgeLog(21)); // beyond the snapshot

    store.purgeLog(15);
    store.purgeLog(15); // idempotent
    store.purgeLog(3); // below the base: nothing to do
    Recovered r = store.recover();
    assertEquals(15, r.baseIndex());
    assertEquals(2, r.baseTerm());
    assertEquals(ONE, r.baseMembership());
    List<LogEntry> expected = new ArrayList<>(sets(16, 20, 2));
    expected.addAll(sets(21, 25, 3));
    assertEquals(expected, entriesOf(store));

    store = restart(store);
    r = store.recover();
    assertEquals(15, r.baseIndex());
    assertEquals(2, r.baseTerm());
    assertEquals(expected, entriesOf(store));
    store.persist(append(sets(26, 26, 3)));

    // Purging everything the snapshot covers, then truncating all that is left, still keeps
    // appends tied to the base.
    store.purgeLog(20);
    store.persist(new PersistBatch(null, 21, List.of()));
    assertTrue(entriesOf(store).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> store.persist(append(sets(22, 22, 4))));
    store.persist(append(sets(21, 21, 4)));
    assertEquals(20, store.recover().baseIndex());
  }

  @Test
  void purgeAfterAnInstallStartsFromTheInstalledBase() {
    S leader = openOther();
    try {
      fill(leader, 10);
      leader.createSnapshot();
      transfer(leader, store, 1000, false);
      store.purgeLog(5); // already below the installed base
      assertEquals(10, store.recover().baseIndex());
      // The snapshot moves to 12 while the log grows to 15.
      store.persist(append(sets(11, 15, 2)));
      store.apply(sets(11, 12, 2));
      store.createSnapshot();
      assertThrows(IllegalArgumentException.class, () -> store.purgeLog(13));
      store.purgeLog(12);
      assertEquals(sets(13, 15, 2), entriesOf(store));
    } finally {
      leader.close();
    }
  }

  @Test
  void aSourceStaysReadableWhileANewerSnapshotReplacesIt() {
    fill(store, 100);
    SnapshotMeta old = store.createSnapshot();
    Map<String, String> oldState = dump(store);
    try (SnapshotSource source = store.openSnapshot()) {
      byte[] first = source.nextChunk(300);
      assertNotNull(first);
      List<LogEntry> more = new ArrayList<>(sets(101, 150, 3));
      more.add(del(151, 3, "k2"));
      store.persist(append(more));
      store.apply(more);
      SnapshotMeta newer = store.createSnapshot();
      assertEquals(151, newer.index());
      store.purgeLog(151);

      List<byte[]> chunks = new ArrayList<>();
      chunks.add(first);
      List<Map.Entry<String, String>> pairs = new ArrayList<>();
      for (byte[] c : chunks) {
        SnapshotChunks.decode(
            c,
            (k, v) ->
                pairs.add(
                    new AbstractMap.SimpleImmutableEntry<>(
                        new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8))));
      }
      pairs.addAll(readAll(source, 300, new ArrayList<>()));
      assertEquals(new ArrayList<>(new TreeMap<>(oldState).entrySet()), pairs);
      assertEquals(old, source.meta());
    }
    try (SnapshotSource source = store.openSnapshot()) {
      assertEquals(151, source.meta().index());
      assertEquals(
          new ArrayList<>(new TreeMap<>(dump(store)).entrySet()), readAll(source, 300, new ArrayList<>()));
    }
  }

  @Test
  void anInstalledSnapshotCanBeStreamedOnward() {
    S leader = openOther();
    S third = null;
    try {
      fill(leader, 40);
      leader.createSnapshot();
      transfer(leader, store, 250, false);
      third = openOther();
      transfer(store, third, 250, false);
      assertEquals(dump(leader), dump(third));
      assertEquals(40, third.appliedIndex());
      assertEquals(ONE, appliedMembership(third));
    } finally {
      leader.close();
      if (third != null) third.close();
    }
  }

  // ---- lifecycle ----

  @Test
  void useAfterCloseThrowsStorageException() {
    store.persist(append(sets(1, 1, 1)));
    store.close();
    store.close(); // idempotent
    assertThrows(StorageException.class, () -> store.recover());
    assertThrows(StorageException.class, () -> store.persist(append(sets(2, 2, 1))));
    assertThrows(StorageException.class, () -> store.apply(sets(1, 1, 1)));
    assertThrows(StorageException.class, () -> store.get("k1"));
    assertThrows(StorageException.class, () -> store.scan("k", 10));
    assertThrows(StorageException.class, () -> store.appliedIndex());
    assertThrows(StorageException.class, () -> store.appliedTerm());
  }
}
