package io.raftkv.raft.driver;

import io.raftkv.api.NodeStatus;

/**
 * The node's latest status, published by the driver after every input so that /health and
 * /metrics can read it from any thread without a round trip through the mailbox.
 */
public final class StatusBoard {
  private volatile NodeStatus status;
  private volatile io.raftkv.storage.SnapshotMeta snapshot;
  private final LeaderContact leaderContact = new LeaderContact();

  public StatusBoard(NodeStatus initial) {
    this.status = initial;
  }

  private volatile java.util.function.Supplier<String> identityProblem = () -> null;

  public NodeStatus get() {
    return status.withIdentityProblem(identityProblem.get());
  }

  /** Where {@link #get()} reads the node's identity problem from (see {@link NodeIdentity#problem()}). */
  public void identityProblemFrom(java.util.function.Supplier<String> source) {
    identityProblem = source;
  }

  /** The membership as last published (read without the identity overlay of {@link #get()}). */
  public io.raftkv.raft.core.Membership membership() {
    return status.membership();
  }

  public void publish(NodeStatus s) {
    status = s;
  }

  /** When the node last heard from its leader, or (as leader) from a majority of voters. */
  public LeaderContact leaderContact() {
    return leaderContact;
  }

  /** The node's latest snapshot, or null. */
  public io.raftkv.storage.SnapshotMeta snapshot() {
    return snapshot;
  }

  public void publishSnapshot(io.raftkv.storage.SnapshotMeta meta) {
    snapshot = meta;
  }
}
