package io.raftkv.sim;

import io.raftkv.raft.core.HardState;
import java.util.Random;

/**
 * The faults of a run's fault phase. Swarm testing (Groce et al.): each seed enables its own mix
 * of fault kinds with its own weights and pace, so some runs hammer one kind of fault instead of
 * every run averaging over all of them.
 *
 * <p>Besides the common faults (partitions, lossy links, crashes) some kinds aim at situations a
 * random schedule almost never produces: a crash right after a vote or a term reached the disk,
 * with a near-instant restart (a forgotten vote, §5.2, needs exactly that); two followers told to
 * campaign at once (a split vote whose voters may then crash); the same node winning election
 * after election (so that responses it was sent as leader of an earlier term arrive while it
 * leads a later one); and calm stretches, in which the network is whole, every node is up and
 * nothing disturbs the cluster, so that {@link Liveness} can count the elections a correct timer
 * would not hold.
 */
final class FaultInjector {
  static final int ISOLATE_LEADER = 0;
  static final int ISOLATE_FOLLOWER = 1;
  static final int SPLIT = 2;
  static final int BRIDGE = 3;
  static final int FLAP = 4;
  static final int HEAL = 5;
  static final int CRASH = 6;
  static final int CRASH_LEADER = 7;
  static final int LOSSY = 8;
  static final int CLEAN = 9;
  static final int TRANSFER = 10;
  static final int SPLIT_VOTE = 11;
  static final int FAVOURITE = 12;
  static final int CALM = 13;
  static final int KINDS = 14;

  private final Simulation sim;
  private final Random random;
  private final int nodeCount;
  private final int[] weights;
  /** Upper bound of the pause between two faults; chosen per seed. */
  private final int paceMs;
  /** Probability that a node crashes right after its term or vote reached the disk; per seed. */
  private final double crashAfterHardState;
  /** The node that FAVOURITE faults make win elections again and again. */
  private final long favourite;
  /** Per node, the hard state last seen durable, to notice a change of term or vote. */
  private final HardState[] durable;
  private final boolean deposedLeader;
  private boolean calm;

  /**
   * @param deposedLeader the deposed-leader scenario: FAVOURITE is the most frequent fault kind,
   *     and the favourite always loses leadership by handing it on, quickly, so that responses of
   *     its previous term are still in flight when it leads again
   */
  FaultInjector(Simulation sim, Random random, int nodeCount, int initialVoters, boolean deposedLeader) {
    this.sim = sim;
    this.random = random;
    this.nodeCount = nodeCount;
    this.weights = new int[KINDS];
    for (int k = 0; k < KINDS; k++) weights[k] = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(10);
    // Healing stays enabled so a run is never permanently cut.
    weights[HEAL] = Math.max(weights[HEAL], 3);
    if (deposedLeader) weights[FAVOURITE] = 20;
    this.deposedLeader = deposedLeader;
    int[] paces = {150, 400, 1000, 2000};
    // The deposed-leader scenario paces its faults slowly, so that each of the favourite's terms
    // lasts long enough to serve many reads: its late responses then acknowledge many rounds.
    this.paceMs = deposedLeader ? 1_000 + random.nextInt(1_001) : paces[random.nextInt(paces.length)];
    double[] crashOdds = {0, 0, 0.05, 0.2, 0.5};
    this.crashAfterHardState = crashOdds[random.nextInt(crashOdds.length)];
    this.favourite = 1 + random.nextInt(initialVoters);
    this.durable = new HardState[nodeCount + 1];
  }

  void start() {
    sim.schedule(random.nextInt(500), Simulation.EV_FAULT, 0, 0, this::inject);
  }

  /** True during a calm stretch: no faults, no operator, a whole network. */
  boolean calm() {
    return calm;
  }

  private int pick() {
    int total = 0;
    for (int x : weights) total += x;
    int r = random.nextInt(total);
    for (int k = 0; k < KINDS; k++) {
      r -= weights[k];
      if (r < 0) return k;
    }
    return HEAL;
  }

