package io.raftkv.raft.node;

import io.raftkv.raft.driver.StartingPoint;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.raft.driver.SnapshotBacklog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.storage.Recovered;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real role behaviors (follower, candidate, leader) over the in-memory network and storage,
 * with Pekko's manual clock: time moves only when the test says so, so elections and timeouts
 * happen at the test's pace however loaded the machine is.
 */
class RaftNodeActorTest {
  static final Duration TICK = Duration.ofMillis(10);
  static final RaftConfig RAFT = new RaftConfig(15, 30, 3, 64, 1 << 20, 8, true, true);

  /** The settings the node tests share: small batches and chunks, no automatic snapshots, no quota. */
  static NodeSettings.Builder settings(long id) {
    return NodeSettings.builder(id, "mem:" + id, "h:" + id)
        .raft(RAFT)
        .tick(TICK)
        .requestTimeout(Duration.ofSeconds(2))
        .maxBatchEntries(64)
        .snapshotIntervalEntries(0)
        .snapshotKeepLogEntries(100)
        .snapshotChunkBytes(64 * 1024)
        .snapshotIntervalBytes(0);
  }
  static final Membership THREE = Membership.ofVoters(List.of(
      new Member(1, "mem:1", "h:1"), new Member(2, "mem:2", "h:2"), new Member(3, "mem:3", "h:3")));

  ActorTestKit kit;
  ManualTime time;
  InMemoryNetwork network;
  final TreeMap<Long, StatusBoard> boards = new TreeMap<>();
  final TreeMap<Long, NodeGateway> gateways = new TreeMap<>();
  final TreeMap<Long, ActorRef<RaftNode.Command>> nodes = new TreeMap<>();
  final TreeMap<Long, InMemoryStorage> stores = new TreeMap<>();

  @BeforeEach
  void setUp() {
    kit = ActorTestKit.create(ManualTime.config().withFallback(ConfigFactory.load()));
    time = ManualTime.get(kit.system());
    network = new InMemoryNetwork();
    for (long id = 1; id <= 3; id++) startNode(id);
    var probe = kit.<Boolean>createTestProbe();
    nodes.get(1L).tell(new RaftNode.Bootstrap(THREE, probe.getRef()));
    assertEquals(true, probe.receiveMessage());
  }

  @AfterEach
  void tearDown() {
    kit.shutdownTestKit();
  }

  void startNode(long id) {
    InMemoryStorage store = new InMemoryStorage();
    stores.put(id, store);
    Recovered r = store.recover();
    NodeSettings settings = settings(id).build();
    RaftCore core = new RaftCore(id, RAFT, new Random(id), r.hardState(), r.storedLog(), store, r.appliedIndex(),
        Membership.EMPTY, settings.logLimits());
    StatusBoard board = new StatusBoard(Membership.EMPTY, NodeStatus.builder().nodeId(id));
    ActorRef<RaftNode.Command> node = kit.spawn(RaftNode.create(
        settings, new StartingPoint(core, r.appliedIndex(), r.appliedTerm(), SnapshotBacklog.NONE),
        StorageActor.create(store, store, store), network.transportFor(id), board, null), "node-" + id);
    NodeGateway gateway = NodeGateway.builder(node)
        .scheduler(kit.system().scheduler())
        .status(board)
        .stateMachine(store)
        .settings(settings)
        .materializer(org.apache.pekko.stream.Materializer.matFromSystem(kit.system()))
        .readExecutor(kit.system().dispatchers().lookup(
            org.apache.pekko.actor.typed.DispatcherSelector.fromConfig(NodeGateway.READ_DISPATCHER)))
        .quota(new DiskQuota(0))
        .readiness(new ReadinessRules(Duration.ofSeconds(1), 1000))
        .build();
    network.register(id, "mem:" + id, gateway);
    boards.put(id, board);
    gateways.put(id, gateway);
    nodes.put(id, node);
  }

