package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftCore;
import java.util.ArrayDeque;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The leader's queue of join and leave requests, carried out one server change at a time
 * (thesis §4.1). A join adds the node as a learner, waits until it has caught up with the commit
 * index, then promotes it (thesis §4.2.1), so a new, empty server never counts towards a majority
 * it cannot yet help form. Driven by {@link #drive} after every input while this node leads.
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
    final ActorRef<AdminOutcome> replyTo;
    final long deadlineNanos;
    Stage stage = Stage.START;
    long waitIndex;
    long waitTerm;

    Job(Member joining, long leavingId, ActorRef<AdminOutcome> replyTo, long deadlineNanos) {
      this.joining = joining;
      this.leavingId = leavingId;
      this.replyTo = replyTo;
      this.deadlineNanos = deadlineNanos;
    }

    long nodeId() {
      return joining != null ? joining.id() : leavingId;
    }
  }

  private final ArrayDeque<Job> queue = new ArrayDeque<>();

  void join(Member member, ActorRef<AdminOutcome> replyTo, long deadlineNanos) {
    queue.add(new Job(member, 0, replyTo, deadlineNanos));
  }

  void leave(long nodeId, ActorRef<AdminOutcome> replyTo, long deadlineNanos) {
    queue.add(new Job(null, nodeId, replyTo, deadlineNanos));
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Moves the head request as far as it can go now; finished requests are answered. */
  void drive(RaftCore core, long nowNanos) {
    while (!queue.isEmpty()) {
      Job job = queue.peek();
      if (nowNanos - job.deadlineNanos > 0) {
        queue.poll();
        job.replyTo.tell(job.stage == Stage.START
            ? new AdminOutcome.Unavailable("the membership change could not start in time; retry")
            : new AdminOutcome.Timeout("the membership change did not complete in time; it may still"
                + " complete, check GET /members"));
        continue;
      }
      AdminOutcome done = step(core, job);
      if (done == null) return; // waiting: later inputs move it on
      queue.poll();
      job.replyTo.tell(done);
    }
  }

  /** Answers every queued request: this node stopped leading, so another must take them. */
  void failAll() {
    for (Job job : queue) {
      job.replyTo.tell(job.stage == Stage.START
          ? new AdminOutcome.Unavailable("leadership changed before the membership change started; retry")
          : new AdminOutcome.Timeout("leadership changed during the membership change; it may still"
              + " complete, check GET /members"));
    }
    queue.clear();
  }

  private AdminOutcome step(RaftCore core, Job job) {
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
        return step(core, job);
      case CATCH_UP:
        if (core.matchIndexOf(id) < core.commitIndex()) return null;
        return propose(core, job, new ConfChange.Promote(id), Stage.WAIT_COMMIT);
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
            + id + "}, then the node joins again");
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
        return step(core, job);
      }
      return propose(core, job, new ConfChange.AddLearner(job.joining), Stage.WAIT_LEARNER_COMMIT);
    }
    if (!core.membership().contains(id)) {
      return new AdminOutcome.Done("Node " + id + " left the cluster successfully");
    }
    if (core.membership().isVoter(id) && core.membership().voters().size() == 1) {
      return new AdminOutcome.Invalid("node " + id + " is the last voter; a cluster cannot remove its last voter");
    }
    return propose(core, job, new ConfChange.Remove(id), Stage.WAIT_COMMIT);
  }

  private AdminOutcome propose(RaftCore core, Job job, ConfChange change, Stage next) {
    ProposeResult r = core.proposeConfChange(change);
    if (r instanceof ProposeResult.Accepted a) {
      job.stage = next;
      job.waitIndex = a.index();
      job.waitTerm = a.term();
      return null;
    }
    if (r instanceof ProposeResult.NotLeader) {
      return new AdminOutcome.Unavailable("this node stopped leading; retry");
    }
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