  private void inject() {
    if (sim.healing()) return;
    int f = pick();
    SimNetwork network = sim.network();
    if (Simulation.DEBUG) System.out.println(sim.now() + " fault " + f + sim.describeCluster());
    // A new partition replaces the previous one rather than piling up on it: stacked cuts almost
    // always leave no majority, and a run that never makes progress tests very little.
    if (f <= BRIDGE) network.healPartitions();
    SimNode leader = sim.currentLeader();
    if (f == ISOLATE_LEADER) {
      isolate(leader != null ? (int) leader.id : 1 + random.nextInt(nodeCount));
    } else if (f == ISOLATE_FOLLOWER) {
      isolate(randomFollower());
    } else if (f == SPLIT) {
      boolean[] side = new boolean[nodeCount + 1];
      for (int i = 1; i <= nodeCount; i++) side[i] = random.nextBoolean();
      network.partition(side);
    } else if (f == BRIDGE) {
      // A bridge: two nodes cannot talk, yet both still reach everyone else.
      int a = 1 + random.nextInt(nodeCount);
      int b = 1 + (a + random.nextInt(nodeCount - 1)) % nodeCount;
      network.block(a, b);
    } else if (f == FLAP) {
      int a = 1 + random.nextInt(nodeCount);
      int b = 1 + (a + random.nextInt(nodeCount - 1)) % nodeCount;
      network.flap(a, b, 50 + random.nextInt(400));
    } else if (f == HEAL) {
      network.healPartitions();
    } else if (f == CRASH) {
      crash(sim.node(1 + random.nextInt(nodeCount)));
    } else if (f == CRASH_LEADER) {
      if (leader != null) crash(leader);
    } else if (f == LOSSY) {
      for (int k = random.nextInt(4); k >= 0; k--) {
        int a = 1 + random.nextInt(nodeCount);
        int b = 1 + random.nextInt(nodeCount);
        if (a != b) network.setDrop(a, b, random.nextDouble() * 0.5);
      }
      network.duplicateProbability = random.nextDouble() * 0.05;
      network.clientDropProbability = random.nextDouble() * 0.03;
    } else if (f == TRANSFER) {
      // Not a fault but an operator action racing with faults: leadership transfer (TimeoutNow).
      if (leader != null) leader.transferLeadership(randomFollower());
    } else if (f == SPLIT_VOTE) {
      splitVote(leader);
    } else if (f == FAVOURITE) {
      favour(leader);
    } else if (f == CALM) {
      beginCalm();
      return;
    } else {
      for (int a = 1; a <= nodeCount; a++) {
        for (int b = 1; b <= nodeCount; b++) network.setDrop(a, b, 0);
      }
    }
    scheduleNext(f);
  }

  private void scheduleNext(int f) {
    sim.schedule(10 + random.nextInt(paceMs), Simulation.EV_FAULT, 0, f, this::inject);
  }

  private void isolate(int id) {
    boolean[] side = new boolean[nodeCount + 1];
    side[id] = true;
    sim.network().partition(side);
  }

  private int randomFollower() {
    SimNode leader = sim.currentLeader();
    int id = 1 + random.nextInt(nodeCount);
    if (leader != null && id == leader.id) id = 1 + (id % nodeCount);
    return id;
  }

  // ------------------------------------------------------------------ crashes

  void crash(SimNode n) {
    long downMs = random.nextInt(10) == 0 ? 1_000 + random.nextInt(3_000) : 20 + random.nextInt(600);
    crash(n, downMs);
  }

  private void crash(SimNode n, long downMs) {
    if (!n.up) return;
    n.crash();
    int inc = n.incarnation;
    sim.schedule(downMs, Simulation.EV_RESTART, n.id, 0, () -> {
      if (!n.up && n.incarnation == inc) sim.restart(n);
    });
  }

  /**
   * A node's term or vote has just reached its disk (and the messages that promise it may be on
   * their way). With the seed's probability the node crashes within 0-2 ms and is back 1-20 ms
   * later, before the election it took part in is over: a node that forgot its vote would now
   * vote a second time in the same term.
   */
  void hardStatePersisted(SimNode n, HardState hs) {
    if (hs == null) return;
    HardState before = durable[(int) n.id];
    durable[(int) n.id] = hs;
    if (before == null || hs.equals(before) || crashAfterHardState == 0 || calm || sim.healing()) return;
    if (random.nextDouble() >= crashAfterHardState) return;
    int inc = n.incarnation;
    long downMs = 1 + random.nextInt(20);
    sim.schedule(random.nextInt(3), Simulation.EV_FAULT, n.id, hs.term(), () -> {
      if (n.up && n.incarnation == inc && !sim.healing()) crash(n, downMs);
    });
  }

  // ------------------------------------------------------------------ elections on purpose

  /**
   * Two followers are told to campaign at once (TimeoutNow to both, as a leader whose first
   * transfer stalled may send), so the remaining voters split their votes between two
   * candidates of the same term.
   */
  private void splitVote(SimNode leader) {
    if (leader == null) return;
    var voters = leader.core.membership().voters().keySet().stream().filter(v -> v != leader.id).toList();
    if (voters.size() < 2) return;
    long a = voters.get(random.nextInt(voters.size()));
    long b = voters.get(random.nextInt(voters.size()));
    if (a == b) b = voters.get((voters.indexOf(a) + 1) % voters.size());
    leader.transferLeadership(a);
    leader.transferLeadership(b);
  }

