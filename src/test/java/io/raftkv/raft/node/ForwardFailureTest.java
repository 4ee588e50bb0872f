package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.raftkv.api.WriteOutcome;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ForwardFailureTest {
  @Test
  void aRefusedConnectionIsADefiniteFailure() {
    Throwable refused = new CompletionException(Status.UNAVAILABLE.withDescription("io exception")
        .withCause(new ConnectException("Connection refused")).asRuntimeException());
    WriteOutcome.Rejected r = assertInstanceOf(WriteOutcome.Rejected.class, ForwardFailure.outcome(2, refused));
    assertTrue(r.reason().contains("never sent"), r.reason());
  }

  @Test
  void anyOtherFailureLeavesTheOutcomeUnknown() {
    Throwable reset = Status.UNAVAILABLE.withDescription("Network closed for unknown reason")
        .withCause(new IOException("Connection reset by peer")).asRuntimeException();
    WriteOutcome.Timeout t = assertInstanceOf(WriteOutcome.Timeout.class, ForwardFailure.outcome(2, reset));
    assertTrue(t.reason().contains("outcome is unknown"), t.reason());
    assertInstanceOf(WriteOutcome.Timeout.class,
        ForwardFailure.outcome(2, Status.DEADLINE_EXCEEDED.asRuntimeException()));
  }
}
