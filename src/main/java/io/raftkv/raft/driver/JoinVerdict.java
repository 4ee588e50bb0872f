package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.Member;

/**
 * What the check of a joining node's endpoint found: either the member to add ({@code member},
 * with the incarnation the node reported) or the answer to give ({@code refusal}).
 */
public record JoinVerdict(Member member, AdminOutcome refusal) {
  public static JoinVerdict accept(Member member) {
    return new JoinVerdict(member, null);
  }

  public static JoinVerdict refuse(AdminOutcome refusal) {
    return new JoinVerdict(null, refusal);
  }
}
