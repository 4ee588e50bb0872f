package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftCore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Join, leave and leadership transfer requests as the node sees them, kept apart from {@link RaftDriver} so that the
 * role dispatch only says who handles a request. The leader queues them in {@link
 * MembershipChanges}; a follower forwards them to the leader once (never again, so a request
 * cannot bounce between nodes); and a leader asked to remove itself first hands its leadership
 * over, then sends the request on to the new leader.
 */
final class AdminRequests {
  private record SelfLeave(LeaveRequest request, long deadlineNanos) {}

  private final NodeSettings settings;
  private final RaftCore core;
  private final PeerPort peers;
  private final LongSupplier clock;
  private final Logger log;
  private final Duration adminTimeout;
  private final MembershipChanges membershipChanges;
  private final LeaderTransfers transfers;
  /** Requests for this node to leave, waiting for leadership to move elsewhere. */
  private final List<SelfLeave> selfLeaves = new ArrayList<>();

  AdminRequests(NodeSettings settings, RaftCore core, DriverPorts ports) {
    this.settings = settings;
    this.core = core;
    this.peers = ports.peers();
    this.clock = ports.nanoClock();
    this.log = ports.log();
    this.adminTimeout = settings.adminTimeout();
    // A learner that has not answered for a request timeout (at least an election timeout) is
    // taken as down or unreachable: waiting the whole join bound for it would hold every later
    // membership change behind it.
    long tickMs = Math.max(1, settings.tick().toMillis());
    long silenceTicks = Math.max(settings.raft().electionTicksMax(), settings.requestTimeout().toMillis() / tickMs);
    this.membershipChanges = new MembershipChanges(settings.maxMembers(), silenceTicks, adminTimeout.toNanos());
    // A transfer is bounded like a write: it takes an election, not a data copy.
    this.transfers = new LeaderTransfers(settings.nodeId(), core, clock, log, settings.requestTimeout());
  }

  // ---------------------------------------------------------------- on the leader

  /**
   * A join reaching the leader (from its own clients or forwarded) first has its endpoint vetted
   * (a Hello, {@link PeerPort#vetJoin}); only a node that answers as the one named, and belongs to
   * no other cluster, is queued, with the incarnation it reported.
   */
  void joinAsLeader(JoinRequest j) {
    // The cheap check first: a full cluster refuses at once, without asking the endpoint.
    AdminOutcome full = MembershipChanges.capRefusal(core.membership(), j.member().id(), settings.maxMembers());
    if (full != null) {
      j.replyTo().tell(full);
      return;
    }
    peers.vetJoin(j);
  }

  /** The endpoint's answer is in; queue the join if this node still leads. */
  void onJoinVetted(JoinRequest j, JoinVerdict verdict) {
    if (verdict.refusal() != null) {
      j.replyTo().tell(verdict.refusal());
    } else if (!core.isLeader()) {
      j.replyTo().tell(new AdminOutcome.Unavailable("leadership changed before the join started; retry"));
    } else {
      membershipChanges.join(verdict.member(), j.replyTo(), adminDeadline());
    }
  }

  void leaveAsLeader(LeaveRequest l) {
    if (l.nodeId() == settings.nodeId()) {
      // Checked before leadership moves: a removal the new leader would refuse must not cost
      // this one its leadership.
      ProposeResult.Refused refused =
          core.membership().contains(l.nodeId()) ? core.confChangeRefusal(new ConfChange.Remove(l.nodeId()), l.force()) : null;
      boolean undecided = refused != null
          && refused.rule() == ProposeResult.Refused.Rule.VOTERS_UNREACHABLE
          && !core.ledForAnElectionTimeout(); // too young a leader to tell: the next leader checks again
      if (refused != null && !undecided) {
        l.replyTo().tell(MembershipChanges.outcomeOf(refused));
        return;
      }
      selfLeaves.add(new SelfLeave(l, adminDeadline()));
    } else {
      membershipChanges.leave(l.nodeId(), l.force(), l.replyTo(), adminDeadline());
    }
  }

