package io.raftkv.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster that fills its disk quota: writes that add data get 507 and every node shows the
 * NOSPACE alarm, while reads and deletes go on; deleting the data and compacting (snapshot, then
 * purge) brings the nodes back under the quota, the alarm clears by itself and writes work again,
 * all without a restart.
 */
class DiskQuotaClusterTest {
  private static final int NODES = 3;
  private static final int KEYS = 12;
  /** Room above a fresh node's usage: a few of the large values below fill it. */
  private static final long HEADROOM = 3L << 20;
  /** Random letters: RocksDB compresses its files, and a repeated character would take no space there. */
  private static final String BIG = randomLetters(512 * 1024);

  @TempDir Path dir;

  @Test
  void fillingTheQuotaRefusesWritesUntilDeletesAndCompactionFreeTheSpace() throws Exception {
    Map<String, Object> extra = new LinkedHashMap<>(ClusterTest.FAST);
    // Snapshots only when the test asks, so it decides when space is reclaimed.
    extra.put("snapshot_interval_entries", 0);
    extra.put("snapshot_keep_log_entries", 0);
    extra.put("snapshot_interval_bytes", 0);
    try (TestCluster c = new TestCluster(dir, NODES, extra)) {
      // The quota is set relative to what a fresh node actually uses: measure that first.
      c.startAll();
      c.awaitLeader();
      long fresh = 0;
      for (int id = 1; id <= NODES; id++) {
        JsonNode m = c.get(id, "/metrics").json();
        assertEquals(2L << 30, m.get("quota_backend_bytes").asLong(), "the default quota, far away");
        fresh = Math.max(fresh, m.get("disk_usage_bytes").asLong());
      }
      assertTrue(fresh > 0 && fresh < HEADROOM, "a fresh node uses " + fresh + " bytes");
      long quota = fresh + HEADROOM;
      for (int id = 1; id <= NODES; id++) c.stop(id);
      extra.put("quota_backend_bytes", quota);
      c.startAll();
      int leader = c.awaitLeader();
      int follower = leader % NODES + 1;

      // Fill: the values go to the log and the state machine of every node.
      for (int i = 0; i < KEYS; i++) {
        TestCluster.Response r = c.set(leader, "big" + i, BIG);
        if (r.status() == 507) break; // a node measured itself over the quota already
        assertEquals(200, r.status(), r.body());
      }
      for (int id = 1; id <= NODES; id++) {
        int node = id;
        await("NOSPACE on node " + node).atMost(Duration.ofSeconds(10))
            .until(() -> c.get(node, "/health").json().get("alarms").toString().contains("NOSPACE"));
      }

      // Writes that add data are refused, on the leader and through a follower.
      TestCluster.Response refused = c.set(leader, "more", "v");
      assertEquals(507, refused.status(), refused.body());
      assertTrue(refused.json().get("error").asText().contains("NOSPACE"), refused.body());
      assertTrue(refused.json().get("error").asText().contains("/trigger_snapshot"), refused.body());
      assertEquals(507, c.set(follower, "more", "v").status());
      assertEquals(507, c.post(leader, "/getset", "{\"key\":\"more\",\"value\":\"v\"}").status());
      assertEquals(507, c.post(leader, "/batch_write",
          "{\"operations\":[{\"op\":\"delete\",\"key\":\"a\"},{\"op\":\"set\",\"key\":\"b\",\"value\":\"v\"}]}").status());
      assertEquals(507, c.post(leader, "/txn",
          "{\"conditions\":[],\"if_then\":[{\"op\":\"set\",\"key\":\"k\",\"value\":\"v\"}],\"else_then\":[]}").status());

      // The node says why it is not ready; it is still live, and reads are served.
      TestCluster.Response readyz = c.get(follower, "/readyz");
      assertEquals(503, readyz.status());
      assertTrue(readyz.body().contains("NOSPACE"), readyz.body());
      assertEquals("degraded", c.get(leader, "/health").json().get("status").asText());
      assertEquals(200, c.get(follower, "/livez").status());
      assertEquals(BIG, c.read(follower, "big0"));
      JsonNode metrics = c.get(leader, "/metrics").json();
      assertEquals(quota, metrics.get("quota_backend_bytes").asLong());
      assertTrue(metrics.get("disk_usage_bytes").asLong() > quota, metrics.toString());

      // Snapshots go on: this one flushes the values into the state machine's files (as any
      // automatic snapshot would), so only a compaction can free them after the deletes below.
      for (int id = 1; id <= NODES; id++) {
        TestCluster.Response snap = c.post(id, "/trigger_snapshot", "{}");
        assertEquals(200, snap.status(), snap.body());
      }

      // Deletes are accepted, alone and in batches and transactions of deletes only.
      assertEquals(200, c.post(leader, "/delete", "{\"key\":\"big0\"}").status());
      assertEquals(200, c.post(follower, "/batch_write",
          "{\"operations\":[{\"op\":\"delete\",\"key\":\"big1\"},{\"op\":\"delete\",\"key\":\"big2\"}]}").status());
      assertEquals(200, c.post(leader, "/txn",
          "{\"conditions\":[],\"if_then\":[{\"op\":\"delete\",\"key\":\"big3\"}],\"else_then\":[]}").status());
      for (int i = 4; i < KEYS; i++) {
        assertEquals(200, c.post(leader, "/delete", "{\"key\":\"big" + i + "\"}").status());
      }

      // Compaction, as the error told: snapshot, then purge the log behind it, on every node.
      for (int id = 1; id <= NODES; id++) {
        int node = id;
        await("node " + node + " applied the deletes").atMost(Duration.ofSeconds(10))
            .until(() -> c.server(node).status().lastAppliedIndex() >= c.server(leader).status().commitIndex());
        TestCluster.Response snap = c.post(node, "/trigger_snapshot", "{}");
        assertEquals(200, snap.status(), snap.body());
        long index = snap.json().get("index").asLong();
        TestCluster.Response purge = c.post(node, "/purge_log", "{\"upto_index\":" + index + "}");
        assertEquals(200, purge.status(), purge.body());
      }
      for (int id = 1; id <= NODES; id++) {
        int node = id;
        await("NOSPACE cleared on node " + node).atMost(Duration.ofSeconds(10))
            .until(() -> c.get(node, "/health").json().get("alarms").size() == 0);
        await("node " + node + " ready").atMost(Duration.ofSeconds(10))
            .until(() -> c.get(node, "/readyz").status() == 200);
      }
      assertEquals(200, c.set(leader, "after", "recovered").status());
      assertEquals(200, c.set(follower, "after2", "recovered").status());
      assertEquals("recovered", c.read(follower, "after"));
    }
  }

  private static String randomLetters(int n) {
    java.util.Random random = new java.util.Random(42);
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) b.append((char) ('a' + random.nextInt(26)));
    return b.toString();
  }
}
