package io.raftkv.api;

import io.raftkv.raft.core.Membership;

/**
 * A point-in-time view of one node for /health and /metrics. {@code currentLeader} is 0 when no
 * leader is known; {@code state} is one of Follower, Candidate, Leader, Learner, Shutdown.
 */
public record NodeStatus(
    long nodeId,
    long currentLeader,
    String currentLeaderHttp,
    long currentTerm,
    String state,
    long lastLogIndex,
    long commitIndex,
    long lastAppliedIndex,
    long lastAppliedTerm,
    Membership membership) {

  public boolean isLeader() {
    return nodeId == currentLeader && "Leader".equals(state);
  }
}
