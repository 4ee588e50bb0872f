package io.raftkv.raft.core;

/**
 * One single-server membership change (thesis §4.1): at most one is in flight at a time, and each
 * takes effect as soon as its CONFIG entry is in a server's log.
 */
public sealed interface ConfChange {
  /** Adds a server that receives the log but does not vote until promoted (thesis §4.2.1). */
  record AddLearner(Member member) implements ConfChange {}

  /** Makes a caught-up learner a voter. */
  record Promote(long nodeId) implements ConfChange {}

  /** Removes a voter or learner. */
  record Remove(long nodeId) implements ConfChange {}

  /** The configuration this change produces from {@code current}, or an error message. */
  static Membership apply(ConfChange change, Membership current) {
    if (change instanceof AddLearner a) {
      if (current.contains(a.member().id())) {
        throw new IllegalArgumentException("node " + a.member().id() + " is already a member");
      }
      return current.withLearner(a.member());
    }
    if (change instanceof Promote p) {
      if (!current.learners().containsKey(p.nodeId())) {
        throw new IllegalArgumentException("node " + p.nodeId() + " is not a learner");
      }
      return current.promote(p.nodeId());
    }
    if (change instanceof Remove r) {
      if (!current.contains(r.nodeId())) {
        throw new IllegalArgumentException("node " + r.nodeId() + " is not a member");
      }
      Membership next = current.without(r.nodeId());
      if (next.voters().isEmpty()) throw new IllegalArgumentException("cannot remove the last voter");
      return next;
    }
    throw new IllegalArgumentException("unknown change " + change);
  }
}