  /** Moves queued changes along after every input; only a leader carries them out. */
  void drive() {
    if (core.isLeader()) {
      membershipChanges.drive(core, clock.getAsLong());
    } else if (!membershipChanges.isEmpty()) {
      membershipChanges.failAll();
    }
    driveSelfLeaves();
    transfers.drive();
  }

  /**
   * A leader asked to remove itself hands leadership to the most caught-up voter first; once
   * another node leads, the request goes to it like any other.
   */
  private void driveSelfLeaves() {
    if (selfLeaves.isEmpty()) return;
    long now = clock.getAsLong();
    selfLeaves.removeIf(s -> {
      if (now - s.deadlineNanos() <= 0) return false;
      s.request().replyTo().tell(new AdminOutcome.Unavailable("leadership could not be handed over in time; retry"));
      return true;
    });
    if (selfLeaves.isEmpty()) return;
    if (core.isLeader()) {
      if (core.leadTransferee() != 0) return;
      long target = core.mostCaughtUpVoter();
      if (target == 0) {
        for (SelfLeave s : selfLeaves) {
          s.request().replyTo().tell(new AdminOutcome.Invalid(
              "node " + settings.nodeId() + " is the last voter; a cluster cannot remove its last voter"));
        }
        selfLeaves.clear();
        return;
      }
      log.info("handing leadership to node {} before leaving the cluster", target);
      core.transferLeadership(target);
    } else if (core.leaderId() != 0) {
      for (SelfLeave s : selfLeaves) {
        LeaveRequest l = s.request();
        leaveViaLeader(new LeaveRequest(l.nodeId(), l.force(), false, l.replyTo()));
      }
      selfLeaves.clear();
    }
  }

  /** The node is stopping: queued changes learn they will not be carried out here. */
  void failAll() {
    membershipChanges.failAll();
    transfers.failAll();
    for (SelfLeave s : selfLeaves) {
      s.request().replyTo().tell(new AdminOutcome.Unavailable("the node is shutting down; retry at another node"));
    }
    selfLeaves.clear();
  }

  // ---------------------------------------------------------------- on a follower

  void joinViaLeader(JoinRequest j) {
    String leaderAddr = leaderRaftAddr(j.forwarded(), j.replyTo());
    if (leaderAddr != null) peers.forwardJoin(leaderAddr, j.member(), j.replyTo());
  }

  void leaveViaLeader(LeaveRequest l) {
    if (l.nodeId() == settings.nodeId() && !core.membership().contains(l.nodeId())) {
      l.replyTo().tell(new AdminOutcome.Done("Node " + l.nodeId() + " left the cluster successfully"));
      return;
    }
    String leaderAddr = leaderRaftAddr(l.forwarded(), l.replyTo());
    if (leaderAddr != null) peers.forwardLeave(leaderAddr, l.nodeId(), l.force(), l.replyTo());
  }

  /** The leader moves leadership itself; a follower passes the request to the leader, once. */
  void transferLeader(long nodeId, boolean forwarded, Reply<AdminOutcome> replyTo) {
    if (core.isLeader()) {
      transfers.start(nodeId, replyTo);
      return;
    }
    String leaderAddr = leaderRaftAddr(forwarded, replyTo);
    if (leaderAddr != null) peers.forwardTransferLeader(leaderAddr, nodeId, replyTo);
  }

  /** The leader's raft address to forward to, or null after answering that there is none. */
  private String leaderRaftAddr(boolean forwarded, Reply<AdminOutcome> replyTo) {
    long leader = core.leaderId();
    Member m = leader == 0 ? null : core.membership().member(leader);
    if (forwarded || m == null || leader == settings.nodeId()) {
      replyTo.tell(new AdminOutcome.Unavailable(RaftDriver.NO_LEADER));
      return null;
    }
    return m.raftAddr();
  }

  private long adminDeadline() {
    return clock.getAsLong() + adminTimeout.toNanos();
  }
}
