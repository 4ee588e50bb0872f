package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.StoredLog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log contract ({@link RaftLogStore} and the purge of {@link SnapshotStore}): synced persists,
 * truncation, contiguity, bounded reads, recovery of the log's shape, and compaction (§7).
 */
abstract class LogContractTest<S extends RaftLogStore & StateMachineStore & SnapshotStore>
    extends StorageTestSupport<S> {
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

  // ---- purge ----

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
