package io.raftkv.raft.node;

import io.raftkv.raft.core.RaftConfig;
import java.time.Duration;

/**
 * How a node's actor shell behaves around the core.
 *
 * @param maxBatchEntries most client writes appended together before their Ready is collected:
 *     proposals that queue up while a sync runs share the next one (group commit), up to this
 */
public record NodeSettings(
    long nodeId,
    String raftAddr,
    String httpAddr,
    RaftConfig raft,
    Duration tick,
    Duration requestTimeout,
    boolean forwardWrites,
    int maxBatchEntries) {}
