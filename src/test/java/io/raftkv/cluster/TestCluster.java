package io.raftkv.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.RaftKvServer;
import io.raftkv.config.ConfigLoader;
import io.raftkv.config.NodeConfig;
import io.raftkv.config.TestHooks;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Real raftkv nodes in this JVM: RocksDB in a temporary directory, gRPC and HTTP on free loopback
 * ports. Nodes can be stopped and started again on the same data. {@link #close()} stops
 * whatever still runs, so a failing test leaves nothing behind.
 */
final class TestCluster implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final int size;
  /** Nodes 1..initial found the cluster; later ids join it through node 1. */
  private final int initial;
  private final Map<String, Object> extra;
  private final int[] raftPorts;
  private final int[] httpPorts;
  private final Map<Integer, RaftKvServer> running = new ConcurrentHashMap<>();
  /** Raft addresses nodes advertise instead of the one they bind, by node id. */
  private final Map<Integer, String> advertised = new ConcurrentHashMap<>();
  private final Map<Integer, TestHooks> hooks = new ConcurrentHashMap<>();
  /** Settings of one node over the shared extra ones (its own certificates, say). */
  private final Map<Integer, Map<String, Object>> perNode = new ConcurrentHashMap<>();
  private final List<CompletableFuture<RaftKvServer>> starting = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ExecutorService starter = Executors.newCachedThreadPool();
  private volatile HttpClient http = client(null);
  private volatile String scheme = "http";

  private static HttpClient client(javax.net.ssl.SSLContext tls) {
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2));
    if (tls != null) b.sslContext(tls);
    return b.build();
  }

  TestCluster(Path dir, int size, Map<String, Object> extra) throws IOException {
    this(dir, size, size, extra);
  }

  TestCluster(Path dir, int size, int initial, Map<String, Object> extra) throws IOException {
    this.dir = dir;
    this.size = size;
    this.initial = initial;
    this.extra = extra;
    this.raftPorts = freePorts(size);
    this.httpPorts = freePorts(size);
  }

  /** Node ids are 1..size; node 1 lists all others in join, the others list node 1, as shipped. */
  NodeConfig config(int id) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node_id", id);
    m.put("raft_addr", "127.0.0.1:" + raftPorts[id - 1]);
    m.put("http_addr", "127.0.0.1:" + httpPorts[id - 1]);
    m.put("single", size == 1);
    List<String> join = new ArrayList<>();
    if (id == 1) {
      for (int i = 2; i <= initial; i++) join.add(raftAddr(i));
    } else {
      join.add(raftAddr(1));
    }
    if (advertised.containsKey(id)) m.put("advertise_raft_addr", advertised.get(id));
    m.put("join", join);
    m.put("data_path", dir.resolve("node" + id).toString());
    m.put("join_retry_interval_ms", 100);
    m.putAll(extra);
    m.putAll(perNode.getOrDefault(id, Map.of()));
    return ConfigLoader.fromMap(m, "test node " + id);
  }

  /** Starts a node in the background; the future completes once it serves HTTP. */
  CompletableFuture<RaftKvServer> startAsync(int id) {
    CompletableFuture<RaftKvServer> f = CompletableFuture.supplyAsync(() -> {
      try {
        RaftKvServer s = RaftKvServer.start(config(id), hooks.getOrDefault(id, TestHooks.NONE), line -> {});
        running.put(id, s);
        return s;
      } catch (Exception e) {
        throw new IllegalStateException("node " + id + " failed to start", e);
      }
    }, starter);
    starting.add(f);
    return f;
  }

  void startAll() throws Exception {
    List<CompletableFuture<RaftKvServer>> all = new ArrayList<>();
    for (int i = 1; i <= initial; i++) all.add(startAsync(i));
    for (CompletableFuture<RaftKvServer> f : all) f.get(60, TimeUnit.SECONDS);
  }

  void start(int id) throws Exception {
    startAsync(id).get(60, TimeUnit.SECONDS);
  }

  void stop(int id) {
    RaftKvServer s = running.remove(id);
    if (s != null) s.stop();
  }

  boolean isRunning(int id) {
    return running.containsKey(id);
  }

  RaftKvServer server(int id) {
    return running.get(id);
  }

  /** The Raft address peers dial: the advertised one when set, else the bound one. */
  String raftAddr(int id) {
    return advertised.getOrDefault(id, "127.0.0.1:" + raftPorts[id - 1]);
  }

  /** The port node {@code id}'s gRPC server binds. */
  int raftPort(int id) {
    return raftPorts[id - 1];
  }

  /** Node {@code id}, when it next starts, tells peers to dial {@code addr} (advertise_raft_addr). */
  void advertise(int id, String addr) {
    advertised.put(id, addr);
  }

  /** Node {@code id} starts with these test-only hooks from now on. */
  void hooks(int id, TestHooks h) {
    hooks.put(id, h);
  }

  /** Node {@code id} starts with these settings over the shared ones from now on. */
  void nodeSettings(int id, Map<String, Object> settings) {
    perNode.put(id, Map.copyOf(settings));
  }

  /** The nodes serve HTTPS: talk to them with {@code tls} (its trust, and its key if any). */
  void useHttps(javax.net.ssl.SSLContext tls) {
    http = client(tls);
    scheme = "https";
  }

  /** The port node {@code id}'s HTTP server binds. */
  int httpPort(int id) {
    return httpPorts[id - 1];
  }

  String base(int id) {
    return scheme + "://127.0.0.1:" + httpPorts[id - 1];
  }

  /** The one node that says it leads, waiting until exactly one running node does. */
  int awaitLeader() {
    int[] found = new int[1];
    await("exactly one leader", Duration.ofSeconds(20), () -> {
      int leaders = 0;
      for (var e : running.entrySet()) {
        if (e.getValue().status().isLeader()) {
          leaders++;
          found[0] = e.getKey();
        }
      }
      if (leaders != 1) return false;
      // Every running node must agree on who leads.
      for (RaftKvServer s : running.values()) if (s.status().currentLeader() != found[0]) return false;
      return true;
    });
    return found[0];
  }

  Response get(int id, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base(id) + path)).timeout(Duration.ofSeconds(15)).GET().build();
    return send(req);
  }

  Response post(int id, String path, String body) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base(id) + path))
        .timeout(Duration.ofSeconds(15))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return send(req);
  }

  Response set(int id, String key, String value) throws Exception {
    return post(id, "/set", JSON.writeValueAsString(Map.of("key", key, "value", value)));
  }

  /** Writes through node {@code id}, retrying while an election is in progress (503). */
  void setEventually(int id, String key, String value) throws Exception {
    Response[] last = new Response[1];
    await("write of " + key + " acknowledged", Duration.ofSeconds(20), () -> {
      try {
        last[0] = set(id, key, value);
        return last[0].status == 200;
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** The linearizable value of a key as read through node {@code id} (null when absent). */
  String read(int id, String key) throws Exception {
    Response r = get(id, "/get?key=" + java.net.URLEncoder.encode(key, java.nio.charset.StandardCharsets.UTF_8));
    if (r.status != 200) throw new AssertionError("read of " + key + " on node " + id + " gave " + r);
    JsonNode v = r.json().get("value");
    return v.isNull() ? null : v.asText();
  }

  private Response send(HttpRequest req) throws Exception {
    HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    return new Response(resp.statusCode(), resp.body());
  }

  record Response(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  /** Polls {@code condition} until it holds, failing after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      try {
        TimeUnit.MILLISECONDS.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  @Override
  public void close() {
    // A node still starting would be missed by the loop below and keep its files open.
    for (CompletableFuture<RaftKvServer> f : starting) {
      try {
        f.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        // it failed to start: nothing to stop
      }
    }
    List<Integer> ids = new ArrayList<>(running.keySet());
    for (int id : ids) {
      try {
        stop(id);
      } catch (RuntimeException e) {
        // keep stopping the others
      }
    }
    starter.shutdownNow();
  }

  /**
   * Free ports below the kernel's ephemeral range (32768 and up on Linux), so that no outgoing
   * connection of this JVM can take one between this check and the node binding it.
   */
  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    int found = 0;
    java.util.Random random = new java.util.Random();
    while (found < n) {
      int candidate = 15000 + random.nextInt(15000);
      try (ServerSocket s = new ServerSocket(candidate, 50, java.net.InetAddress.getLoopbackAddress())) {
        boolean duplicate = false;
        for (int i = 0; i < found; i++) duplicate |= ports[i] == candidate;
        if (!duplicate) ports[found++] = s.getLocalPort();
      } catch (IOException inUse) {
        // try another
      }
    }
    return ports;
  }
}
