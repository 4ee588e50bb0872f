package io.raftkv.raft.core;

/** The roles of §5.1, plus the pre-candidate phase of PreVote (thesis §9.6). */
public enum Role {
  FOLLOWER("Follower"),
  PRE_CANDIDATE("Candidate"),
  CANDIDATE("Candidate"),
  LEADER("Leader");

  private final String displayName;

  Role(String displayName) {
    this.displayName = displayName;
  }

  /** The name shown in /health and /metrics. */
  public String displayName() {
    return displayName;
  }
}
