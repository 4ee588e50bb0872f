package io.raftkv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.config.ConfigLoader;
import io.raftkv.config.NodeConfig;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.transport.GrpcTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a node's configuration becomes the settings of its actors and its transport. */
class SettingsFromConfigTest {
  @TempDir Path dir;

  private NodeConfig load(String extra) throws IOException {
    Path file = dir.resolve("node.toml");
    Files.writeString(file, "node_id = 1\nraft_addr = \"127.0.0.1:0\"\nhttp_addr = \"127.0.0.1:0\"\n"
        + "data_path = \"" + dir.resolve("data").toString().replace("\\", "/") + "\"\n" + extra);
    return ConfigLoader.load(file, new Properties());
  }

  /**
   * The builder's defaults are application.conf's, except what it cannot know from there: the
   * core's tuning in ticks, and the disk quota, which is off unless asked for.
   */
  @Test
  void theBuilderDefaultsAreTheShippedOnes() throws IOException {
    NodeSettings shipped = RaftKvServer.settingsOf(load(""));
    NodeSettings built = NodeSettings.builder(1, "127.0.0.1:0", "127.0.0.1:0")
        .raft(shipped.raft())
        .quotaBackendBytes(shipped.quotaBackendBytes())
        .build();
    assertEquals(shipped, built);
  }

  /**
   * A membership change is waited on at several places, inside out: the node itself, the gateway's
   * ask of the node, and the gRPC deadline of a join or leave forwarded to the leader. Each must
   * outlast the one inside it, so a client gets the node's own answer; all follow admin_timeout_ms.
   */
  @Test
  void theDefaultsAreTheShippedChain() throws IOException {
    NodeConfig c = load("");
    NodeSettings s = RaftKvServer.settingsOf(c);
    assertEquals(NodeSettings.DEFAULT_ADMIN_TIMEOUT, s.adminTimeout());
    assertEquals(Duration.ofSeconds(115), s.adminAskTimeout());
    assertEquals(Duration.ofSeconds(120), RaftKvServer.transportSettings(c, s).adminCallDeadline());
    assertEquals(GrpcTransport.Settings.defaults().adminCallDeadline(), s.adminCallDeadline());
  }

  @Test
  void eachWaitFollowsTheConfiguredTimeoutAndOutlastsTheOneInsideIt() throws IOException {
    NodeConfig c = load("admin_timeout_ms = 300000\n");
    NodeSettings s = RaftKvServer.settingsOf(c);
    GrpcTransport.Settings t = RaftKvServer.transportSettings(c, s);
    assertEquals(Duration.ofMinutes(5), s.adminTimeout());
    assertTrue(s.adminAskTimeout().compareTo(s.adminTimeout()) > 0, s.toString());
    assertTrue(t.adminCallDeadline().compareTo(s.adminAskTimeout()) > 0, t.toString());
    assertEquals(s.adminTimeout().plus(NodeSettings.ADMIN_MARGIN.multipliedBy(2)), t.adminCallDeadline());
  }
}
