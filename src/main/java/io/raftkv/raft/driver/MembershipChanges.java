package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftCore;
import java.util.ArrayDeque;

/**
 * The leader's queue of join and leave requests, carried out one server change at a time
 * (thesis §4.1). A join adds the node as a learner, waits until it has caught up with the commit
 * index, then promotes it (thesis §4.2.1), so a new, empty server never counts towards a majority
 * it cannot yet help form. A join that fails once its learner is in the configuration (the node
 * does not answer, or does not catch up in time) removes the learner again, and so does the
 * leader for any learner that stays silent with no join under way, so an unreachable learner
 * neither holds a member slot nor the queue for good. Driven by {@link #drive} after every input
 * while this node leads.
 */
final class MembershipChanges {
  private enum Stage {
    START,
    WAIT_LEARNER_COMMIT,
    CATCH_UP,
    WAIT_COMMIT
  }

  private static final class Job {
    final Member joining; // null for a leave
    final long leavingId;
    final boolean force;
    /** Null for a removal the leader started itself to clean up after a failed join. */
    final Reply<AdminOutcome> replyTo;
    final long deadlineNanos;
    Stage stage = Stage.START;
    long waitIndex;
    long waitTerm;

    Job(Member joining, long leavingId, boolean force, Reply<AdminOutcome> replyTo, long deadlineNanos) {
      this.joining = joining;
      this.leavingId = leavingId;
      this.force = force;
      this.replyTo = replyTo;
      this.deadlineNanos = deadlineNanos;
    }

    long nodeId() {
      return joining != null ? joining.id() : leavingId;
    }

    void answer(AdminOutcome outcome) {
      if (replyTo != null) replyTo.tell(outcome);
    }
  }

  private final ArrayDeque<Job> queue = new ArrayDeque<>();
  private final int maxMembers;
  private final long learnerSilenceTicks;
  private final long cleanupNanos;

  /**
   * @param maxMembers most voters and learners the cluster may have; a join beyond it is refused
   * @param learnerSilenceTicks how long (in core ticks) a learner may go without answering the
   *     leader before its join is given up and it is removed
   * @param cleanupNanos how long the removal of a failed join's learner may take to start
   */
  MembershipChanges(int maxMembers, long learnerSilenceTicks, long cleanupNanos) {
    this.maxMembers = maxMembers;
    this.learnerSilenceTicks = learnerSilenceTicks;
    this.cleanupNanos = cleanupNanos;
  }

  void join(Member member, Reply<AdminOutcome> replyTo, long deadlineNanos) {
    queue.add(new Job(member, 0, false, replyTo, deadlineNanos));
  }

