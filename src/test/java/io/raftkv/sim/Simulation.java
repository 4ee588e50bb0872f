package io.raftkv.sim;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogLimits;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.driver.NodeSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A deterministic simulation of a raftkv cluster (after FoundationDB's simulator and TigerBeetle's
 * VOPR): nodes, disks, network and clients all live in one thread, time is a virtual millisecond
 * counter, and every choice comes from one seeded {@link Random}. The same seed therefore replays
 * the same run, event for event, which the trace hash proves.
 *
 * <p>A run has two phases. In the fault phase the network partitions, drops, delays and duplicates
 * messages and nodes crash and restart, while clients keep working and the invariants are checked
 * after every step. In the heal phase every fault is lifted and the cluster must converge within a
 * bounded time: one leader, equal logs, everything applied, every client operation settled.
 *
 * <p>Some seeds start with spare nodes outside the cluster (empty disk, no membership), and an
 * operator adds them (as learner, then voter once caught up) and removes voters, the leader too,
 * one change at a time, while the faults go on. Nodes snapshot and compact their logs at a
 * per-seed pace, so lagging, restarted and new nodes are caught up by InstallSnapshot.
 *
 * <p>Each seed also picks how hostile its run is beyond the common faults (see
 * {@link FaultInjector}): PreVote on or off, a network that reorders heavily, crashes right after
 * a vote is persisted, clients that keep reading from a leader that may have been deposed, and
 * membership changes in bursts. {@link Liveness} measures elections and leaderless time and fails
 * a run whose timers hold more elections than the faults explain.
 */
final class Simulation {
  static final int EV_TICK = 1;
  static final int EV_DELIVER = 2;
  static final int EV_DISK = 3;
  static final int EV_CLIENT_REQUEST = 4;
  static final int EV_CLIENT_REPLY = 5;
  static final int EV_CLIENT_STEP = 6;
  static final int EV_CLIENT_TIMEOUT = 7;
  static final int EV_FAULT = 8;
  static final int EV_RESTART = 9;
  static final int EV_CHECK = 10;
  static final int EV_HEAL = 11;
  static final int EV_SNAPSHOT_TIMEOUT = 12;
  static final int EV_OPERATOR = 13;
  static final int EV_TIMER = 14;

  /** What a run produced: enough to print, compare and tune. */
  record Result(long seed, int nodes, int voters, long events, long virtualMs, long trace, int historyOps,
      long unknownOps, long committed, long snapshotsTaken, long snapshotsInstalled, long configChanges,
      History history, long lincheckMillis, Liveness.Summary liveness) {
    String line() {
      return "seed=" + seed + " events=" + events + " virtual=" + virtualMs + " trace="
          + String.format("%016x", trace) + " nodes=" + nodes + " voters=" + voters + " ops=" + historyOps
          + " unknown=" + unknownOps + " committed=" + committed + " ok=" + history.count(HistoryOp.Outcome.OK)
          + " snapshots=" + snapshotsTaken + " installs=" + snapshotsInstalled + " confchanges=" + configChanges
          + " " + liveness.line();
    }
  }

  private static final class Event {
    final long time;
    final long seq;
    final int kind;
    final long target;
    final long code;
    final Runnable action;

    Event(long time, long seq, int kind, long target, long code, Runnable action) {
      this.time = time;
      this.seq = seq;
      this.kind = kind;
      this.target = target;
      this.code = code;
      this.action = action;
    }
  }

