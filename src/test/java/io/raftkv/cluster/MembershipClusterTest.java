package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Membership changes on real nodes, driven through the HTTP API. */
class MembershipClusterTest {
  @TempDir Path dir;

  static int voters(TestCluster c, int via) throws Exception {
    JsonNode members = c.get(via, "/members").json().get("members");
    int n = 0;
    for (JsonNode m : members) if (!"learner".equals(m.path("role").asText())) n++;
    return n;
  }

  static void awaitVoters(TestCluster c, int expected, List<Integer> on) {
    TestCluster.await(expected + " voters on " + on, Duration.ofSeconds(60), () -> {
      for (int id : on) if (c.server(id).membership().voters().size() != expected) return false;
      return true;
    });
  }

  @Test
  void growTo5AndShrinkBackTo3UnderWriteLoad() throws Exception {
    try (TestCluster c = new TestCluster(dir, 5, 3, ClusterTest.FAST)) {
      c.startAll();
      c.awaitLeader();
      Map<String, String> acknowledged = new ConcurrentHashMap<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger seq = new AtomicInteger();
      Thread writer = new Thread(() -> {
        while (writing.get()) {
          int i = seq.incrementAndGet();
          try {
            if (c.set(1 + i % 3, "w" + i, "v" + i).status() == 200) acknowledged.put("w" + i, "v" + i);
          } catch (Exception e) {
            // a write in flight during a change may fail; only acknowledged ones are checked
          }
        }
      }, "writer");
      writer.start();
      try {
        c.start(4); // joins by itself: its join list names node 1, which already has a cluster
        awaitVoters(c, 4, List.of(1, 2, 3, 4));
        c.start(5);
        awaitVoters(c, 5, List.of(1, 2, 3, 4, 5));
        assertEquals(5, voters(c, 2));

        TestCluster.Response leave5 = c.post(3, "/leave", "{\"node_id\":5}");
        assertEquals(200, leave5.status(), leave5.body());
        assertEquals("Node 5 left the cluster successfully", leave5.json().get("message").asText());
        awaitVoters(c, 4, List.of(1, 2, 3, 4));
        TestCluster.Response leave4 = c.post(1, "/leave", "{\"node_id\":4}");
        assertEquals(200, leave4.status(), leave4.body());
        awaitVoters(c, 3, List.of(1, 2, 3));
      } finally {
        writing.set(false);
        writer.join(30_000);
      }
      c.stop(4);
      c.stop(5);
      assertTrue(acknowledged.size() > 10, "the load kept going: " + acknowledged.size());
      int leader = c.awaitLeader();
      long commit = c.server(leader).status().commitIndex();
      TestCluster.await("all applied", Duration.ofSeconds(20), () -> {
        for (int id = 1; id <= 3; id++) if (c.server(id).status().lastAppliedIndex() < commit) return false;
        return true;
      });
      for (var e : acknowledged.entrySet()) {
        for (int id = 1; id <= 3; id++) {
          JsonNode v = c.get(id, "/get?key=" + e.getKey() + "&consistency=local").json().get("value");
          assertEquals(e.getValue(), v.asText(), "node " + id + " has acknowledged write " + e.getKey());
        }
      }
    }
  }

  @Test
  void newNodeJoinsThroughAFollower() throws Exception {
    try (TestCluster c = new TestCluster(dir, 4, 3, ClusterTest.FAST)) {
      c.startAll();
      c.awaitLeader();
      // Make sure node 1, the address in node 4's join list, is a follower.
      c.stop(1);
      c.awaitLeader();
      c.start(1);
      int leader = c.awaitLeader();
      org.junit.jupiter.api.Assumptions.assumeTrue(leader != 1, "node 1 won the election again");
      c.start(4);
      awaitVoters(c, 4, List.of(1, 2, 3, 4));
      c.setEventually(leader, "via-follower", "joined");
      assertEquals("joined", c.read(4, "via-follower"));
    }
  }

  @Test
  void removingTheLeaderHandsLeadershipOverFirst() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      int other = leader % 3 + 1;
      // Two voters are left afterwards, which needs force.
      TestCluster.Response r = c.post(other, "/leave", "{\"node_id\":" + leader + ",\"force\":true}");
      assertEquals(200, r.status(), r.body());
      TestCluster.await("two voters", Duration.ofSeconds(30),
          () -> c.server(other).membership().voters().size() == 2);
      assertFalse(c.server(other).membership().contains(leader));
      int next = awaitLeaderAmong(c, leader);
      assertNotEquals(leader, next);
      c.setEventually(next, "after-leave", "ok");
      assertEquals("ok", c.read(other, "after-leave"));
    }
  }

  @Test
  void joinIsIdempotentAndValidated() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      c.awaitLeader();
      String again = "{\"node_id\":2,\"endpoint\":\"" + c.raftAddr(2) + "\"}";
      TestCluster.Response r = c.post(3, "/join", again);
      assertEquals(200, r.status(), r.body());
      assertEquals("Node 2 joined the cluster successfully", r.json().get("message").asText());
      assertEquals(3, c.server(1).membership().voters().size(), "nothing changed");
      assertEquals(400, c.post(1, "/join", "{\"node_id\":9,\"endpoint\":\"not an address\"}").status());
      assertEquals(400, c.post(1, "/join", "{\"node_id\":0,\"endpoint\":\"127.0.0.1:7009\"}").status());
      TestCluster.Response members = c.get(2, "/members");
      assertEquals(200, members.status());
      assertEquals(c.raftAddr(1), members.json().get("members").get("1").get("endpoint").asText());
      assertEquals(1, members.json().get("members").get("1").get("node_id").asInt());
    }
  }

  private static int awaitLeaderAmong(TestCluster c, int excluded) {
    int[] found = new int[1];
    TestCluster.await("a leader other than " + excluded, Duration.ofSeconds(20), () -> {
      for (int id = 1; id <= 3; id++) {
        if (id != excluded && c.server(id).status().isLeader()) {
          found[0] = id;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }
}
