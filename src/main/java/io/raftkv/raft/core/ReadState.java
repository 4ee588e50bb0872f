package io.raftkv.raft.core;

/**
 * The outcome of a ReadIndex request (thesis §6.4): once the node has applied up to
 * {@code readIndex}, a read for {@code requestId} is linearizable. A negative readIndex means the
 * leader lost its leadership before confirming it; the client should retry.
 */
public record ReadState(long requestId, long readIndex) {
  public boolean failed() {
    return readIndex < 0;
  }
}
