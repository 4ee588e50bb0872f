package io.raftkv.raft.node;

import io.raftkv.raft.core.RaftCore;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * A leader that is about to stop hands its leadership to the most caught-up voter first (thesis
 * §3.10), so the cluster has a new leader at once instead of after an election timeout, and the
 * writes it already appended are committed by the new leader rather than left to chance. The
 * asker is answered once another node leads, or when the bound passes. Runs only on the node
 * actor's thread, driven after every input.
 */
final class LeadershipHandOff {
  private final ActorContext<RaftNode.Command> ctx;
  private final RaftCore core;
  private final List<ActorRef<Long>> waiters = new ArrayList<>();
  private long deadlineNanos;

  LeadershipHandOff(ActorContext<RaftNode.Command> ctx, RaftCore core) {
    this.ctx = ctx;
    this.core = core;
  }

  /** Starts handing over; a follower (or a leader with no other voter) answers at once. */
  void start(RaftNode.HandOffLeadership h) {
    if (!core.isLeader()) {
      h.replyTo().tell(core.leaderId());
      return;
    }
    if (core.mostCaughtUpVoter() == 0) {
      h.replyTo().tell(0L); // the only voter: nobody can take over
      return;
    }
    long deadline = System.nanoTime() + h.within().toNanos();
    deadlineNanos = waiters.isEmpty() ? deadline : Math.min(deadlineNanos, deadline);
    waiters.add(h.replyTo());
    transferIfIdle();
  }

  /** Answers the waiters once another node leads, or the bound has passed. */
  void drive() {
    if (waiters.isEmpty()) return;
    long leader = core.leaderId();
    if (!core.isLeader() && leader != 0) {
      ctx.getLog().info("node {} now leads; leadership was handed over", leader);
      answerAll(leader);
    } else if (System.nanoTime() - deadlineNanos > 0) {
      ctx.getLog().warn("no other node took over leadership in time; stopping anyway");
      answerAll(0);
    } else if (core.isLeader()) {
      // The core gives a transfer up after an election timeout; try again until the bound.
      transferIfIdle();
    }
  }

  /** The node is stopping: nobody will take over through this node any more. */
  void failAll() {
    answerAll(0);
  }

  private void transferIfIdle() {
    if (core.leadTransferee() != 0) return;
    long target = core.mostCaughtUpVoter();
    if (target == 0) return;
    ctx.getLog().info("handing leadership to node {} before stopping", target);
    core.transferLeadership(target);
  }

  private void answerAll(long leader) {
    for (ActorRef<Long> w : waiters) w.tell(leader);
    waiters.clear();
  }
}
