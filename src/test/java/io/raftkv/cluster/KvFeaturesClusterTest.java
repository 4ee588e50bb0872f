package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /batch_write, /txn, /getset and /prefix on three real nodes: writes sent to a follower (which
 * forwards them, so the result crosses gRPC through KvResultCodec) and to the leader, results
 * read back from every node. One cluster for all of it, since starting one is the slow part.
 */
class KvFeaturesClusterTest {
  @TempDir Path dir;

  @Test
  void batchTxnGetSetAndPrefixThroughFollowerAndLeader() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST)) {
      c.startAll();
      int leader = c.awaitLeader();
      int follower = leader % 3 + 1;
      // A first write through the leader, retried across a possible early re-election, so the
      // checks below start on a cluster that has committed in the current term.
      c.setEventually(leader, "warmup", "1");

      // ---- batch_write through a follower: set, set, set-then-delete of one key
      TestCluster.Response batch = c.post(follower, "/batch_write",
          "{\"operations\":[{\"op\":\"set\",\"key\":\"user:2\",\"value\":\"Bob\"},"
              + "{\"op\":\"set\",\"key\":\"user:1\",\"value\":\"Alice\"},"
              + "{\"op\":\"set\",\"key\":\"user:10\",\"value\":\"Zed\"},"
              + "{\"op\":\"set\",\"key\":\"tmp\",\"value\":\"x\"},"
              + "{\"op\":\"delete\",\"key\":\"tmp\"}]}");
      assertEquals(200, batch.status(), batch.body());
      assertEquals("{\"success\":true,\"message\":\"Batch write successful: 5 operations applied\"}", batch.body());
      for (int id = 1; id <= 3; id++) {
        assertEquals("Alice", c.read(id, "user:1"), "node " + id);
        assertEquals("Bob", c.read(id, "user:2"), "node " + id);
        assertNull(c.read(id, "tmp"), "node " + id);
      }
      // An empty batch is answered at once, as the rockraft example answers it, without a log entry.
      long lastIndex = c.server(leader).status().lastLogIndex();
      TestCluster.Response empty = c.post(leader, "/batch_write", "{\"operations\":[]}");
      assertEquals(200, empty.status(), empty.body());
      assertEquals("{\"success\":true,\"message\":\"No operations to apply\"}", empty.body());
      assertEquals(lastIndex, c.server(leader).status().lastLogIndex());

      // ---- txn: the if branch through the follower, then the same txn takes the else branch
      // through the leader because its condition no longer holds
      String cas = "{\"conditions\":[{\"key\":\"lock\",\"op\":\"not_exists\"},"
          + "{\"key\":\"user:1\",\"op\":\"equal\",\"value\":\"Alice\"}],"
          + "\"if_then\":[{\"op\":\"set\",\"key\":\"lock\",\"value\":\"f\"},{\"op\":\"set\",\"key\":\"user:1\",\"value\":\"Alice2\"}],"
          + "\"else_then\":[{\"op\":\"set\",\"key\":\"contended\",\"value\":\"yes\"}],"
          + "\"return_previous\":true}";
      TestCluster.Response first = c.post(follower, "/txn", cas);
      assertEquals(200, first.status(), first.body());
      assertEquals("{\"success\":true,\"branch\":true,\"prev_values\":[null,\"Alice\"]}", first.body());
      TestCluster.Response second = c.post(leader, "/txn", cas);
      assertEquals("{\"success\":true,\"branch\":false,\"prev_values\":[null]}", second.body());
      TestCluster.Response quiet = c.post(follower, "/txn",
          "{\"conditions\":[{\"key\":\"lock\",\"op\":\"greater_equal\",\"value\":\"f\"}]}");
      assertEquals("{\"success\":true,\"branch\":true}", quiet.body());
      for (int id = 1; id <= 3; id++) {
        assertEquals("f", c.read(id, "lock"), "node " + id);
        assertEquals("Alice2", c.read(id, "user:1"), "node " + id);
        assertEquals("yes", c.read(id, "contended"), "node " + id);
      }

      // ---- getset: absent key through the follower, then the old value through the leader
      TestCluster.Response gs1 = c.post(follower, "/getset", "{\"key\":\"counter\",\"value\":\"1\"}");
      assertEquals("{\"success\":true,\"key\":\"counter\",\"old_value\":null,\"new_value\":\"1\"}", gs1.body());
      TestCluster.Response gs2 = c.post(leader, "/getset", "{\"key\":\"counter\",\"value\":\"2\"}");
      assertEquals("{\"success\":true,\"key\":\"counter\",\"old_value\":\"1\",\"new_value\":\"2\"}", gs2.body());
      for (int id = 1; id <= 3; id++) assertEquals("2", c.read(id, "counter"), "node " + id);

      // ---- prefix: linearizable by default on every node, so each sees the writes above at once
      String expected = "{\"success\":true,\"prefix\":\"user:\",\"count\":3,\"items\":["
          + "{\"key\":\"user:1\",\"value\":\"Alice2\"},{\"key\":\"user:10\",\"value\":\"Zed\"},"
          + "{\"key\":\"user:2\",\"value\":\"Bob\"}],\"more\":false}";
      for (int id = 1; id <= 3; id++) {
        TestCluster.Response p = c.get(id, "/prefix?prefix=user:");
        assertEquals(200, p.status(), p.body());
        assertEquals(expected, p.body(), "node " + id);
        TestCluster.Response limited = c.get(id, "/prefix?prefix=user:&limit=2");
        assertEquals(2, limited.json().get("count").asInt());
        assertEquals("user:10", limited.json().get("items").get(1).get("key").asText());
      }
      // A local read may lag, but the follower has applied everything once a linearizable read
      // through it returned; a local scan must now show the same items.
      c.read(follower, "user:1");
      TestCluster.Response local = c.get(follower, "/prefix?prefix=user:&consistency=local");
      assertEquals(expected, local.body());
      JsonNode bad = c.get(follower, "/prefix?prefix=user:&limit=-1").json();
      assertEquals("limit must be from 0 to 10000, got -1", bad.get("error").asText());
    }
  }
}