  static final boolean DEBUG = Boolean.getBoolean("sim.debug");
  /** The shortest election timeout, in ticks: 150 ms. */
  private static final int ELECTION_TICKS_MIN = 15;
  private final long seed;
  private final Random random;
  /** Every simulated node, members or not. */
  private final int nodeCount;
  /** Nodes 1..initialVoters found the cluster; the rest are spares the operator may add. */
  private final int initialVoters;
  /** Snapshot every this many applied entries; 0: never. */
  private final int snapshotEvery;
  /** How many applied entries a compaction leaves in the log behind the snapshot. */
  private final int compactionMargin;
  private final long snapshotTimeoutMs;
  /** How much of its log each core keeps in memory; chosen per seed. */
  private final LogLimits logLimits;
  /** The membership operator, or null when this seed runs without one. */
  private final MembershipOperator operator;
  /** Whether clients keep reading from the node that last answered a read, deposed or not. */
  private final boolean stickyReads;
  private final int keys;
  private final long tickMs = 10;
  private final long faultPhaseMs;
  private final long healPhaseMs = 10_000;
  private final PriorityQueue<Event> queue =
      new PriorityQueue<>(Comparator.comparingLong((Event e) -> e.time).thenComparingLong(e -> e.seq));
  private final List<SimNode> nodes = new ArrayList<>();
  private final List<SimClient> clients = new ArrayList<>();
  private final SimNetwork network;
  private final Invariants invariants;
  private final Liveness liveness;
  private final FaultInjector faults;
  private final ReadFreshness readFreshness = new ReadFreshness(this);
  private final History history = new History(this);
  private final Fnv64 trace = new Fnv64();
  private long now;
  private long seq;
  private long events;
  private boolean healing;
  private boolean converged;

