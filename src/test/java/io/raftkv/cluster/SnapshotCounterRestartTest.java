package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The automatic snapshot triggers count what was applied since the latest snapshot as it stands
 * on disk, so a restart neither resets them (the log would grow by a whole interval more after
 * every restart, and a node restarted often would never snapshot) nor counts twice.
 */
class SnapshotCounterRestartTest {
  @TempDir Path dir;

  private static Map<String, Object> settings(long everyEntries, long everyBytes) {
    Map<String, Object> m = new LinkedHashMap<>(ClusterTest.FAST);
    m.put("snapshot_interval_entries", everyEntries);
    m.put("snapshot_interval_bytes", everyBytes);
    m.put("snapshot_keep_log_entries", 0);
    m.put("log_cache_entries", 8);
    m.put("log_cache_bytes", 65536);
    return m;
  }

  private static JsonNode snapshotStatus(TestCluster c) throws Exception {
    return c.get(1, "/snapshot_status").json();
  }

  private static void write(TestCluster c, String prefix, int n, int valueBytes) throws Exception {
    String value = "v".repeat(valueBytes);
    for (int i = 0; i < n; i++) {
      TestCluster.Response r = c.set(1, prefix + i, value);
      assertEquals(200, r.status(), r.body());
    }
  }

  private static long appliedIndex(TestCluster c) {
    return c.server(1).status().lastAppliedIndex();
  }

  @Test
  void theEntryCountContinuesAcrossARestart() throws Exception {
    try (TestCluster c = new TestCluster(dir, 1, settings(100, 0))) {
      c.startAll();
      c.awaitLeader();
      // The cluster's CONFIG entry at 1, the leader's no-op at 2, then 3..62.
      write(c, "a", 60, 10);
      assertEquals(62, appliedIndex(c));
      assertFalse(snapshotStatus(c).get("snapshot_exists").asBoolean());

      c.stop(1);
      c.start(1);
      c.awaitLeader();
      // A new no-op at 63, then writes up to 93: 93 entries since the start, no snapshot yet.
      write(c, "b", 30, 10);
      assertEquals(93, appliedIndex(c));
      assertFalse(snapshotStatus(c).get("snapshot_exists").asBoolean(), snapshotStatus(c).toString());
      // Up to 103: the 100th entry since the start crosses the interval, though only 41 came
      // after the restart.
      write(c, "c", 10, 10);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> snapshotStatus(c).get("snapshot_exists").asBoolean());
      long index = snapshotStatus(c).get("index").asLong();
      assertTrue(index >= 100 && index <= 103, "snapshot at " + index);
    }
  }

  @Test
  void theByteCountTriggersASnapshotAndContinuesAcrossARestart() throws Exception {
    int value = 10_000;
    // About 20 writes of 10 KB; the entry trigger is off.
    try (TestCluster c = new TestCluster(dir, 1, settings(0, 200_000))) {
      c.startAll();
      c.awaitLeader();
      write(c, "a", 12, value);
      assertFalse(snapshotStatus(c).get("snapshot_exists").asBoolean());

      c.stop(1);
      c.start(1);
      c.awaitLeader();
      write(c, "b", 6, value);
      assertFalse(snapshotStatus(c).get("snapshot_exists").asBoolean(), snapshotStatus(c).toString());
      // 12 + 6 + 3 writes are past 200,000 bytes; 3 alone, or 9 after the restart, are not.
      write(c, "c", 3, value);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> snapshotStatus(c).get("snapshot_exists").asBoolean());
      long index = snapshotStatus(c).get("index").asLong();
      assertTrue(index > 20, "snapshot at " + index);

      // After the snapshot, the count starts over from it.
      long first = index;
      write(c, "d", 5, value);
      assertEquals(first, snapshotStatus(c).get("index").asLong());
    }
  }
}
