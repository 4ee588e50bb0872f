package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every node store keeps, run against RocksDB and the in-memory twin alike so the
 * simulator tests what production runs. Subclasses say how to open a store and how to restart
 * it after a clean shutdown.
 */
abstract class StorageContractTest<S extends RaftLogStore & StateMachineStore> {
  protected S store;

  protected abstract S open();

  /** Closes {@code s} cleanly and opens the same durable state again. */
  protected abstract S restart(S s);

  protected abstract Map<String, String> dump(S s);

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

  // ---- log and hard state ----

  @Test
  void emptyStoreRecoversInitialState() {
    Recovered r = store.recover();
    assertEquals(HardState.INITIAL, r.hardState());
    assertTrue(r.log().isEmpty());
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
    assertEquals(entries, r.log());
    assertEquals(config, MembershipCodec.decode(r.log().get(0).data()));
  }

  @Test
  void truncationReplacesTheSuffix() {
    store.persist(new PersistBatch(new HardState(1, 1), 0, sets(1, 10, 1)));
    store.persist(new PersistBatch(new HardState(2, 2), 6, sets(6, 8, 2)));

    store = restart(store);
    List<LogEntry> expected = new ArrayList<>(sets(1, 5, 1));
    expected.addAll(sets(6, 8, 2));
    assertEquals(expected, store.recover().log());

    // The log must continue right after the new last index, not after the old one.
    store.persist(append(sets(9, 9, 2)));
    assertEquals(9, store.recover().log().size());
  }

  @Test
  void truncationWithoutAppendShortensTheLog() {
    store.persist(append(sets(1, 4, 1)));
    store.persist(new PersistBatch(null, 3, List.of()));
    assertEquals(sets(1, 2, 1), store.recover().log());
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
    assertEquals(sets(1, 3, 1), r.log());
    assertEquals(HardState.INITIAL, r.hardState());
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
    assertThrows(StorageException.class, () -> store.appliedIndex());
    assertThrows(StorageException.class, () -> store.appliedTerm());
  }
}
