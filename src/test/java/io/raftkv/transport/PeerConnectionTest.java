package io.raftkv.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.raft.core.RaftMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How a peer connection notices a dead peer: keepalive pings, and half-dead streams re-opened. */
class PeerConnectionTest {
  private static final long WAIT_SECONDS = 15;
  private static final RaftMessage.AppendEntries HEARTBEAT = new RaftMessage.AppendEntries(1, 2, 3, 0, 0, List.of(), 0, 1);

  private static ActorTestKit clientKit;
  private static ActorTestKit serverKit;
  private static TestInbound inbound;
  private static GrpcServer server;

  @BeforeAll
  static void startServer() throws Exception {
    clientKit = ActorTestKit.create("client");
    serverKit = ActorTestKit.create("server");
    inbound = new TestInbound(2);
    inbound.materializer = org.apache.pekko.stream.Materializer.matFromSystem(serverKit.system());
    // The server's own pings are rare here, so that the bytes seen on an idle connection are
    // the client's pings and their answers.
    server = get(GrpcServer.start(serverKit.system(), inbound, "127.0.0.1", 0, Duration.ofSeconds(10), Duration.ofSeconds(10)));
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) get(server.unbind());
    if (clientKit != null) clientKit.shutdownTestKit();
    if (serverKit != null) serverKit.shutdownTestKit();
  }

  @BeforeEach
  void answerEverything() {
    inbound.onRequest = r -> CompletableFuture.completedFuture(TestInbound.answer(r));
  }

  @Test
  void aPeerThatTurnsIntoABlackholeIsNoticedWithinIntervalPlusTimeout() throws Exception {
    Duration interval = Duration.ofSeconds(1);
    Duration timeout = Duration.ofSeconds(1);
    // The Raft deadline is far longer than the keepalive, so only keepalive can end the wait.
    var settings = GrpcTransport.Settings.defaults()
        .withRaftDeadline(Duration.ofSeconds(30))
        .withKeepalive(interval, timeout);
    try (var proxy = new BlackholeProxy(server.port());
        var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, proxy.address()), settings)) {
      connect(transport);
      assertEquals(1, proxy.accepted());

      proxy.blackhole();
      long start = System.nanoTime();
      Throwable failure = failure(transport.send(2, HEARTBEAT));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertStatus(Status.Code.UNAVAILABLE, failure);
      long bound = interval.toMillis() + timeout.toMillis() + 2000;
      assertTrue(tookMs < bound, "the dead peer was noticed after " + tookMs + " ms, not within " + bound + " ms");

      // The peer is back (the proxy forwards new connections): the transport dials again.
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> answers(transport));
      assertTrue(proxy.accepted() >= 2, "a new connection was dialled");
    }
  }

  @Test
  void theServerPingsAConnectionThatCarriesAnOpenCall() throws Exception {
    TestInbound own = new TestInbound(2);
    own.materializer = inbound.materializer;
    GrpcServer pinging = get(GrpcServer.start(
        serverKit.system(), own, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofMillis(200)));
    // The client pings too rarely to matter here: what comes from the server is its own pings.
    var settings = GrpcTransport.Settings.defaults().withKeepalive(Duration.ofSeconds(60), Duration.ofSeconds(20));
    try (var proxy = new BlackholeProxy(pinging.port());
        var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, proxy.address()), settings)) {
      connect(transport); // also opens the peer stream, the open call the server pings for
      long fromServer = proxy.toClientBytes();
      long toServer = proxy.toServerBytes();
      // Five 17-byte PING frames from the server, and the client's acknowledgements.
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
          .until(() -> proxy.toClientBytes() - fromServer >= 85 && proxy.toServerBytes() - toServer >= 85);
      assertEquals(1, proxy.accepted());
    } finally {
      get(pinging.unbind());
    }
  }

  @Test
  void anIdleConnectionIsPingedAndTheServerAnswersEveryPing() throws Exception {
    var settings = GrpcTransport.Settings.defaults().withKeepalive(Duration.ofMillis(100), Duration.ofSeconds(1));
    try (var proxy = new BlackholeProxy(server.port());
        var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, proxy.address()), settings)) {
      connect(transport);
      long toServer = proxy.toServerBytes();
      long toClient = proxy.toClientBytes();
      // An HTTP/2 PING frame, and its acknowledgement, is 17 bytes; ask for at least ten of each.
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
          .until(() -> proxy.toServerBytes() - toServer >= 170 && proxy.toClientBytes() - toClient >= 170);
      // Pinging at ten times a second is fine with the server: the connection is still the first.
      assertEquals(TestInbound.answer(HEARTBEAT), get(transport.send(2, HEARTBEAT)));
      assertEquals(1, proxy.accepted());
    }
  }

  @Test
  void aStreamWhoseRequestsKeepTimingOutIsReopenedAndWorksAgain() throws Exception {
    var settings = GrpcTransport.Settings.defaults()
        .withRaftDeadline(Duration.ofSeconds(1))
        .withStreamResetTimeouts(3);
    // The peer never answers one request; a stream is answered in order, so every request
    // behind it waits too: the stream is half dead while the connection is fine.
    var stuck = new RaftMessage.AppendEntries(1, 2, 99, 0, 0, List.of(), 0, 2);
    inbound.onRequest = r -> r.equals(stuck)
        ? new CompletableFuture<>()
        : CompletableFuture.completedFuture(TestInbound.answer(r));
    try (var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, server.address()), settings)) {
      connect(transport);
      assertInstanceOf(TimeoutException.class, failure(transport.send(2, stuck)));
      assertInstanceOf(TimeoutException.class, failure(transport.send(2, HEARTBEAT)), "held up behind the stuck one");
      assertInstanceOf(TimeoutException.class, failure(transport.send(2, HEARTBEAT)));
      // Three timeouts in a row: the stream is torn down, and the next request opens a new one,
      // on which the peer answers again.
      await().atMost(Duration.ofSeconds(10)).until(() -> answers(transport));
    }
  }

  @Test
  void requestsStillWaitingWhenTheStreamIsResetFailRatherThanVanish() throws Exception {
    var settings = GrpcTransport.Settings.defaults()
        .withRaftDeadline(Duration.ofSeconds(1))
        .withStreamResetTimeouts(1);
    var stuck = new RaftMessage.AppendEntries(1, 2, 99, 0, 0, List.of(), 0, 2);
    CompletableFuture<RaftMessage.Response> never = new CompletableFuture<>();
    inbound.onRequest = r -> r.equals(stuck) ? never : CompletableFuture.completedFuture(TestInbound.answer(r));
    try (var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, server.address()), settings)) {
      connect(transport);
      CompletableFuture<RaftMessage.Response> first = transport.send(2, stuck).toCompletableFuture();
      // Sent just behind the stuck one, with the same deadline: it is still waiting when the
      // first one's timeout resets the stream, and must fail then, not hang.
      CompletableFuture<RaftMessage.Response> second = transport.send(2, HEARTBEAT).toCompletableFuture();
      assertInstanceOf(TimeoutException.class, failure(first));
      Throwable reason = failure(second);
      assertTrue(reason instanceof TimeoutException || reason instanceof IllegalStateException, String.valueOf(reason));
      await().atMost(Duration.ofSeconds(10)).until(() -> answers(transport));
    }
  }

  @Test
  void messagesUpToTheClusterLimitCrossAndLargerOnesAreRefused() throws Exception {
    int limit = io.raftkv.config.NodeConfig.GRPC_MAX_MESSAGE_BYTES;
    inbound.onForward = c -> CompletableFuture.completedFuture(
        new io.raftkv.api.WriteOutcome.Applied(io.raftkv.kv.KvResult.NONE));
    try (var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, server.address()),
        GrpcTransport.Settings.defaults().withClientCallDeadline(Duration.ofSeconds(10)))) {
      connect(transport);
      // 7 MiB: above gRPC's default 4 MiB, within the cluster's 8 MiB.
      var large = new io.raftkv.kv.KvCommand.Set("k", "v".repeat(limit - (1 << 20)));
      assertEquals(new io.raftkv.api.WriteOutcome.Applied(io.raftkv.kv.KvResult.NONE), get(transport.forward(2, large)));
      assertEquals(large, inbound.forwarded.poll(WAIT_SECONDS, TimeUnit.SECONDS));

      var tooLarge = new io.raftkv.kv.KvCommand.Set("k", "v".repeat(limit + 1));
      assertInstanceOf(StatusRuntimeException.class, failure(transport.forward(2, tooLarge)));
      assertEquals(null, inbound.forwarded.poll(), "the node never saw the oversized message");
      // The server goes on serving.
      await().atMost(Duration.ofSeconds(10)).until(() -> answers(transport));
    } finally {
      inbound.forwarded.clear();
    }
  }

  /** Waits until the peer answers, which also sets up the connection and its stream. */
  private static void connect(GrpcTransport transport) {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> answers(transport));
  }

  @Test
  void aSnapshotTransferFailsWhenTheFollowerStopsTakingChunks() throws Exception {
    Duration chunkTimeout = Duration.ofSeconds(1);
    var settings = GrpcTransport.Settings.defaults().withSnapshotChunkTimeout(chunkTimeout);
    // The follower takes the first chunk and never finishes writing it: flow control stops
    // the leader once the connection's buffers are full.
    inbound.snapshotReader = chunks -> chunks
        .mapAsync(1, c -> new CompletableFuture<byte[]>())
        .runFold(0L, (n, c) -> n + c.length, inbound.materializer);
    var header = new RaftMessage.InstallSnapshot(1, 2, 9, 1000, 8,
        io.raftkv.raft.core.Membership.ofVoters(List.of(new io.raftkv.raft.core.Member(1, "a:1", "a:2"))));
    try (var transport = new GrpcTransport(clientKit.system(), 1, Map.of(2L, server.address()), settings)) {
      connect(transport);
      // 64 MiB: far more than HTTP/2 lets the leader have in flight.
      var chunks = org.apache.pekko.stream.javadsl.Source.range(1, 256).map(i -> new byte[256 * 1024]);
      long start = System.nanoTime();
      failure(transport.installSnapshot(2, header, chunks));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // Not a deadline on the whole transfer, which is gone, but the idle chunk timeout.
      assertTrue(tookMs < 10_000, "the stalled transfer failed after " + tookMs + " ms");
      assertEquals(0L, inbound.firstChunks.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    } finally {
      inbound.snapshotReader = chunks -> chunks.runFold(0L, (n, c) -> n + c.length, inbound.materializer);
    }
  }

  private static boolean answers(GrpcTransport transport) {
    try {
      return TestInbound.answer(HEARTBEAT).equals(transport.send(2, HEARTBEAT).toCompletableFuture().get(5, TimeUnit.SECONDS));
    } catch (Exception e) {
      return false;
    }
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static Throwable failure(CompletionStage<?> stage) throws InterruptedException, TimeoutException {
    try {
      Object value = stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      return fail("expected a failure, got " + value);
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
      return t;
    }
  }

  private static void assertStatus(Status.Code expected, Throwable failure) {
    StatusRuntimeException s = assertInstanceOf(StatusRuntimeException.class, failure, String.valueOf(failure));
    assertEquals(expected, s.getStatus().getCode(), s.toString());
  }
}
