package io.raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path dir;

  private static final String MINIMAL =
      "node_id = 7\n"
          + "raft_addr = \"127.0.0.1:7007\"\n"
          + "http_addr = \"127.0.0.1:8007\"\n"
          + "data_path = \"/tmp/raftkv-test/node7\"\n";

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  /** Loads with no overriding properties, so the test JVM's system properties cannot leak in. */
  private static NodeConfig load(Path p) {
    return ConfigLoader.load(p, new Properties());
  }

  /** Asserts the load fails with exactly {@code expected}, and that it is a single line. */
  private static ConfigException fails(Path p, Properties props) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, props));
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), e.getMessage());
    return e;
  }

  private static ConfigException fails(Path p) {
    return fails(p, new Properties());
  }

  // ---- the shipped files ----

  @Test
  void shippedNode1MatchesTheSeed() {
    NodeConfig c = load(Path.of("conf/node1.toml"));
    assertEquals(1, c.nodeId());
    assertEquals("127.0.0.1:7001", c.raftAddr());
    assertEquals("127.0.0.1:8001", c.httpAddr());
    assertFalse(c.single());
    assertEquals(List.of("127.0.0.1:7002", "127.0.0.1:7003"), c.join());
    assertEquals(Path.of("/tmp/rockraft_cluster/node1"), c.dataPath());
    assertEquals(10000, c.maxOpenFiles());
    assertTrue(c.forwardWrites());
    assertEquals(
        "Configuration loaded:\n"
            + "  node_id: 1\n"
            + "  raft_addr: 127.0.0.1:7001\n"
            + "  http_addr: 127.0.0.1:8001\n"
            + "  data_path: /tmp/rockraft_cluster/node1\n"
            + "  single: false\n"
            + "  join: [\"127.0.0.1:7002\", \"127.0.0.1:7003\"]",
        c.describe());
  }

  @Test
  void shippedNode2And3MatchTheSeed() {
    for (int n = 2; n <= 3; n++) {
      NodeConfig c = load(Path.of("conf/node" + n + ".toml"));
      assertEquals(n, c.nodeId());
      assertEquals("127.0.0.1:700" + n, c.raftAddr());
      assertEquals("127.0.0.1:800" + n, c.httpAddr());
      assertFalse(c.single());
      assertEquals(List.of("127.0.0.1:7001"), c.join());
      assertEquals(Path.of("/tmp/rockraft_cluster/node" + n), c.dataPath());
      assertEquals(10000, c.maxOpenFiles());
      assertTrue(c.describe().endsWith("  join: [\"127.0.0.1:7001\"]"), c.describe());
    }
  }

  @Test
  void shippedFilesHoldExactlyTheSeedKeys() throws IOException {
    for (int n = 1; n <= 3; n++) {
      List<String> keys =
          Files.readAllLines(Path.of("conf/node" + n + ".toml")).stream()
              .filter(l -> !l.isBlank() && !l.startsWith("#"))
              .map(l -> l.substring(0, l.indexOf('=')).strip())
              .toList();
      assertEquals(
          List.of("node_id", "raft_addr", "http_addr", "single", "join", "data_path", "max_open_files"),
          keys);
    }
  }

  // ---- defaults ----

  @Test
  void defaultsComeFromApplicationConf() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL));
    Config d = ConfigFactory.parseResources("application.conf").resolve().getConfig("raftkv");
    assertEquals(d.getBoolean("single"), c.single());
    assertEquals(d.getStringList("join"), c.join());
    assertEquals(d.getInt("max_open_files"), c.maxOpenFiles());
    assertEquals(d.getBoolean("forward_writes"), c.forwardWrites());
    assertEquals(d.getInt("election_timeout_ms_min"), c.electionTimeoutMsMin());
    assertEquals(d.getInt("election_timeout_ms_max"), c.electionTimeoutMsMax());
    assertEquals(d.getInt("heartbeat_interval_ms"), c.heartbeatIntervalMs());
    assertEquals(d.getInt("tick_ms"), c.tickMs());
    assertEquals(d.getInt("request_timeout_ms"), c.requestTimeoutMs());
    assertEquals(d.getInt("max_body_bytes"), c.maxBodyBytes());
    assertEquals(d.getInt("max_key_bytes"), c.maxKeyBytes());
    assertEquals(d.getInt("max_value_bytes"), c.maxValueBytes());
    assertEquals(d.getInt("max_batch_ops"), c.maxBatchOps());
    assertEquals(d.getInt("max_prefix_limit"), c.maxPrefixLimit());
    assertEquals(d.getInt("max_entries_per_append"), c.maxEntriesPerAppend());
    assertEquals(d.getInt("max_bytes_per_append"), c.maxBytesPerAppend());
    assertEquals(d.getInt("max_inflight_appends"), c.maxInflightAppends());
    assertEquals(d.getInt("max_batch_entries"), c.maxBatchEntries());
    assertEquals(d.getInt("join_retry_interval_ms"), c.joinRetryIntervalMs());
    assertEquals(d.getInt("shutdown_timeout_ms"), c.shutdownTimeoutMs());
    assertEquals(d.getString("log_level"), c.logLevel());
    // Every key has a default except the four a node file must give.
    assertEquals(ConfigLoader.keys().size() - 4, d.root().size());
  }

  @Test
  void shippedDefaultValues() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL));
    assertEquals(400, c.electionTimeoutMsMin());
    assertEquals(800, c.electionTimeoutMsMax());
    assertEquals(100, c.heartbeatIntervalMs());
    assertEquals(10, c.tickMs());
    assertEquals(5000, c.requestTimeoutMs());
    assertEquals(3 << 19, c.maxBodyBytes());
    assertEquals(4096, c.maxKeyBytes());
    assertEquals(1 << 20, c.maxValueBytes());
    assertEquals(1000, c.maxBatchOps());
    assertEquals(10000, c.maxPrefixLimit());
    assertEquals(256, c.maxEntriesPerAppend());
    assertEquals(1 << 20, c.maxBytesPerAppend());
    assertEquals(16, c.maxInflightAppends());
    assertEquals(1024, c.maxBatchEntries());
    assertEquals("INFO", c.logLevel());
    assertEquals(128, c.maxTxnOps());
    assertEquals(4 << 20, c.maxResponseBytes());
    assertEquals(4096, c.maxPendingProposals());
    assertEquals(64L << 20, c.maxPendingProposalBytes());
    assertEquals(64L << 20, c.snapshotIntervalBytes());
    assertEquals(4096, c.logCacheEntries());
    assertEquals(16L << 20, c.logCacheBytes());
    assertEquals(2L << 30, c.quotaBackendBytes());
    assertEquals(9, c.maxMembers());
    assertEquals(1000, c.readyMaxApplyLag());
    assertEquals(2000, c.peerKeepaliveIntervalMs());
    assertEquals(2000, c.peerKeepaliveTimeoutMs());
    assertEquals(10000, c.snapshotChunkTimeoutMs());
    assertEquals(110_000, c.adminTimeoutMs());
  }

  @Test
  void bodyLimitMustFitInAPeerMessage() throws IOException {
    Path big = write("big.toml", MINIMAL + "max_body_bytes = 8000000\n");
    assertTrue(fails(big).getMessage().contains("must stay below the peer message limit"), fails(big).getMessage());
  }

  @Test
  void quotaTakesValuesBeyondAnInt() throws IOException {
    NodeConfig c = load(write("q.toml", MINIMAL + "quota_backend_bytes = 8589934592\n"));
    assertEquals(8L << 30, c.quotaBackendBytes());
  }

  @Test
  void pekkoBodyLimitFollowsTheDefault() {
    Config d = ConfigFactory.parseResources("application.conf").resolve();
    assertEquals(
        d.getLong("raftkv.max_body_bytes"), d.getBytes("pekko.http.server.parsing.max-content-length"));
    assertFalse(d.getBoolean("pekko.http.server.enable-http2"));
    assertFalse(d.getBoolean("pekko.http.server.preview.enable-http2"));
    assertFalse(d.getBoolean("pekko.coordinated-shutdown.exit-jvm"));
  }

  @Test
  void pekkoOverridesFollowTheNodeFile() throws IOException {
    NodeConfig c =
        load(write("n.toml", MINIMAL + "max_body_bytes = 2097152\nlog_level = \"warn\"\n"));
    Config o = c.pekkoOverrides();
    assertEquals(2097152L, o.getBytes("pekko.http.server.parsing.max-content-length"));
    assertEquals("WARNING", o.getString("pekko.loglevel"));
    assertEquals(10_000L, o.getDuration("pekko.http.server.request-timeout").toMillis());
  }

  // ---- HOCON ----

  @Test
  void hoconAtTopLevel() throws IOException {
    Path p =
        write(
            "node.conf",
            "node_id = 4\n"
                + "raft_addr = \"127.0.0.1:0\"\n"
                + "http_addr = \"127.0.0.1:0\"\n"
                + "join = [\"127.0.0.1:7001\"]\n"
                + "data_path = /tmp/raftkv-test/n4\n"
                + "request_timeout_ms = 2000\n"
                + "forward_writes = false\n");
    NodeConfig c = load(p);
    assertEquals(4, c.nodeId());
    assertEquals(0, c.httpHostPort().port());
    assertEquals(List.of("127.0.0.1:7001"), c.join());
    assertEquals(Path.of("/tmp/raftkv-test/n4"), c.dataPath());
    assertEquals(2000, c.requestTimeoutMs());
    assertFalse(c.forwardWrites());
  }

  @Test
  void hoconUnderRaftkvBlock() throws IOException {
    Path p =
        write(
            "node.hocon",
            "raftkv {\n"
                + "  node_id = 5\n"
                + "  raft_addr = \"localhost:7005\"\n"
                + "  http_addr = \"localhost:8005\"\n"
                + "  data_path = \"data/n5\"\n"
                + "  single = true\n"
                + "}\n"
                + "raftkv.election_timeout_ms_min = 1000\n"
                + "raftkv.election_timeout_ms_max = 2000\n");
    NodeConfig c = load(p);
    assertEquals(5, c.nodeId());
    assertTrue(c.single());
    assertEquals(1000, c.electionTimeoutMsMin());
    assertEquals(2000, c.electionTimeoutMsMax());
  }

  @Test
  void tomlRaftkvTableIsAccepted() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL + "[raftkv]\nmax_batch_entries = 64\n"));
    assertEquals(64, c.maxBatchEntries());
  }

  @Test
  void keySetTwiceAcrossSectionIsAnError() throws IOException {
    Path p = write("n.toml", MINIMAL + "[raftkv]\nnode_id = 8\n");
    assertEquals(p + ": key 'node_id': set both at the top level and under 'raftkv'", fails(p).getMessage());
  }

  // ---- system properties ----

  @Test
  void systemPropertyOverridesTheFile() throws IOException {
    Path p = write("n.toml", MINIMAL);
    try {
      System.setProperty("raftkv.http_addr", "127.0.0.1:9001");
      System.setProperty("raftkv.join", "127.0.0.1:7101, 127.0.0.1:7102");
      System.setProperty("raftkv.request_timeout_ms", "1500");
      NodeConfig c = ConfigLoader.load(p);
      assertEquals("127.0.0.1:9001", c.httpAddr());
      assertEquals(List.of("127.0.0.1:7101", "127.0.0.1:7102"), c.join());
      assertEquals(1500, c.requestTimeoutMs());
      assertEquals("127.0.0.1:7007", c.raftAddr());
    } finally {
      System.clearProperty("raftkv.http_addr");
      System.clearProperty("raftkv.join");
      System.clearProperty("raftkv.request_timeout_ms");
    }
  }

  @Test
  void propertiesParseTheirStrings() throws IOException {
    Properties props = new Properties();
    props.setProperty("raftkv.single", "TRUE");
    props.setProperty("raftkv.join", "[]");
    props.setProperty("raftkv.node_id", "42");
    props.setProperty("raftkv.log.level", "debug");
    props.setProperty("raftkv.unrelated.switch", "x"); // not ours: ignored, not rejected
    NodeConfig c = ConfigLoader.load(write("n.toml", MINIMAL), props);
    assertTrue(c.single());
    assertEquals(List.of(), c.join());
    assertEquals(42, c.nodeId());
    assertEquals("DEBUG", c.logLevel());
  }

  @Test
  void joinListPropertyAcceptsTomlSpelling() {
    assertEquals(List.of("a:1", "b:2"), ConfigLoader.splitList("[\"a:1\", \"b:2\"]"));
    assertEquals(List.of(), ConfigLoader.splitList(" "));
  }

  @Test
  void badPropertyNamesThePropertyAndTheFile() throws IOException {
    Path p = write("n.toml", MINIMAL);
    Properties props = new Properties();
    props.setProperty("raftkv.tick_ms", "fast");
    assertEquals(
        p + " (system property raftkv.tick_ms): key 'tick_ms': expected an integer, got string \"fast\"",
        fails(p, props).getMessage());
  }

  // ---- advertise_raft_addr ----

  @Test
  void advertisedRaftAddressDefaultsToTheBoundOne() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL));
    assertEquals("127.0.0.1:7007", c.advertiseRaftAddr());
    NodeConfig ephemeral = ConfigLoader.fromMap(Map.of("node_id", 3, "raft_addr", "127.0.0.1:0",
        "http_addr", "127.0.0.1:0", "data_path", dir.toString()), "test");
    assertEquals("127.0.0.1:0", ephemeral.advertiseRaftAddr());
  }

  @Test
  void advertisedRaftAddressIsSeparateFromTheBoundOne() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL.replace("127.0.0.1:7007", "0.0.0.0:7007")
        + "advertise_raft_addr = \"10.0.0.7:7007\"\n"));
    assertEquals("0.0.0.0:7007", c.raftAddr());
    assertEquals("10.0.0.7:7007", c.advertiseRaftAddr());
    assertTrue(c.describe().contains("raft_addr: 0.0.0.0:7007 (advertised as 10.0.0.7:7007)"), c.describe());
    Properties props = new Properties();
    props.setProperty("raftkv.advertise_raft_addr", "node7.example:17007");
    assertEquals("node7.example:17007", ConfigLoader.load(write("m.toml", MINIMAL), props).advertiseRaftAddr());
  }

  @Test
  void advertisedRaftAddressMustBeDialable() throws IOException {
    Path port0 = write("a.toml", MINIMAL + "advertise_raft_addr = \"127.0.0.1:0\"\n");
    assertEquals(port0 + ": key 'advertise_raft_addr': expected host:port with a port in 1..65535, got \"127.0.0.1:0\"",
        fails(port0).getMessage());
    Path wildcard = write("b.toml", MINIMAL + "advertise_raft_addr = \"0.0.0.0:7007\"\n");
    assertTrue(fails(wildcard).getMessage().startsWith(wildcard + ": key 'advertise_raft_addr': must be an address peers can dial"));
    Path v6 = write("c.toml", MINIMAL + "advertise_raft_addr = \"[::]:7007\"\n");
    assertTrue(fails(v6).getMessage().startsWith(v6 + ": key 'advertise_raft_addr': must be an address peers can dial"));
    Path garbage = write("d.toml", MINIMAL + "advertise_raft_addr = \"nowhere\"\n");
    assertEquals(garbage + ": key 'advertise_raft_addr': expected host:port, got \"nowhere\"", fails(garbage).getMessage());
  }

  @Test
  void wildcardBindNeedsAnAdvertisedAddress() throws IOException {
    Path p = write("n.toml", MINIMAL.replace("127.0.0.1:7007", "0.0.0.0:7007"));
    String message = fails(p).getMessage();
    assertTrue(message.startsWith(p + ": key 'raft_addr': raft_addr \"0.0.0.0:7007\" binds every interface"), message);
    assertTrue(message.contains("set advertise_raft_addr"), message);
    Path v6 = write("m.toml", MINIMAL.replace("127.0.0.1:7007", "[::]:7007"));
    assertTrue(fails(v6).getMessage().contains("set advertise_raft_addr"));
  }

  // ---- errors ----

  @Test
  void unknownKey() throws IOException {
    Path p = write("n.toml", MINIMAL + "raftAddr = \"127.0.0.1:1\"\n");
    assertEquals(
        p + ": key 'raftAddr': unknown key (did you mean 'raft_addr'?)", fails(p).getMessage());
    Path q = write("m.toml", MINIMAL + "colour = \"blue\"\n");
    assertEquals(q + ": key 'colour': unknown key", fails(q).getMessage());
  }

  @Test
  void wrongType() throws IOException {
    Path p = write("n.toml", MINIMAL.replace("node_id = 7", "node_id = \"seven\""));
    assertEquals(
        p + ": key 'node_id': expected an integer greater than 0, got string \"seven\"",
        fails(p).getMessage());
    Path q = write("m.toml", MINIMAL + "single = \"yes\"\n");
    assertEquals(q + ": key 'single': expected true or false, got string \"yes\"", fails(q).getMessage());
    Path r = write("r.toml", MINIMAL + "join = \"127.0.0.1:7001\"\n");
    assertTrue(fails(r).getMessage().startsWith(r + ": key 'join': expected an array"));
    Path s = write("s.toml", MINIMAL + "tick_ms = 2.5\n");
    assertEquals(s + ": key 'tick_ms': expected an integer, got number 2.5", fails(s).getMessage());
  }

  @Test
  void badAddress() throws IOException {
    Path p = write("n.toml", MINIMAL.replace("\"127.0.0.1:7007\"", "\"abc\""));
    assertEquals(p + ": key 'raft_addr': expected host:port, got \"abc\"", fails(p).getMessage());
    Path q = write("q.toml", MINIMAL.replace("127.0.0.1:8007", "127.0.0.1:70000"));
    assertTrue(fails(q).getMessage().startsWith(q + ": key 'http_addr': expected host:port"));
    Path r = write("r.toml", MINIMAL.replace("127.0.0.1:8007", ":8007"));
    assertTrue(fails(r).getMessage().startsWith(r + ": key 'http_addr': expected host:port"));
    Path s = write("s.toml", MINIMAL + "join = [\"127.0.0.1:0\"]\n");
    assertTrue(fails(s).getMessage().startsWith(s + ": key 'join': expected host:port with a port"));
  }

  @Test
  void missingRequiredKey() throws IOException {
    Path p = write("n.toml", MINIMAL.replace("data_path = \"/tmp/raftkv-test/node7\"\n", ""));
    assertEquals(p + ": key 'data_path': required key is missing", fails(p).getMessage());
  }

  @Test
  void electionMinAboveMax() throws IOException {
    Path p =
        write("n.toml", MINIMAL + "election_timeout_ms_min = 900\nelection_timeout_ms_max = 600\n");
    assertEquals(
        p
            + ": key 'election_timeout_ms_min': election_timeout_ms_min (900) must be less than"
            + " election_timeout_ms_max (600)",
        fails(p).getMessage());
  }

  @Test
  void crossKeyErrorBlamesTheKeyTheFileSet() throws IOException {
    // Only the max comes from the file; the min is the default, so the file's key is named.
    Path p = write("n.toml", MINIMAL + "election_timeout_ms_max = 300\n");
    assertTrue(
        fails(p).getMessage().startsWith(p + ": key 'election_timeout_ms_max': election_timeout_ms_min (400)"),
        fails(p).getMessage());
  }

  @Test
  void otherInvariants() throws IOException {
    Path a = write("a.toml", MINIMAL + "heartbeat_interval_ms = 500\n");
    assertTrue(fails(a).getMessage().startsWith(a + ": key 'heartbeat_interval_ms': "));
    Path b = write("b.toml", MINIMAL + "max_open_files = 0\n");
    assertEquals(
        b + ": key 'max_open_files': must be greater than 0, or -1 for unlimited, got 0", fails(b).getMessage());
    assertEquals(-1, load(write("c.toml", MINIMAL + "max_open_files = -1\n")).maxOpenFiles());
    Path d = write("d.toml", MINIMAL + "single = true\njoin = [\"127.0.0.1:7001\"]\n");
    assertTrue(fails(d).getMessage().startsWith(d + ": key 'single': "));
    Path e = write("e.toml", MINIMAL.replace("node_id = 7", "node_id = 0"));
    assertTrue(fails(e).getMessage().startsWith(e + ": key 'node_id': "));
    Path ops = write("ops.toml", MINIMAL + "max_batch_ops = 0\n");
    assertEquals(ops + ": key 'max_batch_ops': must be greater than 0, got 0", fails(ops).getMessage());
    Path lim = write("lim.toml", MINIMAL + "max_prefix_limit = -5\n");
    assertEquals(lim + ": key 'max_prefix_limit': must be greater than 0, got -5", fails(lim).getMessage());
    Path admin = write("admin.toml", MINIMAL + "admin_timeout_ms = 0\n");
    assertEquals(admin + ": key 'admin_timeout_ms': must be greater than 0, got 0", fails(admin).getMessage());
    assertEquals(300_000, load(write("admin2.toml", MINIMAL + "admin_timeout_ms = 300000\n")).adminTimeoutMs());
    Path f = write("f.toml", MINIMAL + "log_level = \"loud\"\n");
    assertTrue(fails(f).getMessage().startsWith(f + ": key 'log_level': expected one of"));
    Path g = write("g.toml", MINIMAL + "max_body_bytes = 3000000000\n");
    assertEquals(
        g + ": key 'max_body_bytes': value 3000000000 is out of range for a 32-bit integer", fails(g).getMessage());
    Path h = write("h.toml", MINIMAL + "join = [\"127.0.0.1:7001\", \"127.0.0.1:7001\"]\n");
    assertTrue(fails(h).getMessage().startsWith(h + ": key 'join': lists \"127.0.0.1:7001\" twice"));
  }

  @Test
  void fileLevelErrorsAreOneLineAndNameTheFile() throws IOException {
    Path syntax = write("bad.toml", "node_id = = 1\nraft_addr = \"x\n");
    assertTrue(fails(syntax).getMessage().startsWith(syntax + ": invalid TOML at line 1"), fails(syntax).getMessage());
    Path hocon = write("bad.conf", "node_id = {\n");
    assertTrue(fails(hocon).getMessage().startsWith(hocon + ": invalid HOCON at line 2: "), fails(hocon).getMessage());
    Path yaml = write("n.yaml", "node_id: 1\n");
    assertTrue(fails(yaml).getMessage().startsWith(yaml + ": unsupported config file type"));
    Path none = dir.resolve("missing.toml");
    assertEquals(none + ": cannot read config file: no such file", fails(none).getMessage());
  }

  @Test
  void valuesWithLineBreaksStayOnOneLine() throws IOException {
    Path p = write("n.toml", MINIMAL.replace("\"127.0.0.1:7007\"", "\"a\\nb\""));
    assertEquals(p + ": key 'raft_addr': expected host:port, got \"a\\nb\"", fails(p).getMessage());
  }

  @Test
  void fromMapForTests() {
    NodeConfig c =
        ConfigLoader.fromMap(
            Map.of(
                "node_id", 3,
                "raft_addr", "127.0.0.1:0",
                "http_addr", "127.0.0.1:0",
                "data_path", dir.toString(),
                "single", true),
            "test");
    assertTrue(c.single());
    assertEquals(dir, c.dataPath());
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(Map.of("node_id", 3), "test"));
    assertEquals("test: key 'raft_addr': required key is missing", e.getMessage());
  }
}
