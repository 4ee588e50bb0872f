package io.raftkv.raft.node;

import io.raftkv.raft.driver.StartingPoint;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.raft.driver.SnapshotBacklog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.raftkv.api.NodeStatus;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.storage.Recovered;
import io.raftkv.storage.StorageException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The guardian tells a storage failure from a crash of the Raft node on a bug, through the real
 * node actor's watch of its storage actor, so the process can exit 74 or 70 accordingly.
 */
class NodeGuardianTest {
  private final ActorTestKit kit = ActorTestKit.create(ConfigFactory.load());

  @AfterEach
  void tearDown() {
    kit.shutdownTestKit();
  }

  @Test
  void aFailedWriteInTheStorageActorIsAStorageFailureWithItsCause() throws Exception {
    NodeFailure f = bootstrapWithStorage(Behaviors.receiveMessage(m -> {
      throw new StorageException("synced write of the log failed", new IOException("No space left on device"));
    }));
    assertEquals(NodeFailure.Kind.STORAGE, f.kind());
    assertTrue(f.describe().contains("synced write of the log failed: No space left on device"), f.describe());
  }

  @Test
  void aBugInTheStorageActorIsAnInternalError() throws Exception {
    NodeFailure f = bootstrapWithStorage(Behaviors.receiveMessage(m -> {
      throw new IllegalArgumentException("index 7 out of order");
    }));
    assertEquals(NodeFailure.Kind.INTERNAL, f.kind());
    assertTrue(f.describe().contains("index 7 out of order"), f.describe());
  }

  @Test
  void aCrashOfTheRaftNodeItselfIsAnInternalError() throws Exception {
    CompletableFuture<NodeFailure> failure = new CompletableFuture<>();
    ActorRef<RaftNode.Command> node = spawnUnderGuardian(failure, Behaviors.receiveMessage(m -> {
      throw new NullPointerException("handler bug");
    }));
    node.tell(new RaftNode.GetStatus(kit.<NodeStatus>createTestProbe().getRef()));
    NodeFailure f = failure.get(10, TimeUnit.SECONDS);
    assertEquals(NodeFailure.Kind.INTERNAL, f.kind());
    assertEquals("internal error: handler bug", f.describe());
  }

  private NodeFailure bootstrapWithStorage(Behavior<StorageActor.Command> storage) throws Exception {
    InMemoryStorage store = new InMemoryStorage();
    Recovered r = store.recover();
    NodeSettings settings = RaftNodeActorTest.settings(1).build();
    RaftCore core = new RaftCore(1, RaftNodeActorTest.RAFT, new Random(1), r.hardState(), r.storedLog(), store,
        r.appliedIndex(), Membership.EMPTY, settings.logLimits());
    StatusBoard board = new StatusBoard(Membership.EMPTY, NodeStatus.builder().nodeId(1));
    CompletableFuture<NodeFailure> failure = new CompletableFuture<>();
    ActorRef<RaftNode.Command> node = spawnUnderGuardian(failure, RaftNode.create(
        settings, new StartingPoint(core, 0, 0, SnapshotBacklog.NONE), storage, new InMemoryNetwork().transportFor(1), board,
        null));
    // Founding the cluster makes the node persist its first entry: the storage actor's first job.
    node.tell(new RaftNode.Bootstrap(Membership.ofVoters(List.of(new Member(1, "mem:1", "h:1"))),
        kit.<Boolean>createTestProbe().getRef()));
    return failure.get(10, TimeUnit.SECONDS);
  }

  private ActorRef<RaftNode.Command> spawnUnderGuardian(
      CompletableFuture<NodeFailure> failure, Behavior<RaftNode.Command> node) {
    ActorRef<NodeGuardian.Command> guardian = kit.spawn(NodeGuardian.create(failure::complete));
    var probe = kit.<ActorRef<RaftNode.Command>>createTestProbe();
    guardian.tell(new NodeGuardian.Spawn(node, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }
}
