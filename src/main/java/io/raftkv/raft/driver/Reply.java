package io.raftkv.raft.driver;

/**
 * Where the driver sends an answer: a client waiting for its write, a peer waiting for a read
 * index, an operator waiting for a membership change. The driver calls it on its own thread and
 * never waits for it; an implementation must not call back into the driver synchronously (an
 * actor reference's {@code tell} and a simulated network message both qualify).
 */
@FunctionalInterface
public interface Reply<T> {
  void tell(T answer);
}
