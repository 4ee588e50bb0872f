package io.raftkv.raft.driver;

import io.raftkv.api.ReadOutcome;

/**
 * The driver's answer to a linearizable read: either the state machine has applied the
 * read's confirmed read index and the query may run now ({@link #GRANTED}), or it will not get
 * there (no leader, timeout) and {@code refusal} is the answer to give. The driver never runs the
 * query itself: a long scan on its thread would hold up heartbeats and elections.
 */
public record ReadPermit(ReadOutcome refusal) {
  public static final ReadPermit GRANTED = new ReadPermit(null);

  public static ReadPermit refused(ReadOutcome refusal) {
    if (refusal == null) throw new IllegalArgumentException("a refusal needs its outcome");
    return new ReadPermit(refusal);
  }

  public boolean granted() {
    return refusal == null;
  }
}
