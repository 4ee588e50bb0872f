package io.raftkv.raft.node;

import io.raftkv.api.WriteOutcome;
import java.net.ConnectException;

/**
 * What a client is told when a write forwarded to the leader fails in the transport. A refused
 * connection means no byte of the request left this node, so the write was certainly not applied
 * and may be retried (503); any other failure (a reset, a deadline, a stream closed mid-call) may
 * come after the leader received it, so its outcome is unknown (504).
 */
final class ForwardFailure {
  private ForwardFailure() {}

  static WriteOutcome outcome(long leader, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return new WriteOutcome.Rejected("the leader (node " + leader + ") refused the connection, so the"
            + " write was never sent to it");
      }
      if (t.getCause() == t) break;
    }
    return new WriteOutcome.Timeout("the leader (node " + leader + ") did not answer the forwarded write: "
        + failure.getMessage() + "; its outcome is unknown");
  }
}
