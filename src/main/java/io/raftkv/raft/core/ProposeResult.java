package io.raftkv.raft.core;

/** What the core did with a client command. */
public sealed interface ProposeResult {
  /** Appended at {@code index} in {@code term}; it is committed once a majority stores it. */
  record Accepted(long index, long term) implements ProposeResult {}

  /** This node does not lead; {@code leaderId} is 0 when no leader is known. */
  record NotLeader(long leaderId) implements ProposeResult {}

  /** This node leads but cannot take the proposal now; {@code reason} says why and what to do. */
  record Rejected(String reason) implements ProposeResult {}

  /**
   * A membership change this leader will not propose as asked; unlike {@link Rejected}, trying
   * the same request again fails the same way until what {@code reason} names has changed.
   */
  record Refused(Rule rule, String reason) implements ProposeResult {
    public enum Rule {
      /** The change does not apply to the current configuration (unknown node, already a member). */
      INVALID,
      /** It would leave fewer than three voters, which the caller must confirm with force. */
      NEEDS_FORCE,
      /** Too few voters of the new configuration answer for it to commit (strict reconfiguration check). */
      VOTERS_UNREACHABLE
    }
  }
}
