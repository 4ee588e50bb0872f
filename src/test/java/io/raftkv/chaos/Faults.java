package io.raftkv.chaos;

import static org.awaitility.Awaitility.await;

import io.raftkv.chaos.LinkProxy.Mode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.IntConsumer;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The faults themselves: each method breaks something, holds it, repairs it, and returns the
 * record of what happened. The {@link Nemesis} decides which and when.
 */
final class Faults {
  /**
   * How long the cluster may take after a repair to have a leader and every member ready. A
   * killed node must start a new JVM and catch up: on a loaded two-core machine that alone has
   * taken over 30 s.
   */
  static final Duration SETTLE = Duration.ofSeconds(60);

  private static final String INSTALLED = "installed the leader's snapshot";

  private final ChaosCluster cluster;
  private final RunClock clock;
  private final Random random;
  private final IntConsumer onLeaderLoss;

  /** {@code onLeaderLoss} hears of each fault that takes the leader away, with its id. */
  Faults(ChaosCluster cluster, RunClock clock, Random random, IntConsumer onLeaderLoss) {
    this.cluster = cluster;
    this.clock = clock;
    this.random = random;
    this.onLeaderLoss = onLeaderLoss;
  }

  int anyMember() {
    List<Integer> members = new ArrayList<>(cluster.members());
    return members.get(random.nextInt(members.size()));
  }

  int follower(Optional<Integer> leader) {
    List<Integer> members = new ArrayList<>(cluster.members());
    leader.ifPresent(members::remove);
    return members.get(random.nextInt(members.size()));
  }

  private Mode anyFailure() {
    return random.nextBoolean() ? Mode.CUT : Mode.BLACKHOLE;
  }

  FaultRecord kill(int node, boolean isLeader, Duration hold) throws Exception {
    FaultRecord f = begin("kill", "kill -9 " + role(node, isLeader) + ", restart after " + ms(hold),
        Set.of(), isLeader);
    cluster.node(node).kill();
    if (isLeader) onLeaderLoss.accept(node);
    clock.hold(hold);
    cluster.node(node).start();
    return end(f);
  }

  FaultRecord pause(int node, boolean isLeader, Duration hold) throws Exception {
    FaultRecord f = begin("pause", "SIGSTOP " + role(node, isLeader) + ", SIGCONT after " + ms(hold),
        Set.of(), isLeader);
    cluster.node(node).pause();
    if (isLeader) onLeaderLoss.accept(node);
    clock.hold(hold);
    cluster.node(node).resume();
    return end(f);
  }

  FaultRecord isolate(int node, boolean isLeader, Duration hold) throws Exception {
    Mode how = anyFailure();
    FaultRecord f = begin("isolate", how + " every link of " + role(node, isLeader) + " for " + ms(hold),
        Set.of(node), isLeader);
    cluster.network().isolate(node, how);
    if (isLeader) onLeaderLoss.accept(node);
    clock.hold(hold);
    cluster.network().heal();
    return end(f);
  }

  /** {@code lostLeader} is the leader when it lands on the minority side, else -1. */
  FaultRecord partition(List<Set<Integer>> sides, Set<Integer> minority, int lostLeader, Mode how,
      Duration hold) throws Exception {
    FaultRecord f = begin("split", how + " between " + sides + " for " + ms(hold), minority, lostLeader > 0);
    cluster.network().partition(sides, how);
    if (lostLeader > 0) onLeaderLoss.accept(lostLeader);
    clock.hold(hold);
    cluster.network().heal();
    return end(f);
  }

  FaultRecord bridge(Set<Integer> left, int bridge, Set<Integer> right, Optional<Integer> leader,
      Duration hold) throws Exception {
    Mode how = anyFailure();
    FaultRecord f = begin("bridge", how + " between " + left + " and " + right + ", node " + bridge
        + " reaches both, for " + ms(hold) + " (leader was " + leader.map(String::valueOf).orElse("none") + ")",
        Set.of(), false);
    cluster.network().cutBetween(left, right, how);
    clock.hold(hold);
    cluster.network().heal();
    return end(f);
  }

  /** Every link of {@code node} goes down and up again every 100-500 ms. */
  FaultRecord flap(int node, Duration total) throws Exception {
    FaultRecord f = begin("flapping", "links of node " + node + " go down and up for " + ms(total),
        Set.of(), false);
    long until = clock.micros() + total.toNanos() / 1_000;
    boolean down = false;
    int flips = 0;
    while (clock.micros() < until) {
      down = !down;
      for (LinkProxy l : cluster.network().touching(node)) {
        l.set(down ? Mode.CUT : Mode.PASS);
      }
      flips++;
      if (!clock.hold(Duration.ofMillis(100 + random.nextInt(400)))) break;
    }
    cluster.network().heal();
    f.note(flips + " flips");
    return end(f);
  }

