package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots, log compaction and InstallSnapshot on real nodes. */
class SnapshotClusterTest {
  /** Automatic snapshots off, so the tests decide when the log is compacted. */
  static Map<String, Object> manualSnapshots() {
    Map<String, Object> m = new LinkedHashMap<>(ClusterTest.FAST);
    m.put("snapshot_interval_entries", 0);
    m.put("snapshot_keep_log_entries", 0);
    m.put("snapshot_chunk_bytes", 4096);
    return m;
  }

  @TempDir Path dir;

  static void writeMany(TestCluster c, int leader, String prefix, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      TestCluster.Response r = c.set(leader, prefix + i, "value-" + i + "-" + "x".repeat(40));
      assertEquals(200, r.status(), r.body());
    }
  }

  static void awaitCaughtUp(TestCluster c, int id, int leader) {
    long commit = c.server(leader).status().commitIndex();
    TestCluster.await("node " + id + " catches up to " + commit, Duration.ofSeconds(60),
        () -> c.server(id).status().lastAppliedIndex() >= commit);
  }

  @Test
  void nodeDownDuringPurgeCatchesUpThroughInstallSnapshot() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, manualSnapshots())) {
      c.startAll();
      int leader = c.awaitLeader();
      int down = leader % 3 + 1;
      c.stop(down);
      writeMany(c, leader, "k", 300);
      TestCluster.Response snap = c.post(leader, "/trigger_snapshot", "{}");
      assertEquals(200, snap.status(), snap.body());
      long index = snap.json().get("index").asLong();
      assertTrue(index >= 300, snap.body());
      TestCluster.Response purge = c.post(leader, "/purge_log", "{\"upto_index\":" + index + "}");
      assertEquals(200, purge.status(), purge.body());
      JsonNode status = c.get(leader, "/snapshot_status").json();
      assertTrue(status.get("snapshot_exists").asBoolean());
      assertEquals(index, status.get("index").asLong());

      c.start(down);
      awaitCaughtUp(c, down, leader);
      for (int i = 0; i < 300; i += 37) {
        assertEquals("value-" + i + "-" + "x".repeat(40),
            c.get(down, "/get?key=k" + i + "&consistency=local").json().get("value").asText());
      }
      JsonNode followerSnap = c.get(down, "/snapshot_status").json();
      assertTrue(followerSnap.get("snapshot_exists").asBoolean(), "the installed snapshot is the follower's own");
      assertEquals(index, followerSnap.get("index").asLong());
      assertTrue(followerSnap.get("size_bytes").asLong() > 0, followerSnap.toString());
      c.setEventually(leader, "after", "install");
      assertEquals("install", c.read(down, "after"));
    }
  }

  @Test
  void newNodeJoinsAClusterWhoseLogWasPurged() throws Exception {
    try (TestCluster c = new TestCluster(dir, 4, 3, manualSnapshots())) {
      c.startAll();
      int leader = c.awaitLeader();
      writeMany(c, leader, "p", 200);
      long index = c.post(leader, "/trigger_snapshot", "{}").json().get("index").asLong();
      assertEquals(200, c.post(leader, "/purge_log", "{\"upto_index\":" + index + "}").status());
      c.start(4);
      TestCluster.await("node 4 is a voter", Duration.ofSeconds(60),
          () -> c.server(leader).membership().isVoter(4));
      awaitCaughtUp(c, 4, leader);
      assertEquals("value-199-" + "x".repeat(40), c.read(4, "p199"));
    }
  }

  @Test
  void restartAfterPurgeRecoversFromSnapshotPlusLog() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, manualSnapshots())) {
      c.startAll();
      int leader = c.awaitLeader();
      writeMany(c, leader, "r", 100);
      for (int id = 1; id <= 3; id++) {
        long index = c.post(id, "/trigger_snapshot", "{}").json().get("index").asLong();
        assertEquals(200, c.post(id, "/purge_log", "{\"upto_index\":" + index + "}").status());
      }
      writeMany(c, leader, "s", 20); // after the snapshot: only in the log
      for (int id = 1; id <= 3; id++) c.stop(id);
      c.startAll();
      int again = c.awaitLeader();
      assertEquals("value-5-" + "x".repeat(40), c.read(again, "r5"));
      assertEquals("value-19-" + "x".repeat(40), c.read(again, "s19"));
    }
  }

  @Test
  void purgeBeyondTheSnapshotIsRefused() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, manualSnapshots())) {
      c.startAll();
      int leader = c.awaitLeader();
      writeMany(c, leader, "q", 10);
      TestCluster.Response r = c.post(leader, "/purge_log", "{\"upto_index\":5}");
      assertEquals(400, r.status(), "no snapshot yet: " + r.body());
      assertEquals(400, c.post(leader, "/purge_log", "{\"upto_index\":-1}").status());
      assertEquals(400, c.post(leader, "/purge_log", "{}").status());
    }
  }
}
