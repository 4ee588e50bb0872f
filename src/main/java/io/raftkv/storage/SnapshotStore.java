package io.raftkv.storage;

import java.util.Optional;

/**
 * Snapshots and log compaction (Raft §7). A snapshot is durable and survives restarts; a node
 * keeps only its latest one. Everything here is called from the storage actor, one call at a time,
 * except that a {@link SnapshotSource} may be read on another thread while the node runs on.
 */
public interface SnapshotStore {
  /** Snapshots the applied state (at the current applied index), replacing the previous snapshot. */
  SnapshotMeta createSnapshot();

  /**
   * Rewrites the state machine's files so that the space of deleted and overwritten values is
   * freed now rather than whenever the store gets round to it. Run before a snapshot an operator
   * asks for: a snapshot shares the state machine's files, so compacting after it would leave
   * the old ones alive in the snapshot until the next.
   */
  void compactStateMachine();

  /** The latest snapshot, if there is one. */
  Optional<SnapshotMeta> latestSnapshot();

  /**
   * Opens the latest snapshot for streaming to a peer. It reads a fixed point-in-time copy, so
   * the node may keep applying (and even snapshot again) while it is read.
   */
  SnapshotSource openSnapshot();

  /**
   * Starts receiving a snapshot from the leader into a staging area; the live state is untouched
   * until {@link SnapshotSink#commit}. Any unfinished earlier install is abandoned.
   */
  SnapshotSink beginInstall(SnapshotMeta meta);

  /**
   * Deletes log entries up to {@code uptoIndex}, which must not exceed the latest snapshot's index
   * nor the applied index, and records the new log base (index and term) durably.
   */
  void purgeLog(long uptoIndex);
}
