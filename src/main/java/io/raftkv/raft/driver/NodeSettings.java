package io.raftkv.raft.driver;

import io.raftkv.raft.core.LogLimits;
import io.raftkv.raft.core.RaftConfig;
import java.time.Duration;

/**
 * How a node's driver behaves around the core.
 *
 * @param maxBatchEntries most client writes appended together before their Ready is collected:
 *     proposals that queue up while a sync runs share the next one (group commit), up to this
 * @param snapshotIntervalEntries applied entries between automatic snapshots (0: never)
 * @param snapshotKeepLogEntries entries kept in the log behind a snapshot, so a follower that is
 *     only a little behind catches up from the log instead of a whole snapshot
 * @param snapshotChunkBytes data per InstallSnapshot chunk, well under gRPC's message limit
 * @param snapshotIntervalBytes log bytes written since the last snapshot that trigger the next
 *     one (0: no byte trigger)
 * @param logCacheEntries most log entries the core keeps in memory
 * @param logCacheBytes most log payload bytes the core keeps in memory
 * @param maxPendingProposals most writes proposed and not yet applied before new ones get 429
 * @param maxPendingProposalBytes most bytes of such writes
 * @param maxMembers most members (voters and learners) of the cluster
 * @param quotaBackendBytes disk quota of the data directory (0: none)
 */
public record NodeSettings(
    long nodeId,
    String raftAddr,
    String httpAddr,
    RaftConfig raft,
    Duration tick,
    Duration requestTimeout,
    boolean forwardWrites,
    int maxBatchEntries,
    long snapshotIntervalEntries,
    long snapshotKeepLogEntries,
    int snapshotChunkBytes,
    long snapshotIntervalBytes,
    int logCacheEntries,
    long logCacheBytes,
    int maxPendingProposals,
    long maxPendingProposalBytes,
    int maxMembers,
    long quotaBackendBytes) {

  /**
   * How much of the log the core keeps on the heap. Committed entries handed out for applying and
   * not yet applied count against the same byte budget as the cache: both are log in memory.
   */
  public LogLimits logLimits() {
    return new LogLimits(logCacheEntries, logCacheBytes, Math.max(1, logCacheBytes));
  }

  /**
   * How long a join or leave may take on the leader; a join waits for its learner to catch up,
   * which takes as long as the log is big.
   */
  public Duration adminTimeout() {
    return Duration.ofSeconds(110);
  }
}
