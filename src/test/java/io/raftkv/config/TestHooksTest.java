package io.raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestHooksTest {
  @TempDir Path dir;

  @Test
  void noPropertiesNoHooks() {
    assertEquals(TestHooks.NONE, TestHooks.fromProperties(new Properties()));
  }

  @Test
  void dialOverridesParseIntoAdvertisedToActualPairs() {
    Properties props = new Properties();
    props.setProperty(TestHooks.DIAL_OVERRIDES_PROPERTY, "127.0.0.1:7002=127.0.0.1:19012, 127.0.0.1:7003=127.0.0.1:19013");
    TestHooks hooks = TestHooks.fromProperties(props);
    assertEquals(Map.of(
            new HostPort("127.0.0.1", 7002), new HostPort("127.0.0.1", 19012),
            new HostPort("127.0.0.1", 7003), new HostPort("127.0.0.1", 19013)),
        hooks.dialOverrides());
    assertEquals(Map.of(new HostPort("::1", 7002), new HostPort("localhost", 1)),
        TestHooks.parseDialOverrides("[::1]:7002=localhost:1"));
    assertEquals(Map.of(), TestHooks.parseDialOverrides(" "));
  }

  @Test
  void malformedDialOverridesNameTheProperty() {
    for (String bad : new String[] {"127.0.0.1:7002", "a:1=b:2=c:3", "a:1=b", "a:1=b:0", "a:0=b:1", "a:1=b:2,", "a:1=b:2,a:1=c:3"}) {
      Properties props = new Properties();
      props.setProperty(TestHooks.DIAL_OVERRIDES_PROPERTY, bad);
      ConfigException e = assertThrows(ConfigException.class, () -> TestHooks.fromProperties(props), bad);
      assertTrue(e.getMessage().startsWith(
          "system properties: key 'raftkv.test.dial_overrides': "), e.getMessage());
      assertEquals(TestHooks.DIAL_OVERRIDES_PROPERTY, e.key());
    }
  }

  @Test
  void syncDelayFileMustBeAnAbsolutePath() throws Exception {
    Properties props = new Properties();
    Path file = dir.resolve("delay");
    props.setProperty(TestHooks.SYNC_DELAY_FILE_PROPERTY, file.toString());
    assertEquals(Optional.of(file), TestHooks.fromProperties(props).syncDelayFile());
    assertTrue(Files.notExists(file), "parsing never creates or needs the file");
    props.setProperty(TestHooks.SYNC_DELAY_FILE_PROPERTY, "relative/delay");
    ConfigException e = assertThrows(ConfigException.class, () -> TestHooks.fromProperties(props));
    assertTrue(e.getMessage().contains("key 'raftkv.test.sync_delay_file': expected an absolute path"), e.getMessage());
  }

  @Test
  void testPropertiesAreNoConfigKeys() throws Exception {
    Path node = dir.resolve("n.toml");
    Files.writeString(node, "node_id = 7\nraft_addr = \"127.0.0.1:7007\"\nhttp_addr = \"127.0.0.1:8007\"\n"
        + "data_path = \"" + dir.resolve("data") + "\"\n");
    Properties props = new Properties();
    props.setProperty(TestHooks.DIAL_OVERRIDES_PROPERTY, "127.0.0.1:7002=127.0.0.1:19012");
    props.setProperty(TestHooks.SYNC_DELAY_FILE_PROPERTY, dir.resolve("delay").toString());
    assertEquals(7, ConfigLoader.load(node, props).nodeId());
  }
}
