package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /livez and /readyz on real nodes: a healthy cluster, and a node whose peers are gone. */
class HealthClusterTest {
  @TempDir Path dir;

  @Test
  void everyNodeOfAHealthyClusterIsLiveAndReady() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      c.awaitLeader();
      for (int id = 1; id <= 3; id++) {
        int node = id;
        TestCluster.Response live = c.get(node, "/livez");
        assertEquals(200, live.status());
        assertEquals("{\"live\":true}", live.body());
        await("node " + node + " ready").atMost(Duration.ofSeconds(10)).until(() -> c.get(node, "/readyz").status() == 200);
        assertEquals("{\"ready\":true}", c.get(node, "/readyz").body());
        JsonNode health = c.get(node, "/health").json();
        assertEquals("ok", health.get("status").asText());
        assertEquals(0, health.get("alarms").size());
      }
    }
  }

  @Test
  void aNodeWhosePeersAreGoneIsLiveButNotReadyAndSaysWhy() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      int survivor = leader % 3 + 1;
      await("node " + survivor + " ready").atMost(Duration.ofSeconds(10))
          .until(() -> c.get(survivor, "/readyz").status() == 200);
      for (int id = 1; id <= 3; id++) if (id != survivor) c.stop(id);

      await("node " + survivor + " not ready").atMost(Duration.ofSeconds(10))
          .until(() -> c.get(survivor, "/readyz").status() == 503);
      JsonNode readyz = c.get(survivor, "/readyz").json();
      assertFalse(readyz.get("ready").asBoolean());
      String reasons = readyz.get("reasons").toString();
      assertTrue(readyz.get("reasons").size() >= 1, reasons);
      assertTrue(reasons.contains("no leader is known") || reasons.contains("has been heard from"), reasons);

      TestCluster.Response live = c.get(survivor, "/livez");
      assertEquals(200, live.status(), "the process still serves");
      assertEquals("degraded", c.get(survivor, "/health").json().get("status").asText());
    }
  }
}
