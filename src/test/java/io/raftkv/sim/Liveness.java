package io.raftkv.sim;

import io.raftkv.raft.core.RaftMessage.RequestVote;
import io.raftkv.raft.core.Role;
import java.util.List;

/**
 * Liveness measured, not only bounded by the final convergence deadline: how many elections a
 * run holds (terms in which some node led), how long the cluster goes without a leader that a
 * majority follows, and how quickly one emerges after the heal and in each calm stretch. A timer
 * bug (an election timer not reset when it should be, §5.2) leaves safety intact and still lets
 * a run converge eventually, but it shows here as extra elections where nothing caused them, so
 * those counts are bounded too.
 *
 * <p>The election timer itself is checked against §5.2's rule: a follower or candidate starts an
 * election only when a full election timeout has passed without it hearing from the leader of its
 * term or granting a vote. Every event that restarts the timer in a correct core is tracked here
 * from the outside (a change of role, term or leader; a vote granted; an AppendEntries accepted
 * from the leader; a restart), and an election that a tick starts sooner after the last of them
 * than the shortest timeout allows is a failure at once.
 *
 * <p>The bounds come from the distribution over seeds 1-4000 of a correct core, with about twice
 * the worst value seen as margin (worst seen: 3 elections in a calm stretch, 2 between heal and
 * convergence, 1.4 s from a calm stretch's start and 0.9 s from the heal to a followed leader).
 * A follower timer that AppendEntries does not restart holds an election every few hundred ms of
 * a calm stretch and breaks them in about one seed in ten.
 */
final class Liveness {
  /**
   * A calm stretch starts by crashing the leader, so it holds one election; a split vote, a
   * leadership transfer or a leader's removal still in flight may add one or two more. Beyond this
   * many a timer is firing where it should not.
   */
  static final int MAX_CALM_ELECTIONS = 6;
  /** Elections from the heal until convergence: the heal's own election and a few split votes. */
  static final int MAX_HEAL_ELECTIONS = 5;
  /** From the start of a calm stretch to a leader that a majority follows: a few election timeouts. */
  static final long MAX_CALM_TO_LEADER_MS = 3_000;
  /** From the heal to a leader that a majority follows: a few election timeouts. */
  static final long MAX_HEAL_TO_LEADER_MS = 2_500;

  /** What a run measured; printed with its result. */
  record Summary(long elections, long leaderlessMs, long healToLeaderMs, int healElections, int calmStretches,
      int calmElectionsMax, long calmToLeaderMaxMs) {
    String line() {
      return "elections=" + elections + " leaderless=" + leaderlessMs + " healToLeader=" + healToLeaderMs
          + " healElections=" + healElections + " calms=" + calmStretches + " calmElectionsMax=" + calmElectionsMax
          + " calmToLeaderMax=" + calmToLeaderMaxMs;
    }
  }

  private final Simulation sim;
  /** The shortest time from a timer restart to the election it may start, one tick short of the timeout. */
  private final long minTimeoutMs;
  private final long[] lastLeaderTerm;
  /** Per node: when its election timer last restarted, and the role, term and leader seen then. */
  private final long[] timerRestarted;
  private final Role[] role;
  private final long[] term;
  private final long[] leaderId;
  private final boolean[] wasUp;
  /** The leader's configuration when followers were last counted. */
  private Object countedMembership;
  private long elections;
  private long highestLeaderTerm;
  private boolean led;
  private long leaderlessSince;
  private long leaderlessMs;
  private long healAt = -1;
  private long healToLeaderMs = -1;
  private int healElections;
  private boolean inCalm;
  private long calmStart;
  private boolean calmLed;
  private int calmElections;
  private int calmStretches;
  private int calmElectionsMax;
  private long calmToLeaderMaxMs;

  Liveness(Simulation sim, int nodes, int electionTicksMin, long tickMs) {
    this.sim = sim;
    // The tick that ends the timeout may come up to one tick period after the restart's first.
    this.minTimeoutMs = (electionTicksMin - 1) * tickMs;
    this.lastLeaderTerm = new long[nodes + 1];
    this.timerRestarted = new long[nodes + 1];
    this.role = new Role[nodes + 1];
    this.term = new long[nodes + 1];
    this.leaderId = new long[nodes + 1];
    this.wasUp = new boolean[nodes + 1];
  }

  // ------------------------------------------------------------------ the election timer (§5.2)

  /**
   * A node (re)started. A node founding the cluster campaigns at once by design, so for a node
   * still in term 0 or 1 the start does not count as a timer restart.
   */
  void started(SimNode n) {
    int i = (int) n.id;
    timerRestarted[i] = n.core.term() <= 1 ? Long.MIN_VALUE / 2 : sim.now();
    remember(n);
  }

  /** A RequestVote was delivered: if the node granted it just now, its timer restarted. */
  void voteRequested(SimNode n, RequestVote rv, long termBefore, long voteBefore) {
    boolean granted = n.up && n.core.term() == rv.term() && n.core.votedFor() == rv.from();
    if (granted && (termBefore != rv.term() || voteBefore != rv.from())) timerRestarted[(int) n.id] = sim.now();
  }

  /** An AppendEntries from {@code from} in {@code msgTerm} reached the node: if it follows that leader now, its timer restarted. */
  void heardLeader(SimNode n, long from, long msgTerm) {
    if (n.up && n.core.role() == Role.FOLLOWER && n.core.term() == msgTerm && n.core.leaderId() == from) {
      timerRestarted[(int) n.id] = sim.now();
    }
  }

  private boolean remember(SimNode n) {
    int i = (int) n.id;
    Role r = n.core.role();
    long t = n.core.term();
    long l = n.core.leaderId();
    boolean changed = r != role[i] || t != term[i] || l != leaderId[i];
    role[i] = r;
    term[i] = t;
    leaderId[i] = l;
    return changed;
  }

