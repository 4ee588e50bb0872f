package io.raftkv.chaos;

import io.raftkv.chaos.LinkProxy.Mode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntConsumer;

/**
 * Injects one fault at a time into a running {@link ChaosCluster}, chosen and timed by a seeded
 * random schedule, heals it, lets the cluster settle for a moment, and starts the next: so every
 * fault is seen both while it lasts and while the cluster recovers from it. The same seed gives
 * the same sequence of fault kinds and durations (what they hit depends on which node leads).
 */
final class Nemesis {
  enum Kind {
    KILL_LEADER,
    KILL_FOLLOWER,
    PAUSE_LEADER,
    PAUSE_FOLLOWER,
    ISOLATE_LEADER,
    ISOLATE_FOLLOWER,
    SPLIT,
    BRIDGE,
    FLAPPING_LINKS,
    DEAFEN_LEADER,
    SLOW_DISK,
    SLOW_NETWORK,
    MEMBERSHIP_UNDER_PARTITION,
    SNAPSHOT_CATCH_UP,
    TRANSFER_LEADER
  }

  private final ChaosCluster cluster;
  private final RunClock clock;
  private final Random random;
  private final List<FaultRecord> faults = new CopyOnWriteArrayList<>();
  private final Faults act;

  /** {@code onLeaderLoss} hears of each fault that takes the leader away, with its id. */
  Nemesis(ChaosCluster cluster, RunClock clock, long seed, IntConsumer onLeaderLoss) {
    this.cluster = cluster;
    this.clock = clock;
    this.random = new Random(seed);
    this.act = new Faults(cluster, clock, random, onLeaderLoss);
  }

  List<FaultRecord> faults() {
    return List.copyOf(faults);
  }

  /** Runs faults until the clock stops, then heals whatever is still broken. */
  void run() throws Exception {
    List<Kind> kinds = List.of(Kind.values());
    try {
      while (clock.hold(Duration.ofMillis(2_000 + random.nextInt(2_000)))) {
        Kind kind = kinds.get(random.nextInt(kinds.size()));
        FaultRecord f = inject(kind);
        faults.add(f);
        act.settle(f);
      }
    } finally {
      act.healEverything();
    }
  }

  private FaultRecord inject(Kind kind) throws Exception {
    Duration hold = Duration.ofMillis(1_500 + random.nextInt(5_000));
    Optional<Integer> leader = cluster.leader();
    switch (kind) {
      case KILL_LEADER:
        return act.kill(leader.orElse(act.anyMember()), leader.isPresent(), hold);
      case KILL_FOLLOWER:
        return act.kill(act.follower(leader), false, hold);
      case PAUSE_LEADER:
        return act.pause(leader.orElse(act.anyMember()), leader.isPresent(), hold);
      case PAUSE_FOLLOWER:
        return act.pause(act.follower(leader), false, hold);
      case ISOLATE_LEADER:
        return act.isolate(leader.orElse(act.anyMember()), leader.isPresent(), hold);
      case ISOLATE_FOLLOWER:
        return act.isolate(act.follower(leader), false, hold);
      case SPLIT:
        return split(leader, hold);
      case BRIDGE:
        return bridge(leader, hold);
      case FLAPPING_LINKS:
        return act.flap(act.anyMember(), hold.multipliedBy(2));
      case DEAFEN_LEADER:
        return act.deafen(leader.orElse(act.anyMember()), leader.isPresent(), hold);
      case SLOW_DISK:
        return act.slowDisk(random.nextBoolean() ? leader.orElse(act.anyMember()) : act.follower(leader),
            50 + random.nextInt(250), hold);
      case SLOW_NETWORK:
        return act.slowNetwork(act.anyMember(), hold);
      case MEMBERSHIP_UNDER_PARTITION:
        return act.membershipUnderPartition(leader);
      case SNAPSHOT_CATCH_UP:
        return act.snapshotCatchUp(leader);
      case TRANSFER_LEADER:
        return act.transferLeader(leader);
      default:
        throw new IllegalStateException("unknown fault " + kind);
    }
  }

  /** A random majority and minority; the old leader lands on either side. */
  private FaultRecord split(Optional<Integer> leader, Duration hold) throws Exception {
    List<Integer> members = new ArrayList<>(cluster.members());
    Collections.shuffle(members, random);
    int minoritySize = 1 + random.nextInt(Math.max(1, (members.size() - 1) / 2));
    Set<Integer> minority = new HashSet<>(members.subList(0, minoritySize));
    Set<Integer> majority = new HashSet<>(members.subList(minoritySize, members.size()));
    Mode how = random.nextBoolean() ? Mode.CUT : Mode.BLACKHOLE;
    int lostLeader = leader.isPresent() && minority.contains(leader.get()) ? leader.get() : -1;
    return act.partition(List.of(majority, minority), minority, lostLeader, how, hold);
  }

  /**
   * Two halves that cannot reach each other but both reach one bridge node: with PreVote and
   * CheckQuorum the bridge (or a node it can vouch for) leads, and no one stalls.
   */
  private FaultRecord bridge(Optional<Integer> leader, Duration hold) throws Exception {
    List<Integer> members = new ArrayList<>(cluster.members());
    Collections.shuffle(members, random);
    int bridge = members.remove(0);
    Set<Integer> left = new HashSet<>(members.subList(0, members.size() / 2));
    Set<Integer> right = new HashSet<>(members.subList(members.size() / 2, members.size()));
    return act.bridge(left, bridge, right, leader, hold);
  }
}
