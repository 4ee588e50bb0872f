package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real nodes over gRPC and RocksDB, driven through HTTP as a user would. */
class ClusterTest {
  static final Map<String, Object> FAST = Map.of(
      "election_timeout_ms_min", 300,
      "election_timeout_ms_max", 600,
      "heartbeat_interval_ms", 50);

  @TempDir Path dir;

  @Test
  void writesOnLeaderAndFollowerAreReadFromEveryNode() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      int follower = leader % 3 + 1;
      assertEquals(200, c.set(leader, "on-leader", "L").status());
      TestCluster.Response viaFollower = c.set(follower, "on-follower", "F");
      assertEquals(200, viaFollower.status(), viaFollower.body());
      assertEquals("Key 'on-follower' set successfully", viaFollower.json().get("message").asText());
      for (int id = 1; id <= 3; id++) {
        // Linearizable by default: visible on every node right after the acknowledgement.
        assertEquals("L", c.read(id, "on-leader"));
        assertEquals("F", c.read(id, "on-follower"));
      }
      assertEquals(200, c.post(follower, "/delete", "{\"key\":\"on-leader\"}").status());
      for (int id = 1; id <= 3; id++) assertEquals(null, c.read(id, "on-leader"));
    }
  }

  @Test
  void leaderFailoverThenOldLeaderCatchesUp() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, FAST)) {
      c.startAll();
      int first = c.awaitLeader();
      c.setEventually(first, "before", "1");
      c.stop(first);
      int second = c.awaitLeader();
      assertNotEquals(first, second);
      c.setEventually(second, "after", "2");
      c.start(first);
      TestCluster.await("old leader catches up", Duration.ofSeconds(20),
          () -> c.server(first).status().lastAppliedIndex() >= c.server(second).status().commitIndex());
      assertEquals("2", c.read(first, "after"));
      assertEquals("1", c.read(first, "before"));
      assertEquals("2", c.get(first, "/get?key=after&consistency=local").json().get("value").asText());
    }
  }

  @Test
  void everyAcknowledgedWriteSurvivesFullRestart() throws Exception {
    Map<String, String> acknowledged = new LinkedHashMap<>();
    try (TestCluster c = new TestCluster(dir, 3, FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      for (int i = 0; i < 50; i++) {
        int via = 1 + (i % 3);
        TestCluster.Response r = c.set(via, "k" + i, "v" + i);
        if (r.status() == 200) acknowledged.put("k" + i, "v" + i);
      }
      assertTrue(acknowledged.size() >= 45, "most writes on a healthy cluster succeed: " + acknowledged.size());
      for (int id = 1; id <= 3; id++) c.stop(id);
      c.startAll();
      c.awaitLeader();
      for (var e : acknowledged.entrySet()) {
        for (int id = 1; id <= 3; id++) assertEquals(e.getValue(), c.read(id, e.getKey()), "node " + id);
      }
      assertTrue(leader > 0);
    }
  }

  @Test
  void anyStartOrderFormsExactlyOneCluster() throws Exception {
    List<List<Integer>> orders = List.of(List.of(3, 2, 1), List.of(2, 1, 3), List.of(1, 3, 2));
    int run = 0;
    for (List<Integer> order : orders) {
      try (TestCluster c = new TestCluster(dir.resolve("order" + run++), 3, FAST)) {
        CompletableFuture<?>[] starts = new CompletableFuture<?>[3];
        for (int i = 0; i < 3; i++) {
          int id = order.get(i);
          starts[i] = c.startAsync(id);
          // The next node starts once this one answers on its raft port (or has fully started).
          TestCluster.await("node " + id + " listening", Duration.ofSeconds(30), () -> raftPortOpen(c, id));
        }
        CompletableFuture.allOf(starts).get(60, TimeUnit.SECONDS);
        int leader = c.awaitLeader();
        long term = c.server(leader).status().currentTerm();
        for (int id = 1; id <= 3; id++) {
          var s = c.server(id).status();
          assertEquals(3, s.membership().voters().size(), "node " + id + " sees all three voters");
          assertEquals(leader, s.currentLeader(), "one cluster, one leader, order " + order);
          assertEquals(term, s.currentTerm());
        }
        c.setEventually(order.get(2), "order", order.toString());
        for (int id = 1; id <= 3; id++) assertEquals(order.toString(), c.read(id, "order"));
      }
    }
  }

  @Test
  void forwardingOffAnswers421WithTheLeader() throws Exception {
    Map<String, Object> conf = new LinkedHashMap<>(FAST);
    conf.put("forward_writes", false);
    try (TestCluster c = new TestCluster(dir, 3, conf)) {
      c.startAll();
      int leader = c.awaitLeader();
      int follower = leader % 3 + 1;
      TestCluster.Response r = c.set(follower, "k", "v");
      assertEquals(421, r.status(), r.body());
      assertEquals("This node is not the leader. Current leader: " + leader, r.json().get("error").asText());
      assertEquals(leader, r.json().get("leader_id").asInt());
      assertTrue(r.json().get("leader_http").asText().endsWith(c.base(leader).substring(c.base(leader).lastIndexOf(':'))));
    }
  }

  @Test
  void withoutQuorumWritesAndReadsAre503AndNodeStaysUp() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      c.setEventually(leader, "x", "1");
      int a = leader % 3 + 1;
      int b = a % 3 + 1;
      long committed = c.server(leader).status().commitIndex();
      TestCluster.await("survivor applied the write", Duration.ofSeconds(10),
          () -> c.server(a).status().lastAppliedIndex() >= committed);
      c.stop(leader);
      c.stop(b);
      // The survivor loses its leader and can never win an election alone.
      TestCluster.await("leader forgotten", Duration.ofSeconds(10), () -> c.server(a).status().currentLeader() == 0);
      TestCluster.Response w = c.set(a, "x", "2");
      assertEquals(503, w.status(), w.body());
      assertTrue(w.json().get("error").asText().startsWith("This node is not the leader. Current leader: unknown"));
      TestCluster.Response r = c.get(a, "/get?key=x");
      assertEquals(503, r.status(), r.body());
      assertEquals("1", c.get(a, "/get?key=x&consistency=local").json().get("value").asText(),
          "a local read still answers from local state");
      assertEquals(200, c.get(a, "/health").status());
    }
  }

  private static boolean raftPortOpen(TestCluster c, int id) {
    String addr = c.config(id).raftAddr();
    int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