  /**
   * After a tick: whether the node's role, term or leader changed. If the tick started an
   * election (the node became a pre-candidate or candidate, or a candidate moved on), the timer
   * must have run a full timeout since it last restarted.
   */
  private boolean checkTimer(SimNode n) {
    int i = (int) n.id;
    if (!remember(n)) return false;
    Role r = n.core.role();
    if (r == Role.PRE_CANDIDATE || r == Role.CANDIDATE) {
      long ran = sim.now() - timerRestarted[i];
      if (ran < minTimeoutMs) {
        throw failure("node " + n.id + " started an election in term " + n.core.term() + " only " + ran
            + " ms after its election timer last restarted (§5.2: not before " + minTimeoutMs + " ms)");
      }
    }
    timerRestarted[i] = sim.now();
    return true;
  }

  // ------------------------------------------------------------------ elections and leaders

  /** Looks at the cluster after every event: timers, new leaders, and whether a majority follows one. */
  void afterEvent(int kind, long target, List<SimNode> nodes) {
    boolean changed = false;
    if (kind == Simulation.EV_TICK) {
      SimNode ticked = nodes.get((int) target - 1);
      if (ticked.up) changed = checkTimer(ticked);
    }
    SimNode leader = null;
    for (SimNode n : nodes) {
      int i = (int) n.id;
      if (n.up != wasUp[i]) {
        wasUp[i] = n.up;
        changed = true;
      }
      if (!n.up) continue;
      if (remember(n)) {
        timerRestarted[i] = sim.now();
        changed = true;
      }
      if (role[i] != Role.LEADER) continue;
      long term = n.core.term();
      if (lastLeaderTerm[(int) n.id] != term) {
        lastLeaderTerm[(int) n.id] = term;
        highestLeaderTerm = Math.max(highestLeaderTerm, term);
        elections++;
        if (inCalm) calmElections++;
        if (healAt >= 0) healElections++;
      }
      if (leader == null || term > leader.core.term()) leader = n;
    }
    // Whether a majority follows can change only with a node's role, term, leader, liveness or the
    // leader's configuration; recounting only then keeps this cheap enough to run after every event.
    Object members = leader == null ? null : leader.core.membership();
    if (!changed && members == countedMembership) return;
    countedMembership = members;
    boolean nowLed = leader != null && followedByMajority(leader, nodes);
    if (nowLed == led) return;
    led = nowLed;
    long now = sim.now();
    if (!led) {
      leaderlessSince = now;
      return;
    }
    leaderlessMs += now - leaderlessSince;
    if (inCalm && !calmLed) {
      calmLed = true;
      calmToLeaderMaxMs = Math.max(calmToLeaderMaxMs, now - calmStart);
    }
    if (healAt >= 0 && healToLeaderMs < 0) healToLeaderMs = now - healAt;
  }

  /** A leader is in charge only once a majority of its voters, itself included, follow it in its term. */
  private static boolean followedByMajority(SimNode leader, List<SimNode> nodes) {
    var members = leader.core.membership();
    if (!members.isVoter(leader.id)) return false;
    int following = 0;
    for (SimNode n : nodes) {
      if (n.up && members.isVoter(n.id) && n.core.term() == leader.core.term() && n.core.leaderId() == leader.id) {
        following++;
      }
    }
    return following >= members.quorum();
  }

  /** The highest term in which some node has become leader so far. */
  long highestLeaderTerm() {
    return highestLeaderTerm;
  }

  void calmBegins() {
    inCalm = true;
    calmStart = sim.now();
    calmLed = false;
    calmElections = 0;
    calmStretches++;
    // The calm begins with the leader crashed, so it is leaderless from here whatever came before.
    if (led) {
      led = false;
      leaderlessSince = sim.now();
    }
  }

  void calmEnds() {
    if (!inCalm) return;
    inCalm = false;
    calmElectionsMax = Math.max(calmElectionsMax, calmElections);
    if (!calmLed) calmToLeaderMaxMs = Math.max(calmToLeaderMaxMs, sim.now() - calmStart);
    if (calmElections > MAX_CALM_ELECTIONS) {
      throw failure(calmElections + " elections in a calm stretch of " + (sim.now() - calmStart)
          + " ms (at most " + MAX_CALM_ELECTIONS + " expected)");
    }
    if (calmToLeaderMaxMs > MAX_CALM_TO_LEADER_MS) {
      throw failure("a calm stretch went " + calmToLeaderMaxMs + " ms without a leader followed by a majority (at most "
          + MAX_CALM_TO_LEADER_MS + " expected)");
    }
  }

  void healBegins() {
    calmEnds();
    healAt = sim.now();
    if (led) healToLeaderMs = 0;
  }

  /** At convergence: the heal must have produced a followed leader quickly and with few elections. */
  void checkHeal() {
    if (healToLeaderMs > MAX_HEAL_TO_LEADER_MS) {
      throw failure("no leader followed by a majority until " + healToLeaderMs + " ms after healing (at most "
          + MAX_HEAL_TO_LEADER_MS + " expected)");
    }
    if (healElections > MAX_HEAL_ELECTIONS) {
      throw failure(healElections + " elections between healing and convergence (at most " + MAX_HEAL_ELECTIONS
          + " expected)");
    }
  }

  Summary summary() {
    long leaderless = leaderlessMs + (led ? 0 : sim.now() - leaderlessSince);
    return new Summary(elections, leaderless, healToLeaderMs, healElections, calmStretches, calmElectionsMax,
        calmToLeaderMaxMs);
  }

  private SimulationFailure failure(String what) {
    return new SimulationFailure(sim.seed(), sim.now(), "liveness: " + what);
  }
}
