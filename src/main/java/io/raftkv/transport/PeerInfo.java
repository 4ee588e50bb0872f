package io.raftkv.transport;

import io.raftkv.raft.core.Membership;

/**
 * A node's answer to Hello: who it is, and the cluster it belongs to ({@link Membership#EMPTY}
 * when it has not joined or bootstrapped one yet). {@code leaderId} is 0 when unknown;
 * {@code clusterId} is 0 while the node belongs to no cluster; {@code incarnation} is the random
 * number the node drew when it first started with empty storage; {@code hasState} tells whether it
 * holds any Raft state (log, term or snapshot).
 */
public record PeerInfo(
    long nodeId,
    String raftAddr,
    String httpAddr,
    Membership membership,
    long leaderId,
    long clusterId,
    long incarnation,
    boolean hasState) {

  /** An answer without identity (a node that does not report one). */
  public PeerInfo(long nodeId, String raftAddr, String httpAddr, Membership membership, long leaderId) {
    this(nodeId, raftAddr, httpAddr, membership, leaderId, 0, 0, !membership.isEmpty());
  }
}
