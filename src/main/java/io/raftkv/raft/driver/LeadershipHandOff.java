package io.raftkv.raft.driver;

import io.raftkv.raft.core.RaftCore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A leader that is about to stop hands its leadership to the most caught-up voter first (thesis
 * §3.10), so the cluster has a new leader at once instead of after an election timeout, and the
 * writes it already appended are committed by the new leader rather than left to chance. The
 * asker is answered once another node leads, or when the bound passes. Runs on the driver's
 * thread, driven after every input.
 */
final class LeadershipHandOff {
  private final RaftCore core;
  private final LongSupplier clock;
  private final Logger log;
  private final List<Reply<Long>> waiters = new ArrayList<>();
  private long deadlineNanos;

  LeadershipHandOff(RaftCore core, LongSupplier clock, Logger log) {
    this.core = core;
    this.clock = clock;
    this.log = log;
  }

  /** Starts handing over; a follower (or a leader with no other voter) answers at once. */
  void start(Duration within, Reply<Long> replyTo) {
    if (!core.isLeader()) {
      replyTo.tell(core.leaderId());
      return;
    }
    if (core.mostCaughtUpVoter() == 0) {
      replyTo.tell(0L); // the only voter: nobody can take over
      return;
    }
    long deadline = clock.getAsLong() + within.toNanos();
    deadlineNanos = waiters.isEmpty() ? deadline : Math.min(deadlineNanos, deadline);
    waiters.add(replyTo);
    transferIfIdle();
  }

  /** Answers the waiters once another node leads, or the bound has passed. */
  void drive() {
    if (waiters.isEmpty()) return;
    long leader = core.leaderId();
    if (!core.isLeader() && leader != 0) {
      log.info("node {} now leads; leadership was handed over", leader);
      answerAll(leader);
    } else if (clock.getAsLong() - deadlineNanos > 0) {
      log.warn("no other node took over leadership in time; stopping anyway");
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
    log.info("handing leadership to node {} before stopping", target);
    core.transferLeadership(target);
  }

  private void answerAll(long leader) {
    for (Reply<Long> w : waiters) w.tell(leader);
    waiters.clear();
  }
}
