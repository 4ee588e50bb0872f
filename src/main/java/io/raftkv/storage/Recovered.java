package io.raftkv.storage;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.StoredLog;

/**
 * What a node finds on its disk at start: synced hard state, the shape of the log (its bounds,
 * term runs and CONFIG entries; entries up to its base were compacted into a snapshot), how far
 * the state machine applied, and the membership in force at the base ({@link Membership#EMPTY}
 * when nothing was compacted). The log's entries are not loaded: the core reads them from the
 * store ({@link RaftLogStore#read}) when it needs them.
 *
 * @param snapshotIndex the index of the latest snapshot (0 when there is none)
 * @param appliedBytesSinceSnapshot {@link io.raftkv.raft.core.LogEntry#sizeBytes()} of the
 *     entries applied after the latest snapshot, so the byte trigger of the next automatic
 *     snapshot counts on from what is on disk rather than from zero
 */
public record Recovered(
    HardState hardState,
    StoredLog storedLog,
    long appliedIndex,
    long appliedTerm,
    Membership baseMembership,
    long snapshotIndex,
    long appliedBytesSinceSnapshot) {

  public long baseIndex() {
    return storedLog.baseIndex();
  }

  public long baseTerm() {
    return storedLog.baseTerm();
  }

  public long lastIndex() {
    return storedLog.lastIndex();
  }

  /** Entries applied after the latest snapshot, for the entry trigger of the next one. */
  public long appliedEntriesSinceSnapshot() {
    return Math.max(0, appliedIndex - snapshotIndex);
  }

  public boolean isEmpty() {
    return hardState.term() == 0 && storedLog.lastIndex() == 0 && storedLog.baseIndex() == 0;
  }
}
