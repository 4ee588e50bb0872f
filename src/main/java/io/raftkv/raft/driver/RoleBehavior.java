package io.raftkv.raft.driver;

import io.raftkv.raft.core.Role;

/**
 * The three ways a node treats client requests, one per Raft role (Figure 2 of the paper): a
 * leader serves them, a follower passes them to its leader, a candidate has no leader to offer.
 * Pre-candidates and candidates alike know no leader. The node actor has one behavior for each.
 */
public enum RoleBehavior {
  FOLLOWER,
  CANDIDATE,
  LEADER;

  public static RoleBehavior of(Role role) {
    return switch (role) {
      case LEADER -> LEADER;
      case FOLLOWER -> FOLLOWER;
      default -> CANDIDATE;
    };
  }
}
