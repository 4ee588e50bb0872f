package io.raftkv.scripts;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exit codes of the real jar, run as a supervisor runs it: 0 after SIGTERM, 2 for a bad
 * configuration, 69 when the node cannot start, 74 after a storage failure, with the cause in
 * the log and never a "stopped cleanly" after a failure. Single nodes on free loopback ports;
 * every process started here is killed after the test, whatever happened.
 */
class ExitCodesIT {
  private static final Path JAR = Path.of("target", "raftkv.jar").toAbsolutePath();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  record Node(Process process, Path log, int httpPort, Path data) {
    String output() throws IOException {
      return Files.readString(log);
    }

    int awaitExit() throws Exception {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the node exits");
      return process.exitValue();
    }
  }

  @AfterEach
  void killWhatWasStarted() throws Exception {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void sigtermIsACleanStopThatExits0() throws Exception {
    Node node = start(conf(1, freePort(), freePort(), ""));
    awaitReady(node);
    node.process().destroy(); // SIGTERM
    assertEquals(0, node.awaitExit(), node.output());
    assertTrue(node.output().contains("✓ Node 1 stopped cleanly"), node.output());
  }

  @Test
  void aConfigurationErrorExits2() throws Exception {
    Path bad = conf(1, freePort(), freePort(), "");
    Files.writeString(bad, Files.readString(bad).replace("node_id = 1", "node_id = 0"));
    Node node = start(bad);
    assertEquals(2, node.awaitExit(), node.output());
    assertTrue(node.output().contains("error: ") && node.output().contains("node_id"), node.output());

    Node usage = start(null);
    assertEquals(2, usage.awaitExit(), usage.output());
    assertTrue(usage.output().contains("usage: java -jar raftkv.jar --conf"), usage.output());
  }

  @Test
  void anAddressInUseIsAStartUpFailureThatExits69() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Node node = start(conf(1, freePort(), taken.getLocalPort(), ""));
      assertEquals(69, node.awaitExit(), node.output());
      String out = node.output();
      assertTrue(out.contains("error: node 1 failed to start: ") && out.contains("(exit 69)"), out);
      assertTrue(out.contains("127.0.0.1:" + taken.getLocalPort()) || out.toLowerCase().contains("address already in use"), out);
      assertFalse(out.contains("stopped cleanly"), out);
    }
  }

  @Test
  void aStorageFailureExits74AndNamesItsCause() throws Exception {
    Node node = start(conf(1, freePort(), freePort(), ""));
    awaitReady(node);
    assertEquals(200, post(node, "/set", "{\"key\":\"k\",\"value\":\"v\"}"));
    // An operator's mistake: the data directory is removed under the running node. The next
    // snapshot cannot be written there, which the storage reports as a failure.
    try (Stream<Path> files = Files.walk(node.data())) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
    try {
      post(node, "/trigger_snapshot", "{}");
    } catch (IOException closedByTheStoppingNode) {
      // the node may close the connection as it stops
    }
    assertEquals(74, node.awaitExit(), node.output());
    String out = node.output();
    assertTrue(out.contains("error: node 1 stopped after a storage failure: ") && out.contains("(exit 74)"), out);
    // The log names the cause: RocksDB's own words, not just "storage failure".
    assertTrue(out.contains("No such file or directory"), out);
    assertFalse(out.contains("stopped cleanly"), out);
  }

  // ---------------------------------------------------------------- plumbing

  private Path conf(int id, int raftPort, int httpPort, String extra) throws IOException {
    Path data = dir.resolve("node" + id);
    Path conf = dir.resolve("node" + id + ".toml");
    Files.writeString(conf, "node_id = " + id + "\n"
        + "raft_addr = \"127.0.0.1:" + raftPort + "\"\n"
        + "http_addr = \"127.0.0.1:" + httpPort + "\"\n"
        + "single = true\n"
        + "join = []\n"
        + "data_path = \"" + data + "\"\n"
        + extra);
    return conf;
  }

  private Node start(Path conf) throws IOException {
    assertTrue(Files.exists(JAR), "build the jar first: ./mvnw -B -o -q -DskipTests package");
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
        "-jar", JAR.toString()));
    if (conf != null) cmd.addAll(List.of("--conf", conf.toString()));
    Path log = Files.createTempFile(dir, "node", ".log");
    Process p = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    started.add(p);
    int httpPort = 0;
    Path data = null;
    if (conf != null) {
      for (String line : Files.readAllLines(conf)) {
        if (line.startsWith("http_addr")) httpPort = Integer.parseInt(line.replaceAll(".*:(\\d+)\"", "$1"));
        if (line.startsWith("data_path")) data = Path.of(line.replaceAll("data_path = \"(.*)\"", "$1"));
      }
    }
    return new Node(p, log, httpPort, data);
  }

  private static void awaitReady(Node node) {
    await("node ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      assertTrue(node.process().isAlive(), "the node stopped while starting:\n" + node.output());
      try {
        return get(node, "/readyz") == 200;
      } catch (IOException notYet) {
        return false;
      }
    });
  }

  private static int get(Node node, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
            .timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static int post(Node node, String path, String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** A free loopback port below the ephemeral range, as the cluster tests pick them. */
  private static int freePort() throws IOException {
    java.util.Random random = new java.util.Random();
    while (true) {
      int candidate = 15000 + random.nextInt(15000);
      try (ServerSocket s = new ServerSocket(candidate, 50, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException inUse) {
        // try another
      }
    }
  }
}
