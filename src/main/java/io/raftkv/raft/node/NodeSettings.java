package io.raftkv.raft.node;

import io.raftkv.raft.core.RaftConfig;
import java.time.Duration;

/**
 * How a node's actor shell behaves around the core.
 *
 * @param maxBatchEntries most client writes appended together before their Ready is collected:
 *     proposals that queue up while a sync runs share the next one (group commit), up to this
 * @param snapshotIntervalEntries applied entries between automatic snapshots (0: never)
 * @param snapshotKeepLogEntries entries kept in the log behind a snapshot, so a follower that is
 *     only a little behind catches up from the log instead of a whole snapshot
 * @param snapshotChunkBytes data per InstallSnapshot chunk, well under gRPC's message limit
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
    int snapshotChunkBytes) {}
