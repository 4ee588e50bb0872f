package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What only the in-memory twin has: its model of synced and unsynced writes across {@link
 * InMemoryStorage#crashAndRecover}, and its injected clock. The contract both stores keep is in
 * the {@code InMemory*ContractTest} classes.
 */
class InMemoryStorageTest extends StorageTestSupport<InMemoryStorage> {
  @Override
  protected StoreKind<InMemoryStorage> storeKind() {
    return new InMemoryStores();
  }

  @Test
  void crashDropsAppliesAfterTheLastPersist() {
    List<LogEntry> entries = List.of(set(1, 1, "a", "1"), set(2, 1, "b", "2"), del(3, 1, "a"));
    store.persist(new PersistBatch(new HardState(1, 1), 0, entries));
    store.apply(entries.subList(0, 2));
    // This persist models a synced write, which flushes the earlier unsynced apply with it.
    store.persist(new PersistBatch(new HardState(2, 1), 0, List.of()));
    store.apply(entries.subList(2, 3));
    assertNull(store.get("a"));

    store = store.crashAndRecover();
    Recovered r = store.recover();
    assertEquals(new HardState(2, 1), r.hardState());
    assertEquals(entries, entriesOf(store));
    assertEquals(2, r.appliedIndex());
    assertEquals(1, r.appliedTerm());
    assertEquals(Map.of("a", "1", "b", "2"), store.snapshotOfKv());

    // Re-applying from the log after the crash brings the lost apply back exactly once.
    store.apply(entriesOf(store));
    assertEquals(Map.of("b", "2"), store.snapshotOfKv());
    assertEquals(3, store.appliedIndex());
  }

  @Test
  void crashWithNoPersistLosesAllApplies() {
    store.apply(List.of(set(1, 1, "a", "1")));
    store = store.crashAndRecover();
    assertEquals(0, store.appliedIndex());
    assertEquals(Map.of(), store.snapshotOfKv());
  }

  @Test
  void crashKeepsEveryPersistedBatchIncludingTruncations() {
    store.persist(append(sets(1, 5, 1)));
    store.persist(new PersistBatch(new HardState(3, 2), 4, sets(4, 6, 3)));
    store = store.crashAndRecover();
    List<LogEntry> expected = new ArrayList<>(sets(1, 3, 1));
    expected.addAll(sets(4, 6, 3));
    assertEquals(expected, entriesOf(store));
    assertEquals(new HardState(3, 2), store.recover().hardState());
    // The bounds are rebuilt from the recovered log, so appends continue where it ends.
    assertThrows(IllegalArgumentException.class, () -> store.persist(append(sets(8, 8, 3))));
    store.persist(append(sets(7, 7, 3)));
  }

  @Test
  void snapshotInstallAndPurgeAreDurableAtOnceLikeSyncedWrites() {
    List<LogEntry> entries = sets(1, 10, 1);
    store.persist(append(entries));
    store.apply(entries.subList(0, 6));
    // Taking a snapshot makes the unsynced applies durable, as the RocksDB store's WAL sync does.
    SnapshotMeta meta = store.createSnapshot();
    store.purgeLog(4);
    store = store.crashAndRecover();
    assertEquals(6, store.appliedIndex());
    assertEquals(java.util.Optional.of(meta), store.latestSnapshot());
    assertEquals(4, store.recover().baseIndex());
    assertEquals(sets(5, 10, 1), entriesOf(store));

    InMemoryStorage leader = new InMemoryStorage();
    fill(leader, 30);
    leader.createSnapshot();
    transfer(leader, store, 100, false);
    store = store.crashAndRecover();
    assertEquals(leader.snapshotOfKv(), store.snapshotOfKv());
    assertEquals(30, store.appliedIndex());
    assertEquals(30, store.recover().baseIndex());
    assertEquals(ONE, store.recover().baseMembership());
    assertEquals(30, store.latestSnapshot().orElseThrow().index());
  }

  @Test
  void snapshotTimesComeFromTheInjectedClock() {
    store.close();
    store = new InMemoryStorage(() -> 42L);
    store.apply(sets(1, 1, 1));
    assertEquals(42L, store.createSnapshot().createdAtMillis());
  }

  @Test
  void crashedInstanceRefusesFurtherWrites() {
    InMemoryStorage old = store;
    store = store.crashAndRecover();
    assertThrows(StorageException.class, () -> old.persist(append(sets(1, 1, 1))));
    assertThrows(StorageException.class, () -> old.apply(sets(1, 1, 1)));
  }
}
