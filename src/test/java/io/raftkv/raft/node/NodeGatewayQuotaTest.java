package io.raftkv.raft.node;

import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.StatusBoard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.NodeHealth;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.storage.InMemoryStorage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where a write enters, the gateway applies the quota: a client's write on this node, and a
 * write a follower forwarded to this node as leader. A refused write never reaches the Raft node.
 */
class NodeGatewayQuotaTest {
  private static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "mem:1", "h:1")));

  private final ActorTestKit kit = ActorTestKit.create();
  private final TestProbe<RaftNode.Command> node = kit.createTestProbe();
  private final DiskQuota quota = new DiskQuota(1000);
  private final NodeGateway gateway = NodeGateway.builder(node.getRef())
      .scheduler(kit.system().scheduler())
      .status(new StatusBoard(ONE, NodeStatus.builder().nodeId(1).currentLeader(1).currentLeaderHttp("h:1")
          .currentTerm(2).state("Leader").lastLogIndex(5).commitIndex(5).lastAppliedIndex(5).lastAppliedTerm(2)))
      .stateMachine(new InMemoryStorage())
      .settings(RaftNodeActorTest.settings(1).quotaBackendBytes(1000).build())
      .materializer(org.apache.pekko.stream.Materializer.matFromSystem(kit.system()))
      .readExecutor(Runnable::run)
      .quota(quota)
      .readiness(new ReadinessRules(Duration.ofMillis(600), 1000))
      .build();

  @AfterEach
  void tearDown() {
    kit.shutdownTestKit();
  }

  @Test
  void overTheQuotaWritesThatAddDataAreRefusedHereAndWhenForwarded() throws Exception {
    quota.update(1001);
    WriteOutcome own = gateway.write(new KvCommand.Set("k", "v")).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertInstanceOf(WriteOutcome.NoSpace.class, own);
    assertTrue(((WriteOutcome.NoSpace) own).reason().contains("node 1"), own.toString());
    WriteOutcome forwarded = gateway.onForward(new KvCommand.GetSet("k", "v")).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertInstanceOf(WriteOutcome.NoSpace.class, forwarded);
    node.expectNoMessage(Duration.ofMillis(100));

    gateway.write(new KvCommand.Delete("k"));
    RaftNode.ClientWrite delete = node.expectMessageClass(RaftNode.ClientWrite.class);
    assertEquals(new KvCommand.Delete("k"), KvCommandCodec.decode(delete.command()));
  }

  @Test
  void underTheQuotaWritesGoToTheNode() {
    quota.update(999);
    gateway.onForward(new KvCommand.Set("k", "v"));
    RaftNode.ClientWrite w = node.expectMessageClass(RaftNode.ClientWrite.class);
    assertTrue(w.forwarded());
  }

  @Test
  void healthShowsTheAlarmAndItsReason() {
    quota.update(1500);
    NodeHealth h = gateway.health();
    assertEquals(List.of("NOSPACE"), h.alarms());
    assertEquals(1500, h.diskUsageBytes());
    assertEquals(1000, h.quotaBackendBytes());
    assertTrue(h.notReadyReasons().stream().anyMatch(r -> r.startsWith("alarm NOSPACE")), h.toString());

    quota.update(10);
    assertEquals(List.of(), gateway.health().alarms());
    assertTrue(gateway.health().ready(), gateway.health().toString());
  }
}
