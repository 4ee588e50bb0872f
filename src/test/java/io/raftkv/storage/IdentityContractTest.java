package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The identity contract ({@link IdentityStore}): what a node saves about who it is survives
 * restarts and crashes, like the Raft state it lives with.
 */
abstract class IdentityContractTest<S extends RaftLogStore & StateMachineStore & SnapshotStore>
    extends StorageTestSupport<S> {
  @Test
  void identityIsDurableAcrossRestartsAndCrashes() {
    IdentityStore ids = (IdentityStore) store;
    assertEquals(0, ids.incarnation(), "a new store has no incarnation yet");
    assertEquals(0, ids.clusterId(), "nor a cluster");
    ids.saveIncarnation(0x1234_5678_9abcL);
    ids.saveClusterId(-42L);
    store = crash(store);
    assertEquals(0x1234_5678_9abcL, ((IdentityStore) store).incarnation(), "saved identity is synced");
    assertEquals(-42L, ((IdentityStore) store).clusterId());
    store = restart(store);
    assertEquals(0x1234_5678_9abcL, ((IdentityStore) store).incarnation());
    assertEquals(-42L, ((IdentityStore) store).clusterId());
  }
}
