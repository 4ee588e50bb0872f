package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The snapshot contract ({@link SnapshotStore}, §7): taking a snapshot of the applied state,
 * streaming it in chunks while the node runs on, and installing one atomically, durably and
 * resumably, with a crash at any point leaving either the old state or the new one.
 */
abstract class SnapshotContractTest<S extends RaftLogStore & StateMachineStore & SnapshotStore>
    extends StorageTestSupport<S> {
  // ---- taking and streaming ----

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

  // ---- installing ----

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
}
