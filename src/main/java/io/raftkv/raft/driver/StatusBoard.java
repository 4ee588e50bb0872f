package io.raftkv.raft.driver;

import io.raftkv.api.NodeStatus;
import io.raftkv.raft.core.Membership;
import io.raftkv.storage.SnapshotMeta;
import java.util.function.Supplier;

/**
 * The node's latest status, published by the driver after every input so that /health and
 * /metrics can read it from any thread without a round trip through the mailbox. The membership is
 * kept twice, as the core holds it (for peers and bootstrap, which need incarnations) and as
 * clients see it (inside {@link NodeStatus}); both come from one publish, so they never disagree.
 */
public final class StatusBoard {
  /** One publish: a reader sees a status and the membership it was built from, never a mix of two. */
  private record Published(NodeStatus status, Membership membership) {}

  private final LeaderContact leaderContact = new LeaderContact();
  private volatile Published published;
  private volatile SnapshotMeta snapshot;
  private volatile Supplier<String> identityProblem = () -> null;

  /** A board showing {@code initial} with {@code membership} until the node publishes. */
  public StatusBoard(Membership membership, NodeStatus.Builder initial) {
    this.published = new Published(initial.membership(ClientViews.members(membership)).build(), membership);
  }

  /** The latest status, with the node's identity problem if it has one. */
  public NodeStatus get() {
    return published.status().withIdentityProblem(identityProblem.get());
  }

  /** Where {@link #get()} reads the node's identity problem from (see {@link NodeIdentity#problem()}). */
  public void identityProblemFrom(Supplier<String> source) {
    identityProblem = source;
  }

  /** The membership as last published, as the core holds it. */
  public Membership membership() {
    return published.membership();
  }

  /**
   * Publishes {@code status} with {@code membership}. The client view of the membership is only
   * rebuilt when the membership changed, which is rare next to how often the node publishes.
   */
  public void publish(Membership membership, NodeStatus.Builder status) {
    Published last = published;
    NodeStatus s = membership == last.membership() || membership.equals(last.membership())
        ? status.membership(last.status().membership()).build()
        : status.membership(ClientViews.members(membership)).build();
    published = new Published(s, membership);
  }

  /** When the node last heard from its leader, or (as leader) from a majority of voters. */
  public LeaderContact leaderContact() {
    return leaderContact;
  }

  /** The node's latest snapshot, or null. */
  public SnapshotMeta snapshot() {
    return snapshot;
  }

  public void publishSnapshot(SnapshotMeta meta) {
    snapshot = meta;
  }
}
