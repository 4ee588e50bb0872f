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
   * Like {@link #beginInstall}, except that an unfinished install of the same snapshot (same
   * index and term) begun for the same {@code leaderTerm} is returned as it is, with the chunks
   * it already holds, so a transfer that broke off resumes instead of starting over. The leader's
   * term is part of the identity because only one leader can send in a term, so the chunk
   * boundaries of both transfers are the same; any other unfinished install is abandoned. The
   * install takes {@code meta} as given last (a leader's probe does not carry the membership;
   * the transfer that follows it does, and its meta is the one committed). Staged
   * chunks do not survive a restart: the staging area is dropped when the store opens.
   */
  SnapshotSink resumeInstall(SnapshotMeta meta, long leaderTerm);

  /**
   * Deletes log entries up to {@code uptoIndex}, which must not exceed the latest snapshot's index
   * nor the applied index, and records the new log base (index and term) durably.
   */
  void purgeLog(long uptoIndex);
}
