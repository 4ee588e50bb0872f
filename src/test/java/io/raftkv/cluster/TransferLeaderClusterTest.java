package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /transfer_leader on real nodes: leadership moves where asked, and writes go on. */
class TransferLeaderClusterTest {
  @TempDir Path dir;

  @Test
  void leadershipMovesToANamedFollowerThenToAnyVoter() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      int first = c.awaitLeader();
      c.setEventually(first, "before", "0");

      // Named: asked on the leader.
      int named = first % 3 + 1;
      TestCluster.Response moved = c.post(first, "/transfer_leader", "{\"node_id\":" + named + "}");
      assertEquals(200, moved.status(), moved.body());
      assertEquals(named, moved.json().get("leader_id").asInt());
      assertEquals("Leadership transferred to node " + named, moved.json().get("message").asText());
      assertEquals(named, c.awaitLeader());
      assertEquals(200, c.set(named, "after-named", "1").status());

      // Any voter, asked on a follower: forwarded to the leader, which picks another node.
      int follower = named % 3 + 1;
      TestCluster.Response any = c.post(follower, "/transfer_leader", "{}");
      assertEquals(200, any.status(), any.body());
      int picked = any.json().get("leader_id").asInt();
      assertNotEquals(named, picked);
      assertEquals(picked, c.awaitLeader());
      c.setEventually(follower, "after-any", "2");
      for (int id = 1; id <= 3; id++) {
        assertEquals("0", c.read(id, "before"));
        assertEquals("1", c.read(id, "after-named"));
        assertEquals("2", c.read(id, "after-any"));
      }
    }
  }

  @Test
  void transferToTheLeaderItselfToANonMemberOrToADownNode() throws Exception {
    Map<String, Object> settings = new HashMap<>(ClusterTest.FAST);
    settings.put("request_timeout_ms", 1500);
    try (TestCluster c = new TestCluster(dir, 3, settings)) {
      c.startAll();
      int leader = c.awaitLeader();
      int follower = leader % 3 + 1;
      TestCluster.Response self = c.post(follower, "/transfer_leader", "{\"node_id\":" + leader + "}");
      assertEquals(200, self.status(), self.body());
      assertEquals(leader, self.json().get("leader_id").asInt());
      assertEquals(leader, c.awaitLeader());
      TestCluster.Response unknown = c.post(leader, "/transfer_leader", "{\"node_id\":9}");
      assertEquals(400, unknown.status(), unknown.body());
      assertTrue(unknown.json().get("error").asText().contains("node 9 is not a voter"), unknown.body());
      assertEquals(leader, c.awaitLeader());
      // A voter that is down cannot take over: the transfer runs out of time, the leader stays.
      int down = 6 - leader - follower; // the third node
      c.stop(down);
      TestCluster.Response late = c.post(leader, "/transfer_leader", "{\"node_id\":" + down + "}");
      assertEquals(504, late.status(), late.body());
      assertEquals(leader, c.awaitLeader());
      c.setEventually(leader, "still-writable", "1");
    }
  }
}
