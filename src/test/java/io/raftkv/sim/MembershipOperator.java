package io.raftkv.sim;

import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * An administrator working through the current leader, like production's MembershipChanges:
 * add a node as learner, promote it once its match index reaches the commit index, or remove a
 * voter (if it is the leader, sometimes by handing leadership away first, sometimes letting the
 * core step down once the removal commits). It follows the leader's membership, which includes
 * uncommitted changes, and never waits for a commit itself: keeping changes one at a time is
 * the core's job, and a Rejected proposal is simply retried on a later step.
 *
 * <p>Some seeds run it in bursts: voter changes back to back, each proposed the moment the core
 * accepts it, while the nodes that have not yet heard the last change commit are cut off. Those
 * lagging nodes still hold an older configuration, which is where a configuration that takes
 * effect at the wrong moment (on commit instead of on append, §4.1 of the thesis) splits the
 * cluster into two majorities.
 */
final class MembershipOperator {
  private static final int NONE = 0;
  private static final int ADD = 1;
  private static final int REMOVE = 2;

  private final Simulation sim;
  private final Random random;
  private final int paceMs;
  /** Whether changes come in back-to-back bursts that cut off the nodes lagging behind them. */
  private final boolean bursts;
  private int intent = NONE;
  private long target;
  private boolean transferFirst;

  MembershipOperator(Simulation sim, Random random, boolean bursts) {
    this.sim = sim;
    this.random = random;
    int[] paces = {50, 200, 600};
    this.paceMs = paces[random.nextInt(paces.length)];
    this.bursts = bursts;
  }

  void start() {
    sim.schedule(500 + random.nextInt(1000), Simulation.EV_OPERATOR, 0, 0, this::step);
  }

  private void step() {
    if (sim.healing()) return;
    long pause = 10 + random.nextInt(paceMs);
    SimNode leader = sim.currentLeader();
    if (sim.faults().calm()) {
      // A calm stretch measures elections without faults: an operator change is not one of them.
      sim.schedule(pause, Simulation.EV_OPERATOR, 0, intent, this::step);
      return;
    }
    if (bursts && random.nextInt(3) == 0) {
      burst(leader);
      pause = 1 + random.nextInt(10);
    } else {
      // Sometimes the operator fires several requests back to back, as a script would: the next
      // change is proposed while the one just accepted is still uncommitted.
      int rounds = random.nextInt(3) == 0 ? 4 : 1;
      for (int i = 0; i < rounds && leads(leader); i++) operate(leader);
    }
    // Between changes the operator usually takes a break, but sometimes goes straight on to the
    // next one while the last is still uncommitted, which only the core's guard keeps apart.
    if (intent == NONE && random.nextBoolean()) pause += 300 + random.nextInt(2000);
    sim.schedule(pause, Simulation.EV_OPERATOR, 0, intent, this::step);
  }

  private static boolean leads(SimNode leader) {
    return leader != null && leader.up && leader.core.isLeader();
  }

  /**
   * One step of a burst: propose the next change as soon as the core takes it, and cut off every
   * member that has not learned that the latest configuration committed, so that it keeps acting
   * on an older one while the leader's side moves on.
   */
  private void burst(SimNode leader) {
    if (!leads(leader)) return;
    operate(leader);
    if (random.nextInt(4) != 0) return;
    long configIndex = leader.core.commitIndex();
    boolean[] side = new boolean[sim.nodeCount() + 1];
    int cut = 0;
    for (long id = 1; id <= sim.nodeCount(); id++) {
      SimNode n = sim.node(id);
      if (id != leader.id && n.up && n.core.membership().contains(id) && n.core.commitIndex() < configIndex) {
        side[(int) id] = true;
        cut++;
      }
    }
    if (cut == 0) return;
    if (Simulation.DEBUG) System.out.println(sim.now() + " operator cuts off lagging nodes " + cut);
    sim.network().healPartitions();
    sim.network().partition(side);
  }

  private void operate(SimNode leader) {
    Membership m = leader.core.membership();
    if (intent == NONE) chooseIntent(leader, m);
    if (intent == ADD) {
      if (m.isVoter(target)) {
        intent = NONE;
      } else if (m.learners().containsKey(target)) {
        if (leader.core.matchIndexOf(target) >= leader.core.commitIndex()) {
          propose(leader, new ConfChange.Promote(target));
        }
      } else {
        propose(leader, new ConfChange.AddLearner(new Member(target, "sim:" + target, "")));
      }
    } else if (intent == REMOVE) {
      if (!m.contains(target)) {
        intent = NONE;
      } else if (target == leader.id && transferFirst) {
        if (leader.core.leadTransferee() == 0) {
          long to = leader.core.mostCaughtUpVoter();
          if (to != 0) leader.transferLeadership(to);
        }
      } else {
        propose(leader, new ConfChange.Remove(target));
      }
    }
  }

  private void propose(SimNode leader, ConfChange change) {
    ProposeResult r = leader.proposeConfChange(change);
    if (Simulation.DEBUG) System.out.println(sim.now() + " operator at " + leader.id + ": " + change + " -> " + r);
    // A refusal (voters of the new configuration unreachable, or a removal below three voters)
    // holds until the cluster changes: give up this intent and choose a fresh one next time,
    // as an operator would, rather than asking the same thing again and again.
    if (r instanceof ProposeResult.Refused) intent = NONE;
  }

  private void chooseIntent(SimNode leader, Membership m) {
    if (!m.learners().isEmpty()) {
      // A learner left behind (its promotion was lost with a leader): finish adding it.
      intent = ADD;
      target = m.learners().firstKey();
      return;
    }
    List<Long> outside = new ArrayList<>();
    for (long id = 1; id <= sim.nodeCount(); id++) if (!m.contains(id)) outside.add(id);
    int voters = m.voters().size();
    boolean canAdd = !outside.isEmpty() && voters < 5;
    boolean canRemove = voters > 3;
    if (!canAdd && !canRemove) return;
    if (canAdd && (!canRemove || random.nextBoolean())) {
      intent = ADD;
      target = outside.get(random.nextInt(outside.size()));
    } else {
      intent = REMOVE;
      List<Long> ids = new ArrayList<>(m.voters().keySet());
      target = random.nextInt(3) == 0 ? leader.id : ids.get(random.nextInt(ids.size()));
      transferFirst = random.nextBoolean();
    }
  }
}
