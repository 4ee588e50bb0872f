package io.raftkv.api;

import io.raftkv.raft.core.Membership;

/**
 * A point-in-time view of one node for /health and /metrics. {@code currentLeader} is 0 when no
 * leader is known; {@code state} is one of Follower, Candidate, Leader, Learner, Shutdown.
 * {@code identityProblem} says why this node's identity keeps it out of its cluster (a member whose
 * storage was wiped, still known to its peers as its previous incarnation), or is null.
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
    Membership membership,
    String identityProblem) {

  /** A status with no identity problem. */
  public NodeStatus(
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
    this(nodeId, currentLeader, currentLeaderHttp, currentTerm, state, lastLogIndex, commitIndex,
        lastAppliedIndex, lastAppliedTerm, membership, null);
  }

  /** This status with {@code problem} as its identity problem. */
  public NodeStatus withIdentityProblem(String problem) {
    return java.util.Objects.equals(problem, identityProblem) ? this : new NodeStatus(nodeId, currentLeader,
        currentLeaderHttp, currentTerm, state, lastLogIndex, commitIndex, lastAppliedIndex, lastAppliedTerm,
        membership, problem);
  }

  public boolean isLeader() {
    return nodeId == currentLeader && "Leader".equals(state);
  }
}