  void leave(long nodeId, boolean force, Reply<AdminOutcome> replyTo, long deadlineNanos) {
    queue.add(new Job(null, nodeId, force, replyTo, deadlineNanos));
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Moves the head request as far as it can go now; finished requests are answered. */
  void drive(RaftCore core, long nowNanos) {
    while (!queue.isEmpty()) {
      Job job = queue.peek();
      if (job.joining != null && job.stage == Stage.CATCH_UP && core.silentTicks(job.nodeId()) >= learnerSilenceTicks) {
        queue.poll();
        failJoin(job, "it has not answered the leader since it was added (it is down, or unreachable at "
            + job.joining.raftAddr() + ")", nowNanos);
        continue;
      }
      if (nowNanos - job.deadlineNanos > 0) {
        queue.poll();
        if (job.joining != null && (job.stage == Stage.WAIT_LEARNER_COMMIT || job.stage == Stage.CATCH_UP)) {
          failJoin(job, "it did not catch up with the leader's log in time", nowNanos);
        } else {
          job.answer(job.stage == Stage.START
              ? new AdminOutcome.Unavailable("the membership change could not start in time; retry")
              : new AdminOutcome.Timeout("the membership change did not complete in time; it may still"
                  + " complete, check GET /members"));
        }
        continue;
      }
      AdminOutcome done = step(core, job, nowNanos);
      if (done == null) return; // waiting: later inputs move it on
      queue.poll();
      job.answer(done);
    }
    removeSilentLearners(core, nowNanos);
  }

  /** Answers every queued request: this node stopped leading, so another must take them. */
  void failAll() {
    for (Job job : queue) {
      job.answer(job.stage == Stage.START
          ? new AdminOutcome.Unavailable("leadership changed before the membership change started; retry")
          : new AdminOutcome.Timeout("leadership changed during the membership change; it may still"
              + " complete, check GET /members"));
    }
    queue.clear();
  }

  /** The answer to a change the core refuses as asked. */
  static AdminOutcome outcomeOf(ProposeResult.Refused refused) {
    return refused.rule() == ProposeResult.Refused.Rule.VOTERS_UNREACHABLE
        ? new AdminOutcome.Unavailable(refused.reason())
        : new AdminOutcome.Invalid(refused.reason());
  }

  /**
   * A join whose learner is in the configuration but will not become a voter: the client learns
   * why, and the learner's removal goes first in the queue, to be proposed as soon as no other
   * change is in flight (an uncommitted AddLearner included).
   */
  private void failJoin(Job job, String why, long nowNanos) {
    long id = job.nodeId();
    job.answer(new AdminOutcome.Timeout("node " + id + " was added as a learner but " + why + "; the join is given"
        + " up and node " + id + " is being removed again. Check that it runs and that the leader can reach it at "
        + job.joining.raftAddr() + ", then join it again"));
    queue.addFirst(new Job(null, id, false, null, nowNanos + cleanupNanos));
  }

  /**
   * A learner that no join is waiting for (its join ended with an earlier leader) and that does
   * not answer would otherwise stay a member for good: it is removed like a failed join's.
   */
  private void removeSilentLearners(RaftCore core, long nowNanos) {
    if (!queue.isEmpty() || core.configPending()) return;
    for (long learner : core.membership().learners().keySet()) {
      if (core.silentTicks(learner) >= learnerSilenceTicks) {
        // Proposed on the next input; a refusal drops it, and the next idle drive tries again.
        queue.add(new Job(null, learner, false, null, nowNanos + cleanupNanos));
      }
    }
  }

  private AdminOutcome step(RaftCore core, Job job, long nowNanos) {
    long id = job.nodeId();
    switch (job.stage) {
      case START:
        return start(core, job);
      case WAIT_LEARNER_COMMIT:
      case WAIT_COMMIT:
        if (core.commitIndex() < job.waitIndex) return null;
        if (core.termAt(job.waitIndex) != job.waitTerm) {
          // Another leader's entry took that index: the change never happened. Start over.
          job.stage = Stage.START;
          return null;
        }
        if (job.stage == Stage.WAIT_COMMIT) return finished(job);
        job.stage = Stage.CATCH_UP;
        return step(core, job, nowNanos);
      case CATCH_UP:
        if (core.matchIndexOf(id) < core.commitIndex()) return null;
        AdminOutcome refused = propose(core, job, new ConfChange.Promote(id), Stage.WAIT_COMMIT);
        if (refused == null) return null;
        // The promotion cannot go ahead now: the learner must not linger as a member.
        queue.addFirst(new Job(null, id, false, null, nowNanos + cleanupNanos));
        String again = "; node " + id + " stays out of the cluster (its learner entry is being removed), join it again";
        return refused instanceof AdminOutcome.Unavailable u
            ? new AdminOutcome.Unavailable(u.reason() + again)
            : new AdminOutcome.Invalid(((AdminOutcome.Invalid) refused).reason() + again);
      default:
        throw new IllegalStateException("unknown stage " + job.stage);
    }
  }

  private AdminOutcome start(RaftCore core, Job job) {
    long id = job.nodeId();
    if (job.joining != null) {
      Member known = core.membership().member(id);
      if (known != null && job.joining.incarnation() != 0 && !known.isIncarnation(job.joining.incarnation())) {
        // The node's storage was wiped since it became a member: it forgot its votes and log,
        // so it must not take over the old member's place (§5.2, §5.4). The old member has to be
        // removed first; the node then joins as a new learner.
        return new AdminOutcome.Conflict("node " + id + " is still a member as incarnation "
            + Long.toUnsignedString(known.incarnation(), 16) + ", but the node at " + job.joining.raftAddr()
            + " is incarnation " + Long.toUnsignedString(job.joining.incarnation(), 16)
            + " (its storage was wiped or replaced); remove the old member first with POST /leave {\"node_id\": "
            + id + "} (add \"force\": true if fewer than three voters would remain), then the node joins again");
      }
      if (core.membership().isVoter(id)) {
        Member current = core.membership().member(id);
        if (!current.raftAddr().equals(job.joining.raftAddr())) {
          return new AdminOutcome.Invalid("node " + id + " is already a member at " + current.raftAddr()
              + "; remove it first to change its endpoint");
        }
        return new AdminOutcome.Done("Node " + id + " joined the cluster successfully");
      }
      for (Member m : core.membership().all().values()) {
        if (m.id() != id && m.raftAddr().equals(job.joining.raftAddr())) {
          return new AdminOutcome.Invalid("endpoint " + m.raftAddr() + " already belongs to node " + m.id());
        }
      }
      if (core.membership().learners().containsKey(id)) {
        job.stage = Stage.CATCH_UP;
        return null; // moved on by the next drive, which first checks that the learner answers
      }
      AdminOutcome full = capRefusal(core.membership(), id, maxMembers);
      if (full != null) return full;
      return propose(core, job, new ConfChange.AddLearner(job.joining), Stage.WAIT_LEARNER_COMMIT);
    }
    if (!core.membership().contains(id)) {
      return finished(job);
    }
    if (job.replyTo == null && !core.membership().learners().containsKey(id)) {
      return finished(job); // a clean-up never removes a voter: the learner was promoted meanwhile
    }
    if (core.membership().isVoter(id) && core.membership().voters().size() == 1) {
      return new AdminOutcome.Invalid("node " + id + " is the last voter; a cluster cannot remove its last voter");
    }
    return propose(core, job, new ConfChange.Remove(id), Stage.WAIT_COMMIT);
  }

  /**
   * The refusal of a join of {@code id} when the cluster already has {@code maxMembers} members
   * (voters and learners), or null. A node that is already a member is never refused here.
   */
  static AdminOutcome capRefusal(Membership membership, long id, int maxMembers) {
    int members = membership.all().size();
    if (membership.contains(id) || members < maxMembers) return null;
    return new AdminOutcome.Invalid("the cluster already has " + members + " members (voters and learners),"
        + " the most max_members = " + maxMembers + " allows; remove a member with POST /leave first,"
        + " or raise max_members on every node");
  }

  private AdminOutcome propose(RaftCore core, Job job, ConfChange change, Stage next) {
    ProposeResult r = core.proposeConfChange(change, job.force);
    if (r instanceof ProposeResult.Accepted a) {
      job.stage = next;
      job.waitIndex = a.index();
      job.waitTerm = a.term();
      return null;
    }
    if (r instanceof ProposeResult.NotLeader) {
      return new AdminOutcome.Unavailable("this node stopped leading; retry");
    }
    if (r instanceof ProposeResult.Refused refused) return outcomeOf(refused);
    // Rejected for now (a change in flight, no commit in this term yet, a transfer): try again
    // on a later input, until the deadline.
    return null;
  }

  private static AdminOutcome finished(Job job) {
    long id = job.nodeId();
    return job.joining != null
        ? new AdminOutcome.Done("Node " + id + " joined the cluster successfully")
        : new AdminOutcome.Done("Node " + id + " left the cluster successfully");
  }
}
