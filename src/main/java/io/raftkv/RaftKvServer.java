package io.raftkv;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.raftkv.api.NodeStatus;
import io.raftkv.config.HostPort;
import io.raftkv.config.NodeConfig;
import io.raftkv.config.TestHooks;
import io.raftkv.config.TlsConfig;
import io.raftkv.config.TlsFiles;
import io.raftkv.http.HttpApi;
import io.raftkv.http.HttpLimits;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.node.ClusterBootstrap;
import io.raftkv.raft.node.DiskQuota;
import io.raftkv.raft.node.DiskUsageMonitor;
import io.raftkv.raft.node.NodeGateway;
import io.raftkv.raft.node.NodeFailure;
import io.raftkv.raft.node.NodeGuardian;
import io.raftkv.raft.node.NodeIdentity;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.node.RaftNode;
import io.raftkv.raft.node.ReadinessRules;
import io.raftkv.raft.driver.SnapshotBacklog;
import io.raftkv.raft.driver.StartingPoint;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.raft.node.StorageActor;
import io.raftkv.storage.Recovered;
import io.raftkv.storage.RocksDbStorage;
import io.raftkv.storage.SyncDelay;
import io.raftkv.transport.GrpcServer;
import io.raftkv.transport.GrpcTransport;
import io.raftkv.transport.PeerTls;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;

/**
 * One raftkv node, wired: RocksDB storage, the Raft node actor, the gRPC transport and server on
 * the raft address, and the HTTP API. Used by {@link Main} and by tests that run real nodes in
 * one JVM.
 *
 * <p>Shutdown is Pekko coordinated shutdown: a leader first hands its leadership to the most
 * caught-up voter (bounded), then stop accepting HTTP, let in-flight requests finish (bounded)
 * while Raft keeps running so they can commit, stop gRPC, stop the actors, and only then close
 * RocksDB.
 */
public final class RaftKvServer {
  private final NodeConfig config;
  private final NodeSettings settings;
  private final RocksDbStorage storage;
  private final ActorSystem<NodeGuardian.Command> system;
  private final GrpcTransport transport;
  private final StatusBoard status;
  private final NodeGateway gateway;
  private final ActorRef<RaftNode.Command> node;
  private final GrpcServer raftServer;
  private final boolean hadState;
  private final NodeIdentity identity;
  private volatile ServerBinding httpBinding;
  private volatile ClusterBootstrap bootstrap;
  private final CompletableFuture<Done> closed = new CompletableFuture<>();
  // Why the node stopped on its own, if it did; the first reason wins.
  private final AtomicReference<NodeFailure> failure = new AtomicReference<>();
  /** Pekko's default phase timeout is 5 s; the hand-off must finish well inside it. */
  private static final long HAND_OFF_MAX_MS = 4000;

