package io.raftkv.api;

import java.util.Objects;

/**
 * A point-in-time view of one node for /health and /metrics. {@code currentLeader} is 0 when no
 * leader is known; {@code state} is one of Follower, Candidate, Leader, Learner, Shutdown.
 * {@code identityProblem} says why this node's identity keeps it out of its cluster (a member whose
 * storage was wiped, still known to its peers as its previous incarnation), or is null.
 *
 * <p>Built by name through {@link #builder()}: eleven positional values of which nine are numbers
 * would be too easy to swap unnoticed.
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
    ClusterMembers membership,
    String identityProblem) {

  public NodeStatus {
    Objects.requireNonNull(state, "state");
    if (membership == null) membership = ClusterMembers.EMPTY;
  }

  /** A status of a follower that knows nothing yet; set what differs. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this status. */
  public Builder toBuilder() {
    return new Builder()
        .nodeId(nodeId)
        .currentLeader(currentLeader)
        .currentLeaderHttp(currentLeaderHttp)
        .currentTerm(currentTerm)
        .state(state)
        .lastLogIndex(lastLogIndex)
        .commitIndex(commitIndex)
        .lastAppliedIndex(lastAppliedIndex)
        .lastAppliedTerm(lastAppliedTerm)
        .membership(membership)
        .identityProblem(identityProblem);
  }

  /** This status with {@code problem} as its identity problem. */
  public NodeStatus withIdentityProblem(String problem) {
    return Objects.equals(problem, identityProblem) ? this : toBuilder().identityProblem(problem).build();
  }

  public boolean isLeader() {
    return nodeId == currentLeader && "Leader".equals(state);
  }

  /** Names each field of a {@link NodeStatus}; unset fields are 0, empty, "Follower" or null. */
  public static final class Builder {
    private long nodeId;
    private long currentLeader;
    private String currentLeaderHttp = "";
    private long currentTerm;
    private String state = "Follower";
    private long lastLogIndex;
    private long commitIndex;
    private long lastAppliedIndex;
    private long lastAppliedTerm;
    private ClusterMembers membership = ClusterMembers.EMPTY;
    private String identityProblem;

    private Builder() {}

    public Builder nodeId(long v) {
      nodeId = v;
      return this;
    }

    /** 0 when no leader is known. */
    public Builder currentLeader(long v) {
      currentLeader = v;
      return this;
    }

    public Builder currentLeaderHttp(String v) {
      currentLeaderHttp = v;
      return this;
    }

    public Builder currentTerm(long v) {
      currentTerm = v;
      return this;
    }

    public Builder state(String v) {
      state = v;
      return this;
    }

    public Builder lastLogIndex(long v) {
      lastLogIndex = v;
      return this;
    }

    public Builder commitIndex(long v) {
      commitIndex = v;
      return this;
    }

    public Builder lastAppliedIndex(long v) {
      lastAppliedIndex = v;
      return this;
    }

    public Builder lastAppliedTerm(long v) {
      lastAppliedTerm = v;
      return this;
    }

    public Builder membership(ClusterMembers v) {
      membership = v;
      return this;
    }

    public Builder identityProblem(String v) {
      identityProblem = v;
      return this;
    }

    public NodeStatus build() {
      return new NodeStatus(nodeId, currentLeader, currentLeaderHttp, currentTerm, state, lastLogIndex, commitIndex,
          lastAppliedIndex, lastAppliedTerm, membership, identityProblem);
    }
  }
}
