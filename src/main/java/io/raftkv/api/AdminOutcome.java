package io.raftkv.api;

/** How an administrative request (join, leave, leadership transfer, log purge) ended. */
public sealed interface AdminOutcome {
  /** Done, and committed: HTTP 200 with {@code message}. */
  record Done(String message) implements AdminOutcome {}

  /** Leadership is now with {@code leaderId}, as asked: HTTP 200 with {@code leader_id}. */
  record Transferred(long leaderId) implements AdminOutcome {}

  /** Refused as given (unknown node, bad endpoint): HTTP 400. */
  record Invalid(String reason) implements AdminOutcome {}

  /** No leader is known, or the leader cannot take the change now: HTTP 503, retry. */
  record Unavailable(String reason) implements AdminOutcome {}

  /**
   * Refused because it contradicts the cluster's state (the node belongs to another cluster, or
   * an older incarnation of it is still a member): HTTP 409, with what to do instead.
   */
  record Conflict(String reason) implements AdminOutcome {}

  /** Proposed, but not committed in time; the change may still happen: HTTP 504. */
  record Timeout(String reason) implements AdminOutcome {}
}
