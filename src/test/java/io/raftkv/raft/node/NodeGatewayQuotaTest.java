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
  private final NodeGateway gateway = new NodeGateway(
      node.getRef(), kit.system().scheduler(),
      new StatusBoard(new NodeStatus(1, 1, "h:1", 2, "Leader", 5, 5, 5, 2, ONE)), new InMemoryStorage(),
      new NodeSettings(1, "mem:1", "h:1", RaftNodeActorTest.RAFT, RaftNodeActorTest.TICK, Duration.ofSeconds(2),
          true, 64, 0, 100, 64 * 1024, 0, 4096, 16 << 20, 4096, 64 << 20, 9, 1000),
      org.apache.pekko.stream.Materializer.matFromSystem(kit.system()), Runnable::run, quota,
      new ReadinessRules(Duration.ofMillis(600), 1000));

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
