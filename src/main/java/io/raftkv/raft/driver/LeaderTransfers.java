package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.RaftCore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * An operator's request to move leadership to a named voter, or to the most caught-up one (thesis
 * §3.10: the leader brings the target's log up to date, then sends it TimeoutNow), as before a
 * rolling restart. The asker hears once the target leads, and a timeout when it does not within
 * the request timeout; the cluster may still elect someone then. Runs on the driver's thread,
 * driven after every input, like {@link LeadershipHandOff}.
 */
final class LeaderTransfers {
  /** A target of 0 accepts any other voter as the new leader. */
  private record Waiter(long target, Reply<AdminOutcome> replyTo, long deadlineNanos) {}

  private final long selfId;
  private final RaftCore core;
  private final LongSupplier clock;
  private final Logger log;
  private final Duration timeout;
  private final List<Waiter> waiters = new ArrayList<>();

  LeaderTransfers(long selfId, RaftCore core, LongSupplier clock, Logger log, Duration timeout) {
    this.selfId = selfId;
    this.core = core;
    this.clock = clock;
    this.log = log;
    this.timeout = timeout;
  }

  /** On the leader: starts moving leadership to {@code target} (0: the most caught-up voter). */
  void start(long target, Reply<AdminOutcome> replyTo) {
    if (target == selfId) {
      replyTo.tell(new AdminOutcome.Transferred(selfId));
      return;
    }
    if (target != 0 && !core.membership().isVoter(target)) {
      replyTo.tell(new AdminOutcome.Invalid("node " + target + " is not a voter of this cluster"
          + (core.membership().contains(target) ? " (it is a learner)" : "") + "; voters: "
          + core.membership().voters().keySet()));
      return;
    }
    if (target == 0 && core.mostCaughtUpVoter() == 0) {
      replyTo.tell(new AdminOutcome.Invalid("node " + selfId + " is the only voter; no other node can lead"));
      return;
    }
    waiters.add(new Waiter(target, replyTo, clock.getAsLong() + timeout.toNanos()));
    transferIfIdle();
  }

  /** Answers the waiters whose transfer finished or ran out of time; retries the others. */
  void drive() {
    if (waiters.isEmpty()) return;
    long now = clock.getAsLong();
    long leader = core.isLeader() ? selfId : core.leaderId();
    waiters.removeIf(w -> {
      if (leader != 0 && leader != selfId && (w.target() == 0 || w.target() == leader)) {
        log.info("leadership moved to node {} as asked", leader);
        w.replyTo().tell(new AdminOutcome.Transferred(leader));
        return true;
      }
      if (leader != 0 && leader != selfId) {
        w.replyTo().tell(new AdminOutcome.Timeout("node " + leader + " was elected instead of node " + w.target()
            + "; ask node " + leader + " to transfer again"));
        return true;
      }
      if (now - w.deadlineNanos() > 0) {
        w.replyTo().tell(new AdminOutcome.Timeout("leadership did not move to "
            + (w.target() == 0 ? "another node" : "node " + w.target()) + " within " + timeout.toMillis()
            + " ms; the cluster may still elect it"));
        return true;
      }
      return false;
    });
    // The core gives a transfer up after an election timeout: try again until the deadline.
    if (core.isLeader()) transferIfIdle();
  }

  /** The node is stopping: no transfer will finish through it. */
  void failAll() {
    for (Waiter w : waiters) {
      w.replyTo().tell(new AdminOutcome.Unavailable("the node is shutting down; ask the new leader"));
    }
    waiters.clear();
  }

  private void transferIfIdle() {
    if (waiters.isEmpty() || core.leadTransferee() != 0) return;
    long target = waiters.get(0).target();
    if (target == 0) target = core.mostCaughtUpVoter();
    if (target == 0 || !core.transferLeadership(target)) return;
    log.info("transferring leadership to node {} as asked", target);
  }
}