  /** Moves the manual clock a tick at a time until the condition holds, at most {@code maxMs} of it. */
  void advanceUntil(String what, int maxMs, BooleanSupplier condition) throws InterruptedException {
    for (int elapsed = 0; elapsed <= maxMs; elapsed += TICK.toMillis()) {
      if (condition.getAsBoolean()) return;
      time.timePasses(TICK);
      // Virtual time must not outrun the actors: each node handles this tick before the next.
      for (ActorRef<RaftNode.Command> node : nodes.values()) {
        var probe = kit.<NodeStatus>createTestProbe();
        node.tell(new RaftNode.GetStatus(probe.getRef()));
        probe.receiveMessage(Duration.ofSeconds(10));
      }
    }
    StringBuilder state = new StringBuilder();
    for (var e : boards.entrySet()) state.append("\n  ").append(e.getValue().get());
    throw new AssertionError("not within " + maxMs + " ms of virtual time: " + what + state);
  }

  <T> T await(CompletionStage<T> stage) throws Exception {
    var f = stage.toCompletableFuture();
    advanceUntil("reply", 5000, f::isDone);
    return f.get();
  }

  long leaderAmong(long... ids) {
    long leader = 0;
    for (long id : ids) if (boards.get(id).get().isLeader()) leader = id;
    return leader;
  }

  @Test
  void electsOneLeaderAndReplicatesThroughAFollower() throws Exception {
    advanceUntil("a leader", 3000, () -> leaderAmong(1, 2, 3) != 0);
    long leader = leaderAmong(1, 2, 3);
    long follower = leader % 3 + 1;
    advanceUntil("follower knows the leader", 3000, () -> boards.get(follower).get().currentLeader() == leader);
    WriteOutcome w = await(gateways.get(follower).write(new KvCommand.Set("k", "v")));
    assertInstanceOf(WriteOutcome.Applied.class, w, "forwarded to the leader and applied");
    for (long id = 1; id <= 3; id++) {
      ReadOutcome r = await(gateways.get(id).get("k", true));
      assertEquals(new ReadOutcome.Value("k", "v"), r, "linearizable read on node " + id);
    }
  }

  @Test
  void isolatedLeaderIsReplacedAndCatchesUpAfterHeal() throws Exception {
    advanceUntil("a leader", 3000, () -> leaderAmong(1, 2, 3) != 0);
    long old = leaderAmong(1, 2, 3);
    long[] others = old == 1 ? new long[] {2, 3} : old == 2 ? new long[] {1, 3} : new long[] {1, 2};
    advanceUntil("followers know the leader", 3000,
        () -> boards.get(others[0]).get().currentLeader() == old && boards.get(others[1]).get().currentLeader() == old);

    network.isolate(old);
    advanceUntil("a new leader among the majority", 5000, () -> leaderAmong(others) != 0);
    long fresh = leaderAmong(others);
    assertNotEquals(old, fresh);
    // Check quorum (thesis §6.2): the cut-off leader steps down on its own.
    advanceUntil("old leader steps down", 5000, () -> !boards.get(old).get().isLeader());

    WriteOutcome w = await(gateways.get(fresh).write(new KvCommand.Set("after", "partition")));
    assertInstanceOf(WriteOutcome.Applied.class, w);
    ReadOutcome stale = await(gateways.get(old).get("after", true));
    assertTrue(stale instanceof ReadOutcome.NoLeader || stale instanceof ReadOutcome.Timeout,
        "the isolated node must not serve a linearizable read: " + stale);

    network.heal();
    long target = boards.get(fresh).get().commitIndex();
    advanceUntil("old leader catches up", 5000, () -> boards.get(old).get().lastAppliedIndex() >= target);
    assertEquals("partition", stores.get(old).get("after"));
    assertEquals(new ReadOutcome.Value("after", "partition"), await(gateways.get(old).get("after", true)));
  }
}