  Simulation(long seed) {
    this.seed = seed;
    // java.util.Random's first outputs are strongly correlated for neighbouring seeds (seeds 1..300
    // all drew the same cluster size), so spread the seed with a SplitMix64 finalizer first.
    this.random = new Random(mix(seed));
    int shape = random.nextInt(4);
    this.initialVoters = shape == 1 ? 5 : 3;
    this.nodeCount = shape <= 1 ? initialVoters : initialVoters + shape - 1;
    int snapshots = random.nextInt(4);
    this.snapshotEvery = snapshots == 0 ? 0 : snapshots <= 2 ? 5 + random.nextInt(16) : 30 + random.nextInt(271);
    this.compactionMargin = random.nextInt(3) == 0 ? 0 : random.nextInt(10);
    this.snapshotTimeoutMs = 200 + random.nextInt(601);
    // With spares the operator adds them; with five voters it removes some and adds them back.
    boolean operatorEnabled = shape >= 2 || (shape == 1 && random.nextBoolean());
    this.operator = operatorEnabled ? new MembershipOperator(this, random, random.nextInt(3) == 0) : null;
    this.keys = 3 + random.nextInt(3);
    this.faultPhaseMs = 10_000 + random.nextInt(10_001);
    // The deposed-leader scenario brings together what a stale read needs: a leader that leads
    // again after losing leadership, responses from its earlier term still in flight, no
    // CheckQuorum to make it step down when cut off, and clients that keep reading from it.
    boolean deposedLeader = random.nextInt(4) == 0;
    this.network = new SimNetwork(this, nodeCount, deposedLeader || random.nextInt(3) == 0);
    this.invariants = new Invariants(this, nodeCount);
    this.liveness = new Liveness(this, nodeCount, ELECTION_TICKS_MIN, tickMs);
    // Without PreVote (thesis §9.6) every timeout bumps the term, so a timer that fires too early
    // deposes a working leader instead of losing a harmless pre-election.
    boolean preVote = deposedLeader || random.nextInt(3) != 0;
    // Without CheckQuorum (thesis §6.2) a cut-off leader keeps leading until it hears a higher
    // term, so only its read confirmations stand between its clients and stale reads. Never
    // without PreVote as well: with neither, a removed server that missed its removal deposes
    // leader after leader (thesis §4.2.3), which is the configuration's weakness, not a bug.
    boolean checkQuorum = !preVote || (!deposedLeader && random.nextInt(3) != 0);
    // Small batches and short pipelines split a new leader's catch-up into many appends, which is
    // what exposes commit-rule mistakes (Figure 8 of the paper needs a follower that has the
    // old-term entries but not yet the new leader's no-op).
    int[] batchSizes = {1, 2, 4, 64};
    int[] pipelines = {1, 2, 8};
    RaftConfig config = new RaftConfig(ELECTION_TICKS_MIN, 30, 3, batchSizes[random.nextInt(batchSizes.length)], 1 << 20,
        pipelines[random.nextInt(pipelines.length)], preVote, checkQuorum);
    int clientCount = 3 + random.nextInt(3);
    this.faults = new FaultInjector(this, random, nodeCount, initialVoters, deposedLeader);
    this.stickyReads = deposedLeader || random.nextBoolean();
    // Long enough to ride out an election (150-300 ms plus a pre-vote round) so that most
    // operations settle; crashes and lost replies still leave plenty of unknown outcomes.
    for (int c = 1; c <= clientCount; c++) clients.add(new SimClient(c, this, 1000));
    // Tiny caches and apply windows make the core read most of its log back from the disk and
    // hand a backlog out a few entries at a time, the paths a large dataset takes in production.
    int[] cacheEntries = {0, 1, 4, 16, 1000};
    long[] cacheBytes = {64, 512, 1 << 20};
    long[] applying = {1, 200, 4096, Long.MAX_VALUE};
    this.logLimits = new LogLimits(cacheEntries[random.nextInt(cacheEntries.length)],
        cacheBytes[random.nextInt(cacheBytes.length)], applying[random.nextInt(applying.length)]);
    this.maxBatchEntries = batchSizes[random.nextInt(batchSizes.length)];
    // Storage faults the production driver must survive: one node's disk may be slow (every
    // fsync takes tens to hundreds of ms), and fsyncs may fail now and then, which must stop the
    // node without acknowledging anything more.
    this.slowDiskNode = random.nextInt(4) == 0 ? 1 + random.nextInt(nodeCount) : 0;
    this.fsyncFailureRate = random.nextInt(5) == 0 ? 0.002 + random.nextDouble() * 0.01 : 0;
    for (int i = 1; i <= nodeCount; i++) nodes.add(new SimNode(i, this, config));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  // ------------------------------------------------------------------ accessors for the parts

  /** Most client writes appended together before the driver collects their Ready; chosen per seed. */
  private int maxBatchEntries;
  /** The node whose every fsync is slow until the heal phase lifts every fault, or 0. */
  private int slowDiskNode;
  /** Probability that one fsync fails (the node then stops and is restarted later). */
  private double fsyncFailureRate;

  /**
   * The production driver's settings for a simulated node. The request timeout is longer than
   * the clients' own, so a client gives up (outcome unknown) before the node answers "timeout".
   */
  NodeSettings nodeSettings(long id, RaftConfig raft) {
    return NodeSettings.builder(id, "sim:" + id, "")
        .raft(raft)
        .tick(Duration.ofMillis(tickMs))
        .requestTimeout(Duration.ofMillis(1500))
        .maxBatchEntries(maxBatchEntries)
        .snapshotIntervalEntries(snapshotEvery)
        .snapshotKeepLogEntries(compactionMargin)
        .snapshotChunkBytes(64)
        .snapshotIntervalBytes(0)
        .logCacheEntries(logLimits.cacheEntries())
        .logCacheBytes(logLimits.cacheBytes())
        .maxPendingProposals(10_000)
        .maxPendingProposalBytes(1L << 30)
        .build();
  }

  /** How long one fsync takes on node {@code id}: a few ms, now and then far longer. */
  long fsyncLatencyMs(long id) {
    if (id == slowDiskNode && !healing && !faults.calm()) return 20 + random.nextInt(180);
    long latency = 1 + random.nextInt(4);
    if (random.nextInt(50) == 0) latency += 10 + random.nextInt(40);
    return latency;
  }

  /**
   * Whether the fsync completing now fails; never in the heal phase, which must converge, nor in
   * a calm stretch, which counts the elections that no fault explains.
   */
  boolean fsyncFails(long id) {
    return !healing && !faults.calm() && fsyncFailureRate > 0 && random.nextDouble() < fsyncFailureRate;
  }

  /** A node whose storage failed goes down a moment later and restarts like a crashed one. */
  void crashSoon(SimNode n) {
    int inc = n.incarnation;
    schedule(1 + random.nextInt(20), EV_FAULT, n.id, -1, () -> {
      if (n.up && n.incarnation == inc) faults.crash(n);
    });
  }

  /** Bytes per snapshot chunk: small, so that transfers take several chunks. */
  int snapshotChunkBytes() {
    return 64;
  }

  /** The deadline of a forwarded write or ReadIndex call, as a gRPC deadline. */
  long callTimeoutMs() {
    return 500;
  }

  long seed() {
    return seed;
  }

  long now() {
    return now;
  }

  Random random() {
    return random;
  }

  long tickMs() {
    return tickMs;
  }

  int keys() {
    return keys;
  }

  int nodeCount() {
    return nodeCount;
  }

  int snapshotEvery() {
    return snapshotEvery;
  }

  int compactionMargin() {
    return compactionMargin;
  }

  LogLimits logLimits() {
    return logLimits;
  }

  long snapshotTimeoutMs() {
    return snapshotTimeoutMs;
  }

  private long compactions;

  void countCompaction() {
    compactions++;
  }

  SimNode node(long id) {
    return nodes.get((int) id - 1);
  }

  SimClient client(int id) {
    return clients.get(id - 1);
  }

  SimNetwork network() {
    return network;
  }

  Invariants invariants() {
    return invariants;
  }

  Liveness liveness() {
    return liveness;
  }

  ReadFreshness readFreshness() {
    return readFreshness;
  }

  FaultInjector faults() {
    return faults;
  }

  boolean healing() {
    return healing;
  }

  boolean stickyReads() {
    return stickyReads;
  }

  /**
   * A write holding {@code hardState} reached node {@code n}'s disk (reported through the
   * invariants' persistence check), before the driver hears of it and sends what it promises.
   */
  void hardStatePersisted(SimNode n, HardState hardState) {
    faults.hardStatePersisted(n, hardState);
  }

  History history() {
    return history;
  }

  void schedule(long delayMs, int kind, long target, long code, Runnable action) {
    queue.add(new Event(now + delayMs, seq++, kind, target, code, action));
  }

  // ------------------------------------------------------------------ the run

  Result run() {
    TreeMembers all = new TreeMembers(initialVoters);
    for (SimNode n : nodes) {
      n.start(n.id == 1 ? all.membership : null);
      liveness.started(n);
    }
    for (SimClient c : clients) c.begin(random.nextInt(200));
    faults.start();
    if (operator != null) operator.start();
    schedule(250, EV_CHECK, 0, 0, this::periodicCheck);
    schedule(faultPhaseMs, EV_HEAL, 0, 0, this::heal);
    long deadline = faultPhaseMs + healPhaseMs;
    try {
      while (!converged) {
        Event e = queue.poll();
        if (e == null) throw new SimulationFailure(seed, now, "event queue ran dry");
        if (e.time > deadline) {
          throw new SimulationFailure(seed, now, "liveness: no convergence " + healPhaseMs
              + "ms after healing; " + describeCluster());
        }
        now = e.time;
        events++;
        trace.add(e.time).add(e.kind).add(e.target).add(e.code);
        e.action.run();
        liveness.afterEvent(e.kind, e.target, nodes);
      }
    } catch (SimulationFailure f) {
      throw f;
    } catch (RuntimeException ex) {
      throw new SimulationFailure(seed, now, "exception: " + ex, ex);
    }
    invariants.checkLogMatching(nodes);
    liveness.checkHeal();
    checkLinearizable();
    SimNode leader = currentLeader();
    int voters = leader == null ? 0 : leader.core.membership().voters().size();
    return new Result(seed, nodeCount, voters, events, now, trace.value(), history.size(),
        history.count(HistoryOp.Outcome.UNKNOWN), invariants.committedCount(), invariants.snapshotsTaken(),
        invariants.snapshotsInstalled(), invariants.configChanges(), history, lincheckMillis, liveness.summary());
  }

  /**
   * The clients' view: the history must be linearizable for a key-value register per key. A
   * check that runs out of time is a failure too, because "unknown" must never pass as "fine".
   */
  /** How long the linearizability check of this run took; reported, never used inside a run. */
  private long lincheckMillis;

  private void checkLinearizable() {
    var result = LinearizabilityAdapter.check(history, Long.getLong("sim.lincheckTimeoutMs", 20_000));
    lincheckMillis = result.elapsedMillis();
    if (!result.isLinearizable()) {
      throw new SimulationFailure(seed, now, "linearizability " + result.verdict() + ": " + result.description());
    }
  }

  /** The membership every node belongs to, built once for bootstrap. */
  private static final class TreeMembers {
    final Membership membership;

    TreeMembers(int n) {
      List<Member> members = new ArrayList<>();
      for (int i = 1; i <= n; i++) members.add(new Member(i, "sim:" + i, ""));
      membership = Membership.ofVoters(members);
    }
  }

  private long lastLogMatchingCheck = -1;

  private void periodicCheck() {
    // Log Matching compares whole logs, so it runs every 250 ms (and once more at the end of the
    // run); convergence is cheap and checked every 50 ms once the cluster heals.
    if (now - lastLogMatchingCheck >= 250) {
      lastLogMatchingCheck = now;
      invariants.checkLogMatching(nodes);
    }
    if (healing && isConverged()) {
      converged = true;
      return;
    }
    schedule(healing ? 50 : 250, EV_CHECK, 0, 0, this::periodicCheck);
  }

  void restart(SimNode n) {
    n.start(n.id == 1 ? new TreeMembers(initialVoters).membership : null);
    liveness.started(n);
  }

  /** The leader with the highest term among live nodes, or null. */
  SimNode currentLeader() {
    SimNode best = null;
    for (SimNode n : nodes) {
      if (n.up && n.core.role() == Role.LEADER && (best == null || n.core.term() > best.core.term())) best = n;
    }
    return best;
  }

  // ------------------------------------------------------------------ heal and convergence

  private void heal() {
    healing = true;
    liveness.healBegins();
    network.healAll();
    for (SimNode n : nodes) {
      if (!n.up) restart(n);
    }
    for (SimClient c : clients) c.stopping = true;
  }

  private boolean isConverged() {
    for (SimClient c : clients) {
      if (!c.idle()) return false;
    }
    SimNode leader = null;
    for (SimNode n : nodes) {
      if (!n.up) return false;
      if (n.core.role() == Role.LEADER) {
        if (leader != null) return false;
        leader = n;
      }
    }
    if (leader == null) return false;
    // Only the current members must converge; nodes never added or removed may lag forever.
    Membership members = leader.core.membership();
    if (!members.isVoter(leader.id)) return false;
    long last = leader.core.lastIndex();
    for (SimNode n : nodes) {
      if (!members.contains(n.id)) continue;
      if (n.core.term() != leader.core.term() || n.core.leaderId() != leader.id) return false;
      if (n.core.lastIndex() != last || n.core.commitIndex() != last || n.appliedIndex != last) return false;
      if (!n.diskIdle() || n.disk.lastIndex() != last) return false;
    }
    for (SimNode n : nodes) {
      if (!members.contains(n.id)) continue;
      for (long i = Math.max(n.disk.logBase(), leader.disk.logBase()) + 1; i <= last; i++) {
        if (!n.disk.entry(i).equals(leader.disk.entry(i))) {
          throw new SimulationFailure(seed, now, "converged logs differ between " + leader.id + " and " + n.id
              + " at " + i);
        }
      }
      if (!n.stateMachine.equals(leader.stateMachine)) {
        throw new SimulationFailure(seed, now, "state machines differ between " + leader.id + " and " + n.id);
      }
    }
    return true;
  }

  String describeCluster() {
    StringBuilder sb = new StringBuilder();
    for (SimNode n : nodes) {
      sb.append(" [n").append(n.id);
      if (!n.up) {
        sb.append(" down]");
        continue;
      }
      sb.append(' ').append(n.core.role()).append(" t").append(n.core.term()).append(" leader=")
          .append(n.core.leaderId()).append(" last=").append(n.core.lastIndex()).append(" commit=")
          .append(n.core.commitIndex()).append(" applied=").append(n.appliedIndex).append(" base=")
          .append(n.disk.logBase()).append(" disk=").append(n.disk.lastIndex()).append(" voters=")
          .append(n.core.membership().voters().keySet()).append(" learners=")
          .append(n.core.membership().learners().keySet()).append(n.diskIdle() ? "" : " busy").append(']');
    }
    int busy = 0;
    for (SimClient c : clients) if (!c.idle()) busy++;
    sb.append(" clientsBusy=").append(busy);
    return sb.toString();
  }
}
