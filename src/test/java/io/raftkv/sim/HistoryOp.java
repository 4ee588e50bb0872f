package io.raftkv.sim;

import io.raftkv.sim.ClientMessages.ClientOp;

/**
 * One client operation as the outside world saw it, in a neutral form that any linearizability
 * checker can be adapted to: input, output, call and return times (virtual milliseconds).
 * An operation whose outcome is unknown never returns; one that definitely had no effect is
 * marked failed, so an adapter can leave it out.
 */
final class HistoryOp {
  enum Outcome {
    PENDING,
    OK,
    UNKNOWN,
    FAILED
  }

  final long opId;
  final int clientId;
  final ClientOp input;
  final long callTime;
  long returnTime = Long.MAX_VALUE;
  /** For a get the value read, for a write the value it replaced; null means absent. */
  String output;
  Outcome outcome = Outcome.PENDING;

  HistoryOp(long opId, int clientId, ClientOp input, long callTime) {
    this.opId = opId;
    this.clientId = clientId;
    this.input = input;
    this.callTime = callTime;
  }

  @Override
  public String toString() {
    return "op" + opId + "/c" + clientId + " " + input.kind() + "(" + input.key()
        + (input.value() == null ? "" : "=" + input.value()) + ") -> " + outcome
        + (outcome == Outcome.OK ? " " + output : "") + " [" + callTime + ", "
        + (returnTime == Long.MAX_VALUE ? "inf" : Long.toString(returnTime)) + "]";
  }
}
