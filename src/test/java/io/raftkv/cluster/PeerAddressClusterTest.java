package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.chaos.LinkProxy;
import io.raftkv.config.HostPort;
import io.raftkv.config.TestHooks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nodes whose peers reach them at another address than the one they bind: through
 * advertise_raft_addr (what the whole cluster stores and dials), and through the test-only dial
 * overrides (what one node dials instead, membership unchanged). A TCP relay in between shows
 * the traffic really takes that way.
 */
class PeerAddressClusterTest {
  @TempDir Path dir;

  @Test
  void peersDialTheAdvertisedAddress() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST);
        LinkProxy relay = new LinkProxy("to-3", c.raftPort(3), 1)) {
      String advertised = "127.0.0.1:" + relay.port();
      c.advertise(3, advertised);
      c.startAll();
      int leader = c.awaitLeader();
      c.setEventually(leader, "via-relay", "1");
      for (int id = 1; id <= 3; id++) assertEquals("1", c.read(id, "via-relay"));
      JsonNode members = c.get(1, "/members").json().get("members");
      assertEquals(advertised, members.get("3").get("endpoint").asText());
      assertEquals("127.0.0.1:" + c.raftPort(1), members.get("1").get("endpoint").asText());
      // Node 3 binds its own port; every byte its peers send it went through the relay.
      long before = relay.relayedBytes();
      c.setEventually(3, "written-on-3", "2");
      TestCluster.await("traffic to node 3 through its advertised address", Duration.ofSeconds(10),
          () -> relay.relayedBytes() > before);
      assertTrue(relay.openConnections() > 0);
    }
  }

  @Test
  void aNodeDialsAPeerThroughItsOverride() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, ClusterTest.FAST);
        LinkProxy relay = new LinkProxy("1-to-2", c.raftPort(2), 2)) {
      HostPort two = HostPort.parse(c.raftAddr(2));
      c.hooks(1, new TestHooks(Map.of(two, new HostPort("127.0.0.1", relay.port())), Optional.empty()));
      c.startAll();
      int leader = c.awaitLeader();
      c.setEventually(leader, "k", "v");
      for (int id = 1; id <= 3; id++) assertEquals("v", c.read(id, "k"));
      // Node 1 reaches node 2 only through the relay, yet membership keeps node 2's own address.
      TestCluster.await("node 1's traffic to node 2 through the relay", Duration.ofSeconds(10),
          () -> relay.relayedBytes() > 0 && relay.openConnections() > 0);
      assertEquals(c.raftAddr(2), c.get(1, "/members").json().get("members").get("2").get("endpoint").asText());
      long before = relay.relayedBytes();
      c.setEventually(1, "more", "w");
      TestCluster.await("the relay keeps carrying node 1's messages", Duration.ofSeconds(10),
          () -> relay.relayedBytes() > before);
    }
  }
}