  FaultRecord deafen(int node, boolean isLeader, Duration hold) throws Exception {
    FaultRecord f = begin("deafen", role(node, isLeader) + " sends but hears nothing for " + ms(hold),
        Set.of(node), isLeader);
    cluster.network().deafen(node);
    if (isLeader) onLeaderLoss.accept(node);
    clock.hold(hold);
    cluster.network().heal();
    return end(f);
  }

  FaultRecord slowDisk(int node, long delayMs, Duration hold) throws Exception {
    FaultRecord f = begin("slow-disk", "every fsync of node " + node + " takes " + delayMs + " ms more for "
        + ms(hold), Set.of(), false);
    cluster.slowDisk(node, delayMs);
    clock.hold(hold);
    cluster.slowDisk(node, 0);
    return end(f);
  }

  FaultRecord slowNetwork(int node, Duration hold) throws Exception {
    FaultRecord f;
    int variant = random.nextInt(3);
    if (variant == 0) {
      long fixed = 20 + random.nextInt(60);
      long jitter = random.nextInt(40);
      f = begin("slow-network", "links of node " + node + " delayed " + fixed + "+" + jitter + " ms for "
          + ms(hold), Set.of(), false);
      cluster.network().slowDown(node, fixed, jitter);
    } else if (variant == 1) {
      long rate = (32 + random.nextInt(96)) * 1024L;
      f = begin("slow-network", "links of node " + node + " capped at " + rate / 1024 + " KiB/s for "
          + ms(hold), Set.of(), false);
      cluster.network().throttle(node, rate);
    } else {
      double fraction = 0.3 + random.nextInt(50) / 100.0;
      f = begin("slow-network", "links of node " + node + " reset, then " + Math.round(fraction * 100)
          + "% of new connections dropped for " + ms(hold), Set.of(), false);
      cluster.network().dropConnections(node, fraction);
    }
    clock.hold(hold);
    cluster.network().heal();
    return end(f);
  }

  /**
   * With one follower cut off, the spare node joins (it starts empty and asks to be added), or,
   * if it is already a member, leaves. It is removed only by a {@code /leave} that answered 200,
   * and its data is wiped only after that, so a wiped node never comes back as a voter.
   */
  FaultRecord membershipUnderPartition(Optional<Integer> leader) throws Exception {
    int cut = follower(leader);
    int spare = cluster.spare();
    boolean joining = !cluster.members().contains(spare);
    if (!joining && cut == spare) cut = follower(Optional.of(spare));
    Mode how = anyFailure();
    FaultRecord f = begin("membership", (joining ? "node " + spare + " joins" : "node " + spare + " leaves")
        + " while node " + cut + " is cut off (" + how + ")", Set.of(cut), false);
    cluster.network().isolate(cut, how);
    try {
      if (joining) {
        join(spare, f);
      } else {
        leave(spare, f);
      }
    } finally {
      cluster.network().heal();
    }
    return end(f);
  }