  /**
   * The favourite node wins election after election: a leader other than it hands leadership to
   * it. When it leads, it either hands leadership away, or is cut off from everyone for a while
   * (clients with sticky reads keep asking it) until another node leads; either way the new
   * leader soon hands leadership back. The favourite so leads term after term with short terms
   * between, and responses it was sent as an earlier term's leader (the reordering network mode
   * delays some for up to a second) arrive while it leads a later one.
   */
  private void favour(SimNode leader) {
    if (leader == null) return;
    if (leader.id != favourite) {
      leader.transferLeadership(favourite);
      if (deposedLeader) isolateFavouriteLater();
      return;
    }
    long away;
    if (deposedLeader || random.nextBoolean()) {
      var voters = leader.core.membership().voters().keySet().stream().filter(v -> v != leader.id).toList();
      if (voters.isEmpty()) return;
      leader.transferLeadership(voters.get(random.nextInt(voters.size())));
      away = 20 + random.nextInt(150);
    } else {
      sim.network().healPartitions();
      isolate((int) favourite);
      away = 300 + random.nextInt(700);
      sim.schedule(away, Simulation.EV_FAULT, favourite, FAVOURITE, () -> {
        if (!sim.healing() && !calm) sim.network().healPartitions();
      });
      away += 1 + random.nextInt(100);
    }
    sim.schedule(away, Simulation.EV_FAULT, 0, FAVOURITE, () -> {
      SimNode now = sim.currentLeader();
      if (sim.healing() || calm || now == null || now.id == favourite) return;
      now.transferLeadership(favourite);
      isolateFavouriteLater();
    });
  }

  /**
   * Once the favourite leads again and has committed in its new term (so it serves reads), it is
   * cut off once more, soon, while responses of its previous term may still be in flight; clients
   * keep reading from it and write through whoever leads the rest. A leader that confirms a read
   * with an answer it was sent in an earlier term serves a stale value here.
   */
  private void isolateFavouriteLater() {
    awaitFavourite(30, random.nextInt(60));
  }

  private void awaitFavourite(int triesLeft, long thenMs) {
    sim.schedule(10, Simulation.EV_FAULT, favourite, FAVOURITE, () -> {
      SimNode fav = sim.node(favourite);
      if (sim.healing() || calm || !fav.up) return;
      if (!fav.core.isLeader() || !fav.core.hasCommittedInTerm()) {
        if (triesLeft > 0) awaitFavourite(triesLeft - 1, thenMs);
        return;
      }
      sim.schedule(thenMs, Simulation.EV_FAULT, favourite, FAVOURITE, this::cutOffFavourite);
    });
  }

  private void cutOffFavourite() {
    SimNode fav = sim.node(favourite);
    if (sim.healing() || calm || !fav.up || !fav.core.isLeader()) return;
    long delay = 0;
    if (deposedLeader || random.nextBoolean()) {
      // The cut falls just after it told a follower to campaign (TimeoutNow): a new leader takes
      // over within milliseconds while the favourite still believes it leads.
      var voters = fav.core.membership().voters().keySet().stream().filter(v -> v != fav.id).toList();
      if (!voters.isEmpty()) fav.transferLeadership(voters.get(random.nextInt(voters.size())));
      delay = 1 + random.nextInt(3);
    }
    sim.schedule(delay, Simulation.EV_FAULT, favourite, FAVOURITE, () -> {
      if (sim.healing() || calm) return;
      sim.network().healPartitions();
      isolate((int) favourite);
    });
  }

  // ------------------------------------------------------------------ calm stretches

  /**
   * A calm stretch of one to three seconds: the network is made whole, every node is brought up,
   * and no fault or operator action happens until it ends. The current leader is crashed (and
   * restarted at once) at the start, so that the stretch begins with exactly one election that a
   * correct timer settles quickly and for good.
   */
  private void beginCalm() {
    calm = true;
    sim.network().healAll();
    SimNode leader = sim.currentLeader();
    if (leader != null) crash(leader, 1);
    for (int id = 1; id <= nodeCount; id++) {
      SimNode n = sim.node(id);
      if (!n.up) sim.restart(n);
    }
    sim.liveness().calmBegins();
    sim.schedule(1_000 + random.nextInt(2_001), Simulation.EV_FAULT, 0, CALM, () -> {
      calm = false;
      sim.liveness().calmEnds();
      if (sim.healing()) return; // the heal phase keeps the network whole
      sim.network().resumeFaults();
      scheduleNext(CALM);
    });
  }
}
