package io.raftkv.transport;

/**
 * The leader's answer to a ReadIndex request: on {@link Status#OK} the caller may serve a read
 * once it has applied up to {@code readIndex}.
 */
public record ReadIndexReply(Status status, long readIndex, long leaderId) {
  public enum Status {
    OK,
    NOT_LEADER,
    NO_LEADER,
    TIMEOUT
  }
}
