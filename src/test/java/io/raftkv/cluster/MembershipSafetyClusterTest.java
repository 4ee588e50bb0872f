package io.raftkv.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operator mistakes with membership on real nodes: a change that could not commit is refused at
 * once, going below three voters needs force, a join that fails leaves no learner behind, the
 * member cap holds, and a stopping leader hands its leadership over first.
 */
class MembershipSafetyClusterTest {
  /** FAST's largest election timeout, after which a silent voter counts as down. */
  static final Duration ELECTION_TIMEOUT_MAX = Duration.ofMillis(600);

  @TempDir Path dir;

  static Map<String, Object> config(Object... pairs) {
    Map<String, Object> m = new HashMap<>(ClusterTest.FAST);
    for (int i = 0; i < pairs.length; i += 2) m.put((String) pairs[i], pairs[i + 1]);
    return m;
  }

  /** A loopback port with nothing listening on it: a node there never answers. */
  static String deadEndpoint() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  static List<Integer> others(int leader) {
    List<Integer> ids = new ArrayList<>();
    for (int id = 1; id <= 3; id++) if (id != leader) ids.add(id);
    return ids;
  }

  @Test
  void leaveOfAHealthyVoterIsRefusedAtOnceWhileAnotherIsDown() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      int healthy = others(leader).get(0);
      int down = others(leader).get(1);
      c.stop(down);
      // The leader counts a voter as down only once it has been silent for an election timeout.
      await().pollDelay(ELECTION_TIMEOUT_MAX.multipliedBy(2)).atMost(Duration.ofSeconds(10))
          .until(() -> c.server(leader).status().isLeader());

      // The leader itself is checked before it would hand its leadership over.
      for (String body : List.of("{\"node_id\":" + healthy + "}", "{\"node_id\":" + healthy + ",\"force\":true}",
          "{\"node_id\":" + leader + ",\"force\":true}")) {
        long start = System.nanoTime();
        TestCluster.Response r = c.post(leader, "/leave", body);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, r.status(), r.body());
        String error = r.json().get("error").asText();
        assertTrue(error.contains("voters not answering: [" + down + "]"), error);
        assertTrue(error.contains("Bring them back"), error);
        assertTrue(tookMs < 2000, "refused at once, not after a timeout: " + tookMs + " ms");
      }
      // Asked through the healthy follower, the forwarded request gets the same answer.
      TestCluster.Response viaFollower = c.post(healthy, "/leave", "{\"node_id\":" + healthy + ",\"force\":true}");
      assertEquals(503, viaFollower.status(), viaFollower.body());

      assertTrue(c.server(leader).status().isLeader(), "the leader keeps leading");
      assertEquals(3, c.server(leader).membership().voters().size(), "nothing was proposed");
      TestCluster.Response write = c.set(leader, "after-refusal", "ok");
      assertEquals(200, write.status(), write.body());
      assertEquals("ok", c.read(healthy, "after-refusal"));
    }
  }

  @Test
  void removingDownToTwoVotersNeedsForce() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      int via = others(leader).get(0);
      int removed = others(leader).get(1);
      TestCluster.Response refused = c.post(via, "/leave", "{\"node_id\":" + removed + "}");
      assertEquals(400, refused.status(), refused.body());
      assertTrue(refused.json().get("error").asText().contains("\"force\": true"), refused.body());
      assertEquals(3, c.server(leader).membership().voters().size());

      // Through a follower, so force also travels in the forwarded request.
      TestCluster.Response forced = c.post(via, "/leave", "{\"node_id\":" + removed + ",\"force\":true}");
      assertEquals(200, forced.status(), forced.body());
      await().atMost(Duration.ofSeconds(10))
          .until(() -> c.server(via).membership().voters().size() == 2);
      assertFalse(c.server(leader).membership().contains(removed));
    }
  }

  @Test
  void aJoinThatTimesOutLeavesNoLearnerBehind() throws Exception {
    // A learner silent for request_timeout_ms is given up on; keep it short for the test.
    try (TestCluster c = new TestCluster(dir, 3, config("request_timeout_ms", 2000));
        MuteNode mute = new MuteNode(9)) {
      c.startAll();
      int leader = c.awaitLeader();
      // It passes the join check (it answers Hello as an empty node 9), then never answers again.
      TestCluster.Response r = c.post(leader, "/join", "{\"node_id\":9,\"endpoint\":\"" + mute.endpoint() + "\"}");
      assertEquals(504, r.status(), r.body());
      String error = r.json().get("error").asText();
      assertTrue(error.contains("has not answered the leader"), error);
      assertTrue(error.contains("being removed"), error);
      await().atMost(Duration.ofSeconds(10)).until(() -> !c.get(leader, "/members").json().get("members").has("9"));
      // Later changes are not held up behind it.
      TestCluster.Response next = c.post(leader, "/join", "{\"node_id\":2,\"endpoint\":\"" + c.raftAddr(2) + "\"}");
      assertEquals(200, next.status(), next.body());
      assertEquals(3, c.server(leader).membership().all().size());
    }
  }

  @Test
  void aJoinBeyondMaxMembersIsRefused() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, config("max_members", 3))) {
      c.startAll();
      int leader = c.awaitLeader();
      int follower = others(leader).get(0);
      TestCluster.Response r = c.post(follower, "/join", "{\"node_id\":4,\"endpoint\":\"" + deadEndpoint() + "\"}");
      assertEquals(400, r.status(), r.body());
      assertTrue(r.json().get("error").asText().contains("max_members = 3"), r.body());
      assertFalse(c.server(leader).membership().contains(4));
      TestCluster.Response again = c.post(follower, "/join", "{\"node_id\":2,\"endpoint\":\"" + c.raftAddr(2) + "\"}");
      assertEquals(200, again.status(), "re-joining an existing member still succeeds: " + again.body());
    }
  }

  @Test
  void stoppingTheLeaderHandsLeadershipOverFirst() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      c.awaitLeader();
      Map<String, String> acknowledged = new LinkedHashMap<>();
      for (int i = 0; i < 20; i++) {
        c.setEventually(1 + i % 3, "k" + i, "v" + i);
        acknowledged.put("k" + i, "v" + i);
      }
      int leader = c.awaitLeader();
      c.stop(leader);
      // Right away: no election timeout has to pass before the cluster has a leader again.
      int next = 0;
      for (int id : others(leader)) {
        if (c.get(id, "/health").json().get("is_leader").asBoolean()) next = id;
      }
      assertNotEquals(0, next, "another node already leads when stop() returns");
      for (var e : acknowledged.entrySet()) assertEquals(e.getValue(), c.read(next, e.getKey()));
    }
  }
}
