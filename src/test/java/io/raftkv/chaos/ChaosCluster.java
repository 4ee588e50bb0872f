package io.raftkv.chaos;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Real node processes wired through a {@link Network} of per-link proxies: {@code voters} nodes
 * that form the cluster at start, plus one spare that a membership fault adds and removes. Every
 * node binds its own Raft port and advertises it; the test-only dial overrides send each dial
 * through the link from the dialer to that peer.
 */
final class ChaosCluster implements AutoCloseable {
  /**
   * Settings that make a lagging node need InstallSnapshot within seconds of load, and that keep
   * slow-disk faults from tripping the readiness limit. Election timing stays at the defaults the
   * targets are stated for.
   */
  static final String NODE_SETTINGS = """
      snapshot_interval_entries = 2000
      snapshot_keep_log_entries = 500
      log_level = "INFO"
      """;
  /** The {@code snapshot_keep_log_entries} above. */
  static final long KEEP_LOG_ENTRIES = 500;

  private static final Duration PROBE = Duration.ofMillis(800);
  private static final Duration POLL = Duration.ofMillis(100);

  private final Path dir;
  private final Map<Integer, NodeProcess> nodes = new TreeMap<>();
  private final Map<Integer, Path> syncDelayFiles = new TreeMap<>();
  private final Set<Integer> members = new ConcurrentSkipListSet<>();
  private final int spare;
  private final Network network;
  private final NodeHttp http = new NodeHttp(Duration.ofMillis(500));

  ChaosCluster(Path dir, int voters, long seed) throws IOException {
    this.dir = dir;
    this.spare = voters + 1;
    Map<Integer, Integer> raftPorts = new TreeMap<>();
    Map<Integer, Integer> httpPorts = new TreeMap<>();
    Random ports = new Random(seed);
    Set<Integer> taken = new TreeSet<>();
    for (int id = 1; id <= spare; id++) {
      raftPorts.put(id, freePort(ports, taken));
      httpPorts.put(id, freePort(ports, taken));
    }
    this.network = new Network(raftPorts, seed);
    for (int id = 1; id <= spare; id++) {
      Path syncDelay = dir.resolve("sync-delay-" + id);
      syncDelayFiles.put(id, syncDelay);
      List<String> props = List.of(
          "-Draftkv.test.dial_overrides=" + network.dialOverridesOf(id, raftPorts),
          "-Draftkv.test.sync_delay_file=" + syncDelay);
      NodeProcess node = new NodeProcess(id, raftPorts.get(id), httpPorts.get(id), dir, props);
      List<String> join = new ArrayList<>();
      for (int peer = 1; peer <= voters; peer++) {
        if (peer != id) join.add("127.0.0.1:" + raftPorts.get(peer));
      }
      node.writeConfig(join, NODE_SETTINGS);
      nodes.put(id, node);
      if (id <= voters) members.add(id);
    }
  }

  /** Starts the voters and waits until they have a leader and every one of them is ready. */
  void start(Duration within) throws Exception {
    for (int id : members) {
      nodes.get(id).start();
    }
    await("the cluster of " + members + " elects a leader and is ready")
        .atMost(within).pollInterval(POLL)
        .until(() -> leader().isPresent() && allReady(members));
  }

  Path dir() {
    return dir;
  }

  Network network() {
    return network;
  }

  NodeHttp http() {
    return http;
  }

  NodeProcess node(int id) {
    return nodes.get(id);
  }

  Collection<NodeProcess> allNodes() {
    return nodes.values();
  }

  int spare() {
    return spare;
  }

  /** The members as the harness last changed them (voters; a joined spare counts once it votes). */
  Set<Integer> members() {
    return Set.copyOf(members);
  }

  void addMember(int id) {
    members.add(id);
  }

  void removeMember(int id) {
    members.remove(id);
  }

  /** Makes every synced write of node {@code id} wait {@code ms} (0 clears it). */
  void slowDisk(int id, long ms) throws IOException {
    Path f = syncDelayFiles.get(id);
    if (ms <= 0) {
      Files.deleteIfExists(f);
    } else {
      Files.writeString(f, Long.toString(ms));
    }
  }

  /**
   * The node that claims to lead in the highest term among those that answer (a paused or cut
   * off node may still believe it leads an older term), if any.
   */
  Optional<Integer> leader() {
    int best = -1;
    long bestTerm = -1;
    for (int id : members) {
      JsonNode h = health(id);
      if (h == null || !h.path("is_leader").asBoolean(false)) continue;
      long term = h.path("current_term").asLong(-1);
      if (term > bestTerm) {
        best = id;
        bestTerm = term;
      }
    }
    return best < 0 ? Optional.empty() : Optional.of(best);
  }

  /** Waits until some member claims to lead. */
  int awaitLeader(Duration within) throws Exception {
    return await("a leader among " + members)
        .atMost(within).pollInterval(POLL)
        .until(this::leader, Optional::isPresent).get();
  }

  /** The node's {@code /health}, or null when it does not answer in time. */
  JsonNode health(int id) {
    NodeProcess n = nodes.get(id);
    if (!n.isAlive() || n.isPaused()) return null;
    try {
      NodeHttp.Answer a = http.get(n.httpPort(), "/health", PROBE);
      return a.status() == 200 ? a.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  boolean allReady(Collection<Integer> ids) {
    for (int id : ids) {
      NodeProcess n = nodes.get(id);
      try {
        if (!n.isAlive() || http.get(n.httpPort(), "/readyz", PROBE).status() != 200) return false;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** The members as node {@code id} sees them (id to role), or null when it does not answer. */
  Map<Integer, String> membersSeenBy(int id) {
    NodeProcess n = nodes.get(id);
    try {
      NodeHttp.Answer a = http.get(n.httpPort(), "/members", PROBE);
      if (a.status() != 200) return null;
      Map<Integer, String> out = new TreeMap<>();
      a.body().path("members").fields().forEachRemaining(
          e -> out.put(Integer.parseInt(e.getKey()), e.getValue().path("role").asText("voter")));
      return out;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Stops every node that runs (SIGKILL) and closes the links. */
  @Override
  public void close() {
    for (NodeProcess n : nodes.values()) {
      try {
        n.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    network.close();
  }

  /** A free loopback port below the ephemeral range, not yet handed out in this cluster. */
  private static int freePort(Random random, Set<Integer> taken) throws IOException {
    while (true) {
      int candidate = 15000 + random.nextInt(15000);
      if (taken.contains(candidate)) continue;
      try (ServerSocket s = new ServerSocket(candidate, 50, InetAddress.getLoopbackAddress())) {
        taken.add(candidate);
        return s.getLocalPort();
      } catch (IOException inUse) {
        // another process has it; try the next
      }
    }
  }
}