  private void join(int spare, FaultRecord f) throws Exception {
    NodeProcess node = cluster.node(spare);
    node.wipe();
    node.start();
    long t0 = clock.micros();
    try {
      await("node " + spare + " becomes a voter").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> isVoter(spare));
      cluster.addMember(spare);
      f.note("voter after " + (clock.micros() - t0) / 1000 + " ms");
    } catch (ConditionTimeoutException e) {
      // Not a member as far as anyone answers: it may still be a learner; leave it running so a
      // later membership fault removes it, and let the final check include it if it votes.
      f.note("did not become a voter within 60 s");
      if (isMemberAnywhere(spare)) cluster.addMember(spare);
    }
  }

  private void leave(int spare, FaultRecord f) throws Exception {
    long t0 = clock.micros();
    Map<String, Object> body = Map.of("node_id", spare);
    while (clock.micros() - t0 < 60_000_000L) {
      int via = follower(Optional.of(spare));
      try {
        NodeHttp.Answer a = cluster.http().post(cluster.node(via).httpPort(), "/leave", body, Duration.ofSeconds(20));
        if (a.ok()) {
          cluster.removeMember(spare);
          cluster.node(spare).kill();
          cluster.node(spare).wipe();
          f.note("left after " + (clock.micros() - t0) / 1000 + " ms");
          return;
        }
        f.note("leave via node " + via + ": " + a.status() + " " + a.body().path("error").asText(""));
      } catch (IOException e) {
        f.note("leave via node " + via + ": " + e.getClass().getSimpleName());
      }
      if (!clock.hold(Duration.ofMillis(500))) break;
    }
    f.note("still a member");
  }

  private boolean isVoter(int id) {
    for (int m : cluster.members()) {
      Map<Integer, String> seen = cluster.membersSeenBy(m);
      if (seen != null && "voter".equals(seen.get(id))) return true;
    }
    return false;
  }

  private boolean isMemberAnywhere(int id) {
    for (int m : cluster.members()) {
      Map<Integer, String> seen = cluster.membersSeenBy(m);
      if (seen != null && seen.containsKey(id)) return true;
    }
    return false;
  }

  /**
   * Cuts a follower off until the leader has compacted its log past everything the follower has,
   * so that catching up needs InstallSnapshot, then heals and waits to see the install.
   */
  FaultRecord snapshotCatchUp(Optional<Integer> leader) throws Exception {
    if (leader.isEmpty()) return kill(anyMember(), false, Duration.ofSeconds(2));
    int lead = leader.get();
    int lagging = follower(leader);
    FaultRecord f = begin("snapshot-catch-up", "node " + lagging + " cut off until leader " + lead
        + " compacts past it", Set.of(lagging), false);
    long before = installs(lagging);
    long followerIndex = metric(lagging, "last_log_index");
    cluster.network().isolate(lagging, Mode.CUT);
    try {
      // The leader keeps KEEP_LOG_ENTRIES behind its snapshot: past that, the follower's next
      // entry is gone from the leader's log.
      await("leader " + lead + " compacts past index " + followerIndex)
          .atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(250))
          .until(() -> clock.stopped() || snapshotIndex(lead) - ChaosCluster.KEEP_LOG_ENTRIES > followerIndex + 1);
    } catch (ConditionTimeoutException e) {
      f.note("leader did not compact past " + followerIndex + " within 45 s");
    }
    cluster.network().heal();
    end(f); // the fault is over; what follows only watches the catch-up
    try {
      await("node " + lagging + " installs a snapshot").atMost(Duration.ofSeconds(45))
          .pollInterval(Duration.ofMillis(250)).until(() -> installs(lagging) > before);
      f.note("snapshot installed " + (clock.micros() - f.end) / 1000 + " ms after the heal");
    } catch (ConditionTimeoutException e) {
      f.note("no snapshot install seen (the leader changed, or its log still covered the follower)");
    }
    return end(f);
  }

  FaultRecord transferLeader(Optional<Integer> leader) throws Exception {
    if (leader.isEmpty()) return pause(anyMember(), false, Duration.ofSeconds(2));
    int to = follower(leader);
    FaultRecord f = begin("transfer-leader", "leader " + leader.get() + " hands off to node " + to, Set.of(), false);
    long t0 = clock.micros();
    try {
      NodeHttp.Answer a = cluster.http().post(cluster.node(leader.get()).httpPort(), "/transfer_leader",
          Map.of("node_id", to), Duration.ofSeconds(20));
      f.note(a.status() + " after " + (clock.micros() - t0) / 1000 + " ms"
          + (a.ok() ? "" : " " + a.body().path("error").asText("")));
    } catch (IOException e) {
      f.note("no answer: " + e.getClass().getSimpleName());
    }
    return end(f);
  }

  /** Waits for a leader and every member ready again, and notes how long that took. */
  void settle(FaultRecord f) {
    long t0 = clock.micros();
    try {
      await("recovery after " + f.kind).atMost(SETTLE).pollInterval(Duration.ofMillis(100))
          .until(() -> clock.stopped() || (cluster.leader().isPresent() && cluster.allReady(cluster.members())));
      f.note("settled in " + (clock.micros() - t0) / 1000 + " ms");
    } catch (ConditionTimeoutException e) {
      f.note("NOT settled within " + SETTLE.toSeconds() + " s");
    }
  }

  /** Leaves nothing broken: links pass, disks are fast, paused nodes run, dead members restart. */
  void healEverything() throws Exception {
    cluster.network().heal();
    for (NodeProcess n : cluster.allNodes()) {
      cluster.slowDisk(n.id(), 0);
      n.resume();
      if (cluster.members().contains(n.id()) && !n.isAlive()) n.start();
    }
  }

  /** How many snapshot installs the node's log reports (read as Latin-1: logs may hold any byte). */
  private long installs(int node) throws IOException {
    try (var lines = Files.lines(cluster.node(node).log(), StandardCharsets.ISO_8859_1)) {
      return lines.filter(l -> l.contains(INSTALLED)).count();
    }
  }

  private long snapshotIndex(int node) {
    try {
      NodeHttp.Answer a = cluster.http().get(cluster.node(node).httpPort(), "/snapshot_status", Duration.ofSeconds(1));
      return a.ok() ? a.body().path("index").asLong(-1) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private long metric(int node, String field) {
    try {
      NodeHttp.Answer a = cluster.http().get(cluster.node(node).httpPort(), "/metrics", Duration.ofSeconds(1));
      return a.ok() ? a.body().path(field).asLong(0) : 0;
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private FaultRecord begin(String kind, String description, Set<Integer> minority, boolean losesLeader) {
    return new FaultRecord(kind, description, clock.micros(), minority, losesLeader);
  }

  /** Marks the fault repaired, once: its window ends at the repair, not at what follows. */
  private FaultRecord end(FaultRecord f) {
    if (f.end < 0) f.end = clock.micros();
    return f;
  }

  private static String role(int node, boolean isLeader) {
    return (isLeader ? "leader " : "node ") + node;
  }

  private static String ms(Duration d) {
    return d.toMillis() + " ms";
  }
}
