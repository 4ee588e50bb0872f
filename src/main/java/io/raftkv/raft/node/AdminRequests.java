package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Join and leave requests as the node sees them, kept apart from {@link RaftNode} so that the
 * role behaviors only say who handles a request. The leader queues them in
 * {@link MembershipChanges}; a follower forwards them to the leader once (never again, so a
 * request cannot bounce between nodes); and a leader asked to remove itself first hands its
 * leadership over, then sends the request on to the new leader. Runs only on the node actor's
 * thread.
 */
final class AdminRequests {
  private final ActorContext<RaftNode.Command> ctx;
  private final NodeSettings settings;
  private final RaftCore core;
  private final Transport transport;
  private final MembershipChanges membershipChanges;
  /** Requests for this node to leave, waiting for leadership to move elsewhere. */
  private final List<RaftNode.Leave> selfLeaves = new ArrayList<>();
  private final List<Long> selfLeaveDeadlines = new ArrayList<>();

  /** Null when joins are not vetted (nodes without an identity, in tests of other things). */
  private final JoinVetting vetting;

  AdminRequests(
      ActorContext<RaftNode.Command> ctx, NodeSettings settings, RaftCore core, Transport transport, JoinVetting vetting) {
    this.ctx = ctx;
    this.settings = settings;
    this.core = core;
    this.transport = transport;
    this.vetting = vetting;
    // A learner that has not answered for a request timeout (at least an election timeout) is
    // taken as down or unreachable: waiting the whole join bound for it would hold every later
    // membership change behind it.
    long tickMs = Math.max(1, settings.tick().toMillis());
    long silenceTicks = Math.max(settings.raft().electionTicksMax(), settings.requestTimeout().toMillis() / tickMs);
    this.membershipChanges = new MembershipChanges(settings.maxMembers(), silenceTicks, settings.adminTimeout().toNanos());
  }

  // ---------------------------------------------------------------- on the leader

  /**
   * A join reaching the leader (from its own clients or forwarded) first has its endpoint vetted
   * ({@link JoinVetting}); only a node that answers as the one named, and belongs to no other
   * cluster, is queued, with the incarnation it reported.
   */
  void joinAsLeader(RaftNode.Join j) {
    // The cheap check first: a full cluster refuses at once, without asking the endpoint.
    AdminOutcome full = MembershipChanges.capRefusal(core.membership(), j.member().id(), settings.maxMembers());
    if (full != null) {
      j.replyTo().tell(full);
      return;
    }
    if (vetting == null) {
      membershipChanges.join(j.member(), j.replyTo(), adminDeadline());
      return;
    }
    ctx.pipeToSelf(vetting.vet(j.member()), (verdict, failure) -> new RaftNode.JoinVetted(
        j, verdict != null ? verdict
            : new JoinVetting.Verdict(null, new AdminOutcome.Unavailable("the join check failed: " + failure + "; retry"))));
  }

  /** The endpoint's answer is in; queue the join if this node still leads. */
  void onJoinVetted(RaftNode.JoinVetted v) {
    if (v.verdict().refusal() != null) {
      v.join().replyTo().tell(v.verdict().refusal());
    } else if (!core.isLeader()) {
      v.join().replyTo().tell(new AdminOutcome.Unavailable("leadership changed before the join started; retry"));
    } else {
      membershipChanges.join(v.verdict().member(), v.join().replyTo(), adminDeadline());
    }
  }

  void leaveAsLeader(RaftNode.Leave l) {
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
      selfLeaves.add(l);
      selfLeaveDeadlines.add(adminDeadline());
    } else {
      membershipChanges.leave(l.nodeId(), l.force(), l.replyTo(), adminDeadline());
    }
  }

  /** Moves queued changes along after every input; only a leader carries them out. */
  void drive() {
    if (core.isLeader()) {
      membershipChanges.drive(core, System.nanoTime());
    } else if (!membershipChanges.isEmpty()) {
      membershipChanges.failAll();
    }
    driveSelfLeaves();
  }

  /**
   * A leader asked to remove itself hands leadership to the most caught-up voter first; once
   * another node leads, the request goes to it like any other.
   */
  private void driveSelfLeaves() {
    if (selfLeaves.isEmpty()) return;
    long now = System.nanoTime();
    for (int i = selfLeaves.size() - 1; i >= 0; i--) {
      if (now - selfLeaveDeadlines.get(i) > 0) {
        selfLeaves.remove(i).replyTo().tell(new AdminOutcome.Unavailable(
            "leadership could not be handed over in time; retry"));
        selfLeaveDeadlines.remove(i);
      }
    }
    if (selfLeaves.isEmpty()) return;
    if (core.isLeader()) {
      if (core.leadTransferee() != 0) return;
      long target = core.mostCaughtUpVoter();
      if (target == 0) {
        for (RaftNode.Leave l : selfLeaves) {
          l.replyTo().tell(new AdminOutcome.Invalid(
              "node " + settings.nodeId() + " is the last voter; a cluster cannot remove its last voter"));
        }
        selfLeaves.clear();
        selfLeaveDeadlines.clear();
        return;
      }
      ctx.getLog().info("handing leadership to node {} before leaving the cluster", target);
      core.transferLeadership(target);
    } else if (core.leaderId() != 0) {
      for (RaftNode.Leave l : selfLeaves) leaveViaLeader(new RaftNode.Leave(l.nodeId(), l.force(), false, l.replyTo()));
      selfLeaves.clear();
      selfLeaveDeadlines.clear();
    }
  }

  /** The node is stopping: queued changes learn they will not be carried out here. */
  void failAll() {
    membershipChanges.failAll();
  }

  // ---------------------------------------------------------------- on a follower

  void joinViaLeader(RaftNode.Join j) {
    forwardAdmin(j.forwarded(), j.replyTo(), addr -> transport.join(addr, j.member(), true));
  }

  void leaveViaLeader(RaftNode.Leave l) {
    if (l.nodeId() == settings.nodeId() && !core.membership().contains(l.nodeId())) {
      l.replyTo().tell(new AdminOutcome.Done("Node " + l.nodeId() + " left the cluster successfully"));
      return;
    }
    forwardAdmin(l.forwarded(), l.replyTo(), addr -> transport.leave(addr, l.nodeId(), l.force(), true));
  }

  private void forwardAdmin(
      boolean forwarded,
      ActorRef<AdminOutcome> replyTo,
      Function<String, CompletionStage<AdminOutcome>> call) {
    long leader = core.leaderId();
    Member m = leader == 0 ? null : core.membership().member(leader);
    if (forwarded || m == null || leader == settings.nodeId()) {
      replyTo.tell(new AdminOutcome.Unavailable(RaftNode.noLeaderText()));
      return;
    }
    ctx.pipeToSelf(call.apply(m.raftAddr()), (outcome, failure) -> new RaftNode.AdminForwardDone(
        failure == null
            ? outcome
            : new AdminOutcome.Timeout("the leader (node " + leader + ") did not answer: " + failure.getMessage()
                + "; the change may still happen, check GET /members"),
        replyTo));
  }

  private long adminDeadline() {
    return System.nanoTime() + settings.adminTimeout().toNanos();
  }
}
