package io.raftkv.api;

import io.raftkv.kv.KvResult;

/** How a proposed write ended, as the HTTP layer (and a forwarding node) needs to report it. */
public sealed interface WriteOutcome {
  /** Committed and applied; {@code result} is what the state machine produced. */
  record Applied(KvResult result) implements WriteOutcome {}

  /**
   * This node is not the leader and did not forward (forwarding is off). The leader is known:
   * HTTP 421 with the rockraft example's message.
   */
  record NotLeader(long leaderId, String leaderHttp) implements WriteOutcome {}

  /** No leader is known right now (election in progress, or no quorum): HTTP 503, retry. */
  record NoLeader(String reason) implements WriteOutcome {}

  /**
   * The write was proposed but its fate is unknown within the deadline: it may still commit.
   * HTTP 504, never reported as failed.
   */
  record Timeout(String reason) implements WriteOutcome {}

  /**
   * The write was certainly not applied (for example the leader lost its term before the entry
   * committed and the entry was overwritten): HTTP 503, safe to retry.
   */
  record Rejected(String reason) implements WriteOutcome {}

  /**
   * The write would add data while the NOSPACE alarm is raised (the data directory is over its
   * quota, on this node or on the leader): HTTP 507. Nothing was proposed; deletes still work.
   */
  record NoSpace(String reason) implements WriteOutcome {}

  /**
   * The leader holds as many proposed but unapplied writes (by count or bytes) as it may: this
   * write was not proposed. HTTP 429 with Retry-After; safe to retry after {@code retryAfterMs}.
   */
  record Overloaded(String reason, long retryAfterMs) implements WriteOutcome {}
}