  private RaftKvServer(NodeConfig config, TestHooks hooks, Consumer<String> out) throws Exception {
    this.config = config;
    this.settings = settingsOf(config);
    out.accept("Creating Raft node...");
    this.storage = RocksDbStorage.open(config.dataPath(), config.maxOpenFiles(),
        hooks.syncDelayFile().map(SyncDelay::fromFile).orElse(SyncDelay.NONE));
    ActorSystem<NodeGuardian.Command> sys = null;
    try {
      DiskQuota quota = new DiskQuota(config.quotaBackendBytes());
      DiskUsageMonitor diskUsage = new DiskUsageMonitor(config.nodeId(), storage::diskUsageBytes, quota);
      diskUsage.measure();
      Recovered recovered = storage.recover();
      this.hadState = !recovered.isEmpty();
      RaftCore core = new RaftCore(
          config.nodeId(),
          settings.raft(),
          new Random(new SecureRandom().nextLong()),
          recovered.hardState(),
          recovered.storedLog(),
          storage,
          recovered.appliedIndex(),
          recovered.baseMembership(),
          settings.logLimits());
      this.status = new StatusBoard(core.membership(), NodeStatus.builder()
          .nodeId(config.nodeId())
          .currentTerm(core.term())
          .state(core.role().displayName())
          .lastLogIndex(core.lastIndex())
          .commitIndex(core.commitIndex())
          .lastAppliedIndex(recovered.appliedIndex())
          .lastAppliedTerm(recovered.appliedTerm()));
      StatusBoard board = status;
      this.identity = NodeIdentity.load(config.nodeId(), storage, new SecureRandom(), board::membership);
      status.identityProblemFrom(identity::problem);
      sys = ActorSystem.create(NodeGuardian.create(f -> failure.compareAndSet(null, f)), "raftkv-node-" + config.nodeId(), pekkoConfig(config));
      this.system = sys;
      ActorSystem<NodeGuardian.Command> stopOnFailure = sys;
      identity.onStorageFailure(stopOnFailure::terminate);
      Optional<PeerTls> peerTls = PeerTls.of(config.tls());
      this.transport = new GrpcTransport(system, config.nodeId(), Map.of(),
          transportSettings(config, settings).toBuilder().dialOverrides(hooks.dialOverrides()).peerTls(peerTls).build());
      transport.useIdentity(identity);
      this.node = AskPattern.<NodeGuardian.Command, ActorRef<RaftNode.Command>>ask(
              system,
              replyTo -> new NodeGuardian.Spawn(RaftNode.create(
                  settings,
                  new StartingPoint(core, recovered.appliedIndex(), recovered.appliedTerm(),
                      new SnapshotBacklog(recovered.appliedEntriesSinceSnapshot(), recovered.appliedBytesSinceSnapshot())),
                  StorageActor.create(storage, storage, storage), transport, status, identity), replyTo),
              Duration.ofSeconds(10),
              system.scheduler())
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      this.gateway = NodeGateway.builder(node)
          .scheduler(system.scheduler())
          .status(status)
          .stateMachine(storage)
          .settings(settings)
          .materializer(Materializer.matFromSystem(system))
          .readExecutor(system.dispatchers().lookup(DispatcherSelector.fromConfig(NodeGateway.READ_DISPATCHER)))
          .quota(quota)
          .readiness(new ReadinessRules(Duration.ofMillis(config.electionTimeoutMsMax()), config.readyMaxApplyLag()))
          .build();
      gateway.useIdentity(identity);
      diskUsage.start(system);
      storage.latestSnapshot().ifPresent(status::publishSnapshot);
      HostPort raft = config.raftHostPort();
      this.raftServer = GrpcServer.start(system, gateway, raft.host(), raft.port(),
              Duration.ofMillis(config.peerKeepaliveIntervalMs()), Duration.ofMillis(config.peerKeepaliveTimeoutMs()),
              identity, peerTls)
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      registerShutdownTasks();
      system.getWhenTerminated().whenComplete((t, e) -> {
        try {
          storage.close();
        } catch (RuntimeException closeFailure) {
          // The final WAL sync failed: whatever stopped the node, this is no clean stop.
          failure.compareAndSet(null, NodeFailure.of(closeFailure));
        } finally {
          closed.complete(Done.getInstance());
        }
      });
      out.accept("✓ Raft node created successfully!");
    } catch (Exception | Error e) {
      if (sys != null) {
        sys.terminate();
        sys.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      storage.close();
      throw e;
    }
  }

  /**
   * Starts a node and returns once it serves HTTP. A node without state first joins or founds
   * its cluster and waits for the first entry to commit, as the rockraft example does; a node
   * restarted with state serves at once (it answers 503 until a leader is known).
   */
  public static RaftKvServer start(NodeConfig config, Consumer<String> out) throws Exception {
    return start(config, TestHooks.NONE, out);
  }

  /** As {@link #start(NodeConfig, Consumer)}, with the test-only {@code hooks} switched on. */
  public static RaftKvServer start(NodeConfig config, TestHooks hooks, Consumer<String> out) throws Exception {
    RaftKvServer server = new RaftKvServer(config, hooks, out);
    try {
      server.joinCluster(out);
      if (server.httpBinding == null) server.serveHttp(out);
      return server;
    } catch (Exception | Error e) {
      server.stop();
      throw e;
    }
  }

  private void joinCluster(Consumer<String> out) throws Exception {
    if (hadState) {
      NodeStatus s = status.get();
      out.accept("Restarting with existing data (term " + s.currentTerm() + ", last log index "
          + s.lastLogIndex() + ", applied " + s.lastAppliedIndex() + ")");
      return;
    }
    bootstrap = new ClusterBootstrap(
        settings,
        config.single(),
        config.join(),
        transport,
        node,
        status::membership,
        system.scheduler(),
        system.executionContext(),
        Duration.ofMillis(config.joinRetryIntervalMs()),
        out,
        identity);
    CompletableFuture<ClusterBootstrap.Outcome> joining = bootstrap.run().toCompletableFuture();
    ClusterBootstrap.Outcome outcome;
    while (true) {
      try {
        outcome = joining.get(100, TimeUnit.MILLISECONDS);
        break;
      } catch (java.util.concurrent.TimeoutException notYet) {
        // A node whose identity keeps it out of the cluster (its storage was wiped while it was a
        // member) may wait here until an operator acts: serve HTTP meanwhile so /health says why.
        if (httpBinding == null && identity.problem() != null) serveHttp(out);
      }
    }
    if (outcome == ClusterBootstrap.Outcome.JOINED) out.accept("✓ Joined the cluster");
    out.accept("Waiting for initial log to be committed...");
    while (status.get().lastAppliedIndex() < 1) {
      if (system.whenTerminated().isCompleted()) {
        NodeFailure f = failure.get();
        throw new IllegalStateException("node stopped during start-up" + (f == null ? "" : " after a " + f.describe()));
      }
      Thread.sleep(20);
    }
    out.accept("✓ Initial log committed successfully!");
  }

  private void serveHttp(Consumer<String> out) throws Exception {
    HostPort http = config.httpHostPort();
    HttpLimits limits = new HttpLimits(config.maxBodyBytes(), config.maxKeyBytes(), config.maxValueBytes(),
        config.maxBatchOps(), config.maxPrefixLimit(), config.maxTxnOps(), config.maxResponseBytes());
    httpBinding = HttpApi.bind(system, http.host(), http.port(), new HttpApi(gateway, limits).route(), https(config.tls()))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    String base = (config.tls().httpTls() ? "https://" : "http://") + config.httpAddr();
    out.accept("");
    out.accept("HTTP server listening on " + base);
    out.accept("");
    out.accept("Available endpoints:");
    out.accept("  GET  " + base + "/get?key=<key>    - Get a value by key");
    out.accept("  POST " + base + "/set             - Set a key-value pair");
    out.accept("  POST " + base + "/delete          - Delete a key");
    out.accept("  GET  " + base + "/health          - Health check");
    out.accept("  GET  " + base + "/livez           - Liveness probe (200 while the process serves)");
    out.accept("  GET  " + base + "/readyz          - Readiness probe (503 with reasons when not ready)");
    out.accept("  GET  " + base + "/metrics         - Cluster metrics");
    out.accept("");
    out.accept("Press Ctrl+C to shutdown...");
  }

  /**
   * The HTTP port's TLS, if configured. With client_cert_auth a client must present a certificate
   * from trusted_ca_file; with only trusted_ca_file, one it presents is checked but none is needed.
   */
  static Optional<HttpsConnectionContext> https(TlsConfig tls) {
    if (!tls.httpTls()) return Optional.empty();
    SSLContext context = TlsFiles.serverContext(tls.certFile(), tls.keyFile(), tls.trustedCaFile());
    return Optional.of(ConnectionContext.httpsServer(() -> {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      if (tls.clientCertAuth()) {
        engine.setNeedClientAuth(true);
      } else if (tls.trustedCaFile() != null) {
        engine.setWantClientAuth(true);
      }
      return engine;
    }));
  }

  private void registerShutdownTasks() {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    Duration drain = Duration.ofMillis(Math.max(1000, config.shutdownTimeoutMs() / 2));
    // A leader first hands its leadership over, while it still serves: the cluster then has a
    // leader at once instead of after an election timeout, and clients are forwarded to it.
    // Bounded by about two election timeouts, and well inside the phase's own timeout.
    Duration handOff = Duration.ofMillis(Math.min(2L * config.electionTimeoutMsMax(),
        Math.min(HAND_OFF_MAX_MS, config.shutdownTimeoutMs() / 2)));
    cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "raft-hand-off-leadership", () ->
        AskPattern.<RaftNode.Command, Long>ask(
                node, replyTo -> new RaftNode.HandOffLeadership(handOff, replyTo), handOff.plusSeconds(1),
                system.scheduler())
            .handle((leader, failure) -> Done.getInstance()));
    cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind", () -> {
      ServerBinding b = httpBinding;
      if (bootstrap != null) bootstrap.cancel();
      return b == null ? CompletableFuture.completedFuture(Done.getInstance()) : b.unbind().thenApply(x -> Done.getInstance());
    });
    cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-drain", () -> {
      ServerBinding b = httpBinding;
      return b == null
          ? CompletableFuture.completedFuture(Done.getInstance())
          : b.terminate(drain).thenApply(x -> Done.getInstance());
    });
    cs.addTask(CoordinatedShutdown.PhaseServiceStop(), "raft-unbind", () ->
        raftServer.unbind(Duration.ofSeconds(1)).thenApply(x -> {
          transport.close();
          return Done.getInstance();
        }));
  }

  /** Shuts the node down cleanly and waits until RocksDB is closed. */
  public void stop() {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    try {
      closed.get(config.shutdownTimeoutMs() + 5000L, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node " + config.nodeId() + " did not stop in time", e);
    }
  }

  /** Completes when the node has stopped and closed its storage, for whatever reason. */
  public CompletableFuture<Done> whenClosed() {
    return closed;
  }

  /** Why the node stopped on its own (storage failure or internal error), if it did. */
  public Optional<NodeFailure> failure() {
    return Optional.ofNullable(failure.get());
  }

  public NodeStatus status() {
    return status.get();
  }

  /** The membership as the node last published it, with each member's incarnation. */
  public Membership membership() {
    return status.membership();
  }

  public NodeConfig config() {
    return config;
  }

  public int httpPort() {
    return httpBinding.localAddress().getPort();
  }

  static Config pekkoConfig(NodeConfig config) {
    // Our own shutdown hook (Main) orders the shutdown; Pekko's would race it.
    return config.pekkoOverrides()
        .withFallback(ConfigFactory.parseMap(Map.of("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off")))
        .withFallback(ConfigFactory.load());
  }

  static NodeSettings settingsOf(NodeConfig c) {
    int tick = c.tickMs();
    RaftConfig raft = new RaftConfig(
        Math.max(2, c.electionTimeoutMsMin() / tick),
        Math.max(3, c.electionTimeoutMsMax() / tick),
        Math.max(1, c.heartbeatIntervalMs() / tick),
        c.maxEntriesPerAppend(),
        c.maxBytesPerAppend(),
        c.maxInflightAppends(),
        true,
        true);
    // Peers learn this node by the address they can dial, which may not be the one it binds.
    return NodeSettings.builder(c.nodeId(), c.advertiseRaftAddr(), c.httpAddr())
        .raft(raft)
        .tick(Duration.ofMillis(tick))
        .requestTimeout(Duration.ofMillis(c.requestTimeoutMs()))
        .forwardWrites(c.forwardWrites())
        .maxBatchEntries(c.maxBatchEntries())
        .snapshotIntervalEntries(c.snapshotIntervalEntries())
        .snapshotKeepLogEntries(c.snapshotKeepLogEntries())
        .snapshotChunkBytes(c.snapshotChunkBytes())
        .snapshotIntervalBytes(c.snapshotIntervalBytes())
        .logCacheEntries(c.logCacheEntries())
        .logCacheBytes(c.logCacheBytes())
        .maxPendingProposals(c.maxPendingProposals())
        .maxPendingProposalBytes(c.maxPendingProposalBytes())
        .maxMembers(c.maxMembers())
        .quotaBackendBytes(c.quotaBackendBytes())
        .adminTimeout(Duration.ofMillis(c.adminTimeoutMs()))
        .build();
  }

  /**
   * The transport's defaults, with the configured keepalive and snapshot chunk timeout, and the
   * deadline of a forwarded join or leave derived from the node's own bound on one.
   */
  static GrpcTransport.Settings transportSettings(NodeConfig c, NodeSettings node) {
    return GrpcTransport.Settings.defaults().toBuilder()
        .keepalive(Duration.ofMillis(c.peerKeepaliveIntervalMs()), Duration.ofMillis(c.peerKeepaliveTimeoutMs()))
        .snapshotChunkTimeout(Duration.ofMillis(c.snapshotChunkTimeoutMs()))
        .adminCallDeadline(node.adminCallDeadline())
        .build();
  }
}
