package io.raftkv.raft.node;

import io.raftkv.raft.driver.StartingPoint;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.raft.driver.SnapshotBacklog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.ReadQuery;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.storage.Recovered;
import io.raftkv.storage.StateMachineStore;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.Materializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The query of a read runs on the read dispatcher, never on the Raft node actor's thread: while
 * a scan is stuck, the actor keeps ticking, answering and committing writes.
 */
class ReadsOffTheActorTest {
  private ActorTestKit kit;
  private InMemoryStorage store;
  private BlockingScans reads;
  private ActorRef<RaftNode.Command> node;
  private NodeGateway gateway;
  private StatusBoard board;

  @BeforeEach
  void startSingleNode() {
    kit = ActorTestKit.create("ReadsOffTheActorTest", ConfigFactory.load());
    store = new InMemoryStorage();
    reads = new BlockingScans(store);
    Recovered r = store.recover();
    NodeSettings settings = RaftNodeActorTest.settings(1).requestTimeout(Duration.ofSeconds(10)).build();
    RaftCore core = new RaftCore(1, RaftNodeActorTest.RAFT, new Random(1), r.hardState(), r.storedLog(), store,
        r.appliedIndex(), Membership.EMPTY, settings.logLimits());
    board = new StatusBoard(Membership.EMPTY, NodeStatus.builder().nodeId(1));
    InMemoryNetwork network = new InMemoryNetwork();
    node = kit.spawn(RaftNode.create(
        settings, new StartingPoint(core, r.appliedIndex(), r.appliedTerm(), SnapshotBacklog.NONE),
        StorageActor.create(store, store, store), network.transportFor(1), board, null), "node-1");
    gateway = NodeGateway.builder(node)
        .scheduler(kit.system().scheduler())
        .status(board)
        .stateMachine(reads)
        .settings(settings)
        .materializer(Materializer.matFromSystem(kit.system()))
        .readExecutor(kit.system().dispatchers().lookup(DispatcherSelector.fromConfig(NodeGateway.READ_DISPATCHER)))
        .quota(new DiskQuota(0))
        .readiness(new ReadinessRules(Duration.ofSeconds(1), 1000))
        .build();
    network.register(1, "mem:1", gateway);
    var probe = kit.<Boolean>createTestProbe();
    node.tell(new RaftNode.Bootstrap(
        Membership.ofVoters(List.of(new Member(1, "mem:1", "h:1"))), probe.getRef()));
    assertEquals(true, probe.receiveMessage());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> board.get().isLeader() && board.get().lastAppliedIndex() >= 1);
  }

  @AfterEach
  void stop() {
    reads.release.countDown();
    kit.shutdownTestKit();
  }

  @Test
  void aBlockedScanDoesNotHoldUpTheNodeActor() throws Exception {
    assertInstanceOf(WriteOutcome.Applied.class, gateway.write(new KvCommand.Set("k1", "v1")).toCompletableFuture()
        .get(10, TimeUnit.SECONDS));
    CompletableFuture<ReadOutcome> scan =
        gateway.read(new ReadQuery.Prefix("k", 10), true).toCompletableFuture();
    assertTrue(reads.entered.await(10, TimeUnit.SECONDS), "the scan must start");

    // The scan is stuck; the actor still answers, ticks (heartbeat timers) and commits a write.
    long termBefore = board.get().currentTerm();
    var status = kit.<NodeStatus>createTestProbe();
    node.tell(new RaftNode.GetStatus(status.getRef()));
    assertTrue(status.receiveMessage(Duration.ofSeconds(5)).isLeader());
    WriteOutcome write = gateway.write(new KvCommand.Set("k2", "v2")).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertInstanceOf(WriteOutcome.Applied.class, write);
    assertEquals(termBefore, board.get().currentTerm(), "no election while the scan blocks");
    assertTrue(!scan.isDone(), "the scan is still blocked");

    reads.release.countDown();
    ReadOutcome.Items items = (ReadOutcome.Items) scan.get(10, TimeUnit.SECONDS);
    assertTrue(items.items().size() >= 1);
    assertTrue(reads.thread.startsWith("ReadsOffTheActorTest-" + NodeGateway.READ_DISPATCHER),
        "the scan ran on " + reads.thread);

    // Local reads take the same executor.
    reads.thread = null;
    gateway.read(new ReadQuery.Prefix("k", 10), false).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(reads.thread.contains(NodeGateway.READ_DISPATCHER), "the local scan ran on " + reads.thread);
  }

  /** The node's state machine, whose first scan blocks until released, recording its thread. */
  private static final class BlockingScans implements StateMachineStore {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile String thread;
    private final InMemoryStorage delegate;

    BlockingScans(InMemoryStorage delegate) {
      this.delegate = delegate;
    }

    @Override
    public KvPage scan(String prefix, String startAfter, int limit, long maxBytes) {
      thread = Thread.currentThread().getName();
      entered.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return delegate.scan(prefix, startAfter, limit, maxBytes);
    }

    @Override
    public String get(String key) {
      thread = Thread.currentThread().getName();
      return delegate.get(key);
    }

    @Override
    public long appliedIndex() {
      return delegate.appliedIndex();
    }

    @Override
    public long appliedTerm() {
      return delegate.appliedTerm();
    }

    @Override
    public List<KvResult> apply(List<LogEntry> entries, LongPredicate resultWanted) {
      return delegate.apply(entries, resultWanted);
    }

    @Override
    public void close() {}
  }
}
