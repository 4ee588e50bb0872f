package io.raftkv.raft.node;

import io.raftkv.raft.core.RaftConfig;
import java.time.Duration;

/** How a node's actor shell behaves around the core. */
public record NodeSettings(
    long nodeId,
    String raftAddr,
    String httpAddr,
    RaftConfig raft,
    Duration tick,
    Duration requestTimeout,
    boolean forwardWrites) {}
