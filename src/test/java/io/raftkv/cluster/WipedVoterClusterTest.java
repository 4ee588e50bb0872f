package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.RaftKvServer;
import io.raftkv.raft.core.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A voter whose disk is wiped comes back with its old node id but a new incarnation. It must not
 * vote as the member it was: with a stale follower it would otherwise elect a leader that lacks an
 * acknowledged write. Until an operator removes the old member, its join is refused (409) and its
 * /health says why; after the removal it joins again by itself.
 */
class WipedVoterClusterTest {
  @TempDir Path dir;

  @Test
  void aWipedVoterCannotHelpAStaleFollowerWinAndRejoinsAfterItIsRemoved() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      c.awaitLeader();
      // Node 3 goes stale: it misses the write that nodes 1 and 2 then acknowledge.
      c.stop(3);
      int leader = c.awaitLeader();
      c.setEventually(leader, "acked", "yes");
      long oldIncarnation = c.server(1).membership().member(2).incarnation();
      assertNotEquals(0, oldIncarnation, "members are recorded with their incarnation");

      // Nodes 1 and 2 go down; node 2's disk is wiped. Node 3 and the wiped node 2 come back.
      c.stop(1);
      c.stop(2);
      wipe(dir.resolve("node2"));
      c.start(3);
      CompletableFuture<RaftKvServer> wiped = c.startAsync(2);

      // Without its old incarnation, node 2 neither votes nor counts: node 3 cannot win, and
      // the acknowledged write is never read back as missing.
      Awaitility.await("node 2 serves /health while it waits").atMost(Duration.ofSeconds(15)).until(() -> {
        try {
          return c.get(2, "/health").status() == 200;
        } catch (Exception e) {
          return false;
        }
      });
      Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
          .until(() -> !c.server(3).status().isLeader() && c.server(3).status().currentLeader() == 0);
      TestCluster.Response read = c.get(3, "/get?key=acked");
      assertNotEquals(200, read.status(), "no leader may answer without the acknowledged write: " + read);
      JsonNode health = c.get(2, "/health").json();
      assertNotNull(health.get("identity_problem"), "the wiped node says why it stays out: " + health);
      assertTrue(health.get("identity_problem").asText().contains("/leave"), health.toString());

      // Node 1, which has the write, comes back: the cluster elects a leader that has it.
      c.start(1);
      int newLeader = awaitLeaderAmong(c, 1, 3);
      assertEquals("yes", c.read(newLeader, "acked"));
      assertEquals("yes", c.read(3, "acked"));

      // The wiped node's join is refused while its old incarnation is a member...
      TestCluster.Response join = c.post(newLeader, "/join",
          "{\"node_id\": 2, \"endpoint\": \"" + c.raftAddr(2) + "\"}");
      assertEquals(409, join.status(), join.body());
      assertTrue(join.json().get("error").asText().contains("/leave"), join.body());
      assertTrue(c.server(newLeader).membership().member(2).isIncarnation(oldIncarnation));

      // ...and once the old member is removed, its own start-up loop joins it again.
      // Two voters remain, so the removal must be forced.
      TestCluster.Response leave = c.post(newLeader, "/leave", "{\"node_id\": 2, \"force\": true}");
      assertEquals(200, leave.status(), leave.body());
      RaftKvServer rejoined = wiped.get(60, TimeUnit.SECONDS);
      Awaitility.await("node 2 is a voter again").atMost(Duration.ofSeconds(30)).until(() -> {
        Member m = c.server(newLeader).membership().voters().get(2L);
        return m != null && !m.isIncarnation(oldIncarnation);
      });
      Awaitility.await("node 2's problem is gone").atMost(Duration.ofSeconds(10))
          .until(() -> rejoined.status().identityProblem() == null);
      assertEquals("yes", c.read(2, "acked"));
      c.setEventually(2, "after-rejoin", "ok");
      assertEquals("ok", c.read(1, "after-rejoin"));
    }
  }

  private static int awaitLeaderAmong(TestCluster c, int a, int b) {
    int[] found = new int[1];
    Awaitility.await("a leader among nodes " + a + " and " + b).atMost(Duration.ofSeconds(20)).until(() -> {
      for (int id : new int[] {a, b}) {
        if (c.server(id).status().isLeader() && c.server(a == id ? b : a).status().currentLeader() == id) {
          found[0] = id;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static void wipe(Path path) throws IOException {
    if (!Files.exists(path)) return;
    try (Stream<Path> files = Files.walk(path)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
