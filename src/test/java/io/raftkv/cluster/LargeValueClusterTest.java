package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Values as large as the configuration allows cross every hop between real nodes. */
class LargeValueClusterTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void oneMebibyteValuesForwardedThroughAFollowerReachEveryNode() throws Exception {
    Map<String, Object> config = new LinkedHashMap<>(ClusterTest.FAST);
    // A catching-up follower gets several of them in one AppendEntries: about 5 MiB, more than
    // gRPC's default 4 MiB message limit, within the cluster's 8 MiB one.
    config.put("max_bytes_per_append", 5 * MIB);
    try (TestCluster c = new TestCluster(dir, 3, config)) {
      c.startAll();
      int leader = c.awaitLeader();
      int follower = leader % 3 + 1;
      int lagging = follower % 3 + 1;
      if (lagging == leader) lagging = lagging % 3 + 1;
      c.stop(lagging);

      Map<String, String> written = new LinkedHashMap<>();
      for (int i = 0; i < 5; i++) {
        // Exactly 1 MiB of UTF-8, distinct per key, so a value cut or swapped anywhere shows.
        String value = Character.toString('a' + i).repeat(MIB - 8) + String.format("%08d", i);
        String key = "big-" + i;
        // Through the follower: Forward carries the value to the leader, AppendEntries to all.
        TestCluster.Response r = c.set(follower, key, value);
        assertEquals(200, r.status(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
        written.put(key, value);
      }

      c.start(lagging);
      long commit = c.server(leader).status().commitIndex();
      int late = lagging;
      TestCluster.await("node " + late + " catches up", Duration.ofSeconds(60),
          () -> c.server(late).status().lastAppliedIndex() >= commit);
      int[] everyNode = {leader, follower, lagging};
      for (int node : everyNode) {
        TestCluster.await("node " + node + " applies the writes", Duration.ofSeconds(30),
            () -> c.server(node).status().lastAppliedIndex() >= commit);
        for (var e : written.entrySet()) {
          JsonNode v = c.get(node, "/get?key=" + e.getKey() + "&consistency=local").json().get("value");
          assertEquals(e.getValue(), v.asText(), "value of " + e.getKey() + " on node " + node);
        }
      }
    }
  }
}
