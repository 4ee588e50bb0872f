package io.raftkv.chaos;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One real raftkv node: a JVM running the built jar with a config file of its own, as a user runs
 * it, plus the signals a nemesis sends it. The node keeps its id, ports and data directory across
 * kills and restarts; its output is appended to one log file for the whole run.
 */
final class NodeProcess {
  private static final Path JAR = Path.of("target", "raftkv.jar").toAbsolutePath();

  private final int id;
  private final int raftPort;
  private final int httpPort;
  private final Path conf;
  private final Path data;
  private final Path log;
  private final List<String> systemProperties;
  private volatile Process process;
  private volatile boolean paused;

  NodeProcess(int id, int raftPort, int httpPort, Path dir, List<String> systemProperties) {
    this.id = id;
    this.raftPort = raftPort;
    this.httpPort = httpPort;
    this.conf = dir.resolve("node" + id + ".toml");
    this.data = dir.resolve("data" + id);
    this.log = dir.resolve("node" + id + ".log");
    this.systemProperties = List.copyOf(systemProperties);
  }

  int id() {
    return id;
  }

  int raftPort() {
    return raftPort;
  }

  int httpPort() {
    return httpPort;
  }

  Path conf() {
    return conf;
  }

  Path data() {
    return data;
  }

  Path log() {
    return log;
  }

  /** Writes the node's config: {@code join} lists the addresses it asks for a cluster. */
  void writeConfig(List<String> join, String extra) throws IOException {
    StringBuilder joins = new StringBuilder();
    for (String a : join) {
      if (joins.length() > 0) joins.append(", ");
      joins.append('"').append(a).append('"');
    }
    Files.writeString(conf, "node_id = " + id + "\n"
        + "raft_addr = \"127.0.0.1:" + raftPort + "\"\n"
        + "http_addr = \"127.0.0.1:" + httpPort + "\"\n"
        + "single = false\n"
        + "join = [" + joins + "]\n"
        + "data_path = \"" + data + "\"\n"
        + extra);
  }

  synchronized void start() throws IOException {
    if (isAlive()) throw new IllegalStateException("node " + id + " is already running");
    if (!Files.exists(JAR)) {
      throw new IllegalStateException("build the jar first: ./mvnw -B -o -q -DskipTests package");
    }
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError"));
    cmd.addAll(systemProperties);
    cmd.addAll(List.of("-jar", JAR.toString(), "--conf", conf.toString()));
    Files.writeString(log, "=== start node " + id + " " + java.time.Instant.now() + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    paused = false;
    process = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
  }

  boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  boolean isPaused() {
    return paused;
  }

  /** SIGKILL: no shutdown hook runs, unsynced writes are lost as in a power cut. */
  synchronized void kill() throws InterruptedException {
    Process p = process;
    if (p == null) return;
    if (paused) signal("CONT"); // a stopped process takes SIGKILL too, but leave nothing stopped
    p.destroyForcibly();
    p.waitFor(30, TimeUnit.SECONDS);
    paused = false;
  }

  /** SIGTERM, the way a supervisor stops a node; waits for the exit. */
  synchronized int terminate() throws InterruptedException {
    Process p = process;
    if (p == null || !p.isAlive()) return p == null ? -1 : p.exitValue();
    if (paused) resume();
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    return p.exitValue();
  }

  /** SIGSTOP: the JVM freezes mid-flight and, when continued, believes no time has passed. */
  synchronized void pause() {
    if (!isAlive() || paused) return;
    signal("STOP");
    paused = true;
  }

  /** SIGCONT. */
  synchronized void resume() {
    if (!paused) return;
    signal("CONT");
    paused = false;
  }

  /** Deletes the data directory: the node comes back as a new, empty one. */
  void wipe() throws IOException {
    if (isAlive()) throw new IllegalStateException("wipe node " + id + " only while it is down");
    if (!Files.exists(data)) return;
    try (Stream<Path> walk = Files.walk(data)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  private void signal(String name) {
    Process p = process;
    if (p == null) return;
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid()))
          .redirectErrorStream(true).start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("could not send SIG" + name + " to node " + id, e);
    }
  }

  @Override
  public String toString() {
    return "node " + id + " (http " + httpPort + ", raft " + raftPort + ", pid " + pid() + ")";
  }
}
