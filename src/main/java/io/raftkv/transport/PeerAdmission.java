package io.raftkv.transport;

import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;

/**
 * Which peer messages a node lets through, decided from the message's {@link PeerStamp} alone.
 * Pure: the caller supplies this node's identity and current membership.
 *
 * <p>A message is refused when it
 * <ul>
 *   <li>names another sender or receiver in its body than in its header (a forged or garbled
 *       message);
 *   <li>is addressed to another node id, or to another incarnation of this node: a node whose
 *       disk was wiped must not answer, and above all not vote, as the member it used to be,
 *       since it has forgotten what that member promised (its vote, its log: §5.2, §5.4);
 *   <li>comes from another cluster, or carries no cluster at all;
 *   <li>comes from a node that is not a member of this node's configuration (except a leader's
 *       AppendEntries or InstallSnapshot, see below), or from a member with another incarnation
 *       than the one the configuration records (a wiped voter's vote or acknowledgement must not
 *       count towards a quorum).
 * </ul>
 * A node with no cluster yet (cluster id 0) accepts only what is addressed to its own id and
 * incarnation; it cannot check the sender, since it knows no members. (Members whose data was
 * written before cluster ids existed also have none, and keep talking among themselves.) The sender is also not
 * checked while this node's configuration is still empty: a learner being added hears from the
 * leader before the configuration that lists the leader reaches it.
 *
 * <p>Responses obey the same rules, with the receiver being the node that sent the request.
 */
public final class PeerAdmission {
  private PeerAdmission() {}

  /** This node's side of the check. */
  public record Self(long nodeId, long incarnation, long clusterId) {}

  /** Null to admit, else the reason for refusing. */
  public static String admit(Self self, Membership membership, PeerStamp s, long from, long to) {
    return admit(self, membership, s, from, to, false);
  }

  /**
   * As {@link #admit(Self, Membership, PeerStamp, long, long)}. {@code fromLeader}: the message
   * is one only a leader sends (AppendEntries, InstallSnapshot). Such a message is admitted from a
   * sender this node's configuration does not list, provided it comes from this cluster and is
   * addressed to this very incarnation: a member that was down while the current leader joined
   * still holds the older configuration, and only the leader's messages can bring it the newer
   * one (§5.1: a server accepts AppendEntries from any leader of a current term). A sender listed
   * with another incarnation is still refused.
   */
  public static String admit(Self self, Membership membership, PeerStamp s, long from, long to, boolean fromLeader) {
    if (s == null) return "the message has no peer header";
    if (s.fromId() != from) {
      return "the header names node " + s.fromId() + " as sender but the message node " + from;
    }
    if (s.toId() != to) return "the header names node " + s.toId() + " as receiver but the message node " + to;
    if (s.toId() != self.nodeId()) {
      return "the message is addressed to node " + s.toId() + " but this is node " + self.nodeId();
    }
    if (s.toIncarnation() != self.incarnation() && !(s.toIncarnation() == 0 && selfIncarnationUnknown(self, membership))) {
      return "the message is addressed to incarnation " + hex(s.toIncarnation()) + " of node " + self.nodeId()
          + ", but this node is incarnation " + hex(self.incarnation())
          + " (its storage was wiped or replaced since it became a member)";
    }
    if (self.clusterId() == 0) {
      // No cluster to compare with: a node that has not joined yet, or a member whose data
      // predates cluster ids (a whole such cluster runs without them until it is rebuilt).
      return null;
    }
    if (s.clusterId() == 0) return "the message carries no cluster id";
    if (s.clusterId() != self.clusterId()) {
      return "the message comes from cluster " + hex(s.clusterId()) + " but this node belongs to cluster "
          + hex(self.clusterId());
    }
    if (membership == null || membership.isEmpty()) return null;
    Member sender = membership.member(s.fromId());
    if (sender == null) return fromLeader ? null : "node " + s.fromId() + " is not a member of this cluster";
    if (!sender.isIncarnation(s.fromIncarnation())) {
      return "node " + s.fromId() + " is a member as incarnation " + hex(sender.incarnation())
          + " but the message comes from incarnation " + hex(s.fromIncarnation())
          + " (its storage was wiped or replaced): remove it with /leave so it can join again";
    }
    return null;
  }

  /**
   * True when the refusal {@code s} earns is that it is addressed to an older incarnation of this
   * very node: peers still know this node as the member it was before its storage was wiped.
   */
  public static boolean addressedToOldSelf(Self self, PeerStamp s) {
    return s != null && s.toId() == self.nodeId() && s.toIncarnation() != 0 && s.toIncarnation() != self.incarnation();
  }

  /** Membership written before incarnations existed records 0 for this node: accept 0 then. */
  private static boolean selfIncarnationUnknown(Self self, Membership membership) {
    if (membership == null) return false;
    Member me = membership.member(self.nodeId());
    return me != null && me.incarnation() == 0;
  }

  static String hex(long v) {
    return Long.toUnsignedString(v, 16);
  }
}
