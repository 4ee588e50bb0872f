package io.raftkv.transport;

import io.raftkv.raft.core.Membership;

/**
 * A node's answer to Hello: who it is, and the cluster it belongs to ({@link Membership#EMPTY}
 * when it has not joined or bootstrapped one yet). {@code leaderId} is 0 when unknown.
 */
public record PeerInfo(long nodeId, String raftAddr, String httpAddr, Membership membership, long leaderId) {}
