package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Maps the ways a read or write can end without succeeding (no leader, not the leader, timeout,
 * rejected, overloaded, no space) to statuses and texts. Every endpoint shares these answers; only success bodies
 * differ per endpoint.
 */
final class Outcomes {
  /** The rockraft example's not-leader message; its clients match on it, so it stays verbatim. */
  static final String NOT_LEADER = "This node is not the leader. Current leader: ";

  private final Responses responses;
  private final ErrorMapping errors;

  Outcomes(Responses responses, ErrorMapping errors) {
    this.responses = responses;
    this.errors = errors;
  }

  /** The answer to a read that produced no value: only called for the failure outcomes. */
  Route readFailure(ReadOutcome outcome) {
    if (outcome instanceof ReadOutcome.NoLeader) {
      return complete(
          Responses.retryLater(
              responses.json(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  responses.errorBody(
                      "No leader could confirm a linearizable read ("
                          + ((ReadOutcome.NoLeader) outcome).reason()
                          + "). Retry in a moment, or add consistency=local for a possibly stale"
                          + " read from this node"))));
    }
    if (outcome instanceof ReadOutcome.Timeout) {
      return responses.error(
          StatusCodes.GATEWAY_TIMEOUT,
          "The linearizable read timed out ("
              + ((ReadOutcome.Timeout) outcome).reason()
              + "). Retry, or add consistency=local for a possibly stale read from this node");
    }
    return errors.internalError(new IllegalStateException("unexpected read outcome " + outcome));
  }

  /** The answer to a write that was not applied: only called for the failure outcomes. */
  Route writeFailure(WriteOutcome outcome) {
    if (outcome instanceof WriteOutcome.NotLeader) {
      WriteOutcome.NotLeader n = (WriteOutcome.NotLeader) outcome;
      ObjectNode body = responses.errorBody(NOT_LEADER + n.leaderId());
      body.put("leader_id", n.leaderId());
      if (n.leaderHttp() != null && !n.leaderHttp().isBlank()) {
        body.put("leader_http", n.leaderHttp());
      }
      return complete(responses.json(StatusCodes.MISDIRECTED_REQUEST, body));
    }
    if (outcome instanceof WriteOutcome.NoLeader) {
      // The error text stays the rockraft example's; what to do goes in "hint" so clients
      // matching that message keep working.
      ObjectNode body = responses.errorBody(NOT_LEADER + "unknown");
      body.put(
          "hint",
          "No leader is known right now ("
              + ((WriteOutcome.NoLeader) outcome).reason()
              + "). The write was not applied; retry in a moment, an election usually takes"
              + " about a second");
      return complete(Responses.retryLater(responses.json(StatusCodes.SERVICE_UNAVAILABLE, body)));
    }
    if (outcome instanceof WriteOutcome.Rejected) {
      return complete(
          Responses.retryLater(
              responses.json(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  responses.errorBody(
                      "The write was not applied ("
                          + ((WriteOutcome.Rejected) outcome).reason()
                          + "). It is safe to retry"))));
    }
    if (outcome instanceof WriteOutcome.Overloaded o) {
      long seconds = Math.max(1, (o.retryAfterMs() + 999) / 1000);
      return complete(responses
          .json(StatusCodes.TOO_MANY_REQUESTS, responses.errorBody(o.reason()))
          .addHeader(RawHeader.create("Retry-After", Long.toString(seconds))));
    }
    if (outcome instanceof WriteOutcome.Timeout) {
      // Never "failed": the entry may already sit in the log and commit later (§8 of the
      // paper: a client must not assume a timed-out command did not execute).
      return responses.error(
          StatusCodes.GATEWAY_TIMEOUT,
          "The write timed out and its outcome is unknown ("
              + ((WriteOutcome.Timeout) outcome).reason()
              + "): it may still be applied. Read the key to see whether it was before retrying");
    }
    if (outcome instanceof WriteOutcome.NoSpace) {
      // 507 Insufficient Storage: not the client's mistake and not transient, so no Retry-After;
      // the text says how to free space.
      return responses.error(
          StatusCodes.INSUFFICIENT_STORAGE,
          "The write was not applied: " + ((WriteOutcome.NoSpace) outcome).reason());
    }
    return errors.internalError(new IllegalStateException("unexpected write outcome " + outcome));
  }
}
