package io.raftkv.raft.core;

/** What the core did with a client command. */
public sealed interface ProposeResult {
  /** Appended at {@code index} in {@code term}; it is committed once a majority stores it. */
  record Accepted(long index, long term) implements ProposeResult {}

  /** This node does not lead; {@code leaderId} is 0 when no leader is known. */
  record NotLeader(long leaderId) implements ProposeResult {}

  /** This node leads but cannot take the proposal now; {@code reason} says why and what to do. */
  record Rejected(String reason) implements ProposeResult {}
}
