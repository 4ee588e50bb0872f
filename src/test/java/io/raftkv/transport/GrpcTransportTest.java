package io.raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.Patterns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two real nodes on loopback, each with its own actor system, gRPC server and transport. */
class GrpcTransportTest {
  private static final long WAIT_SECONDS = 15;
  private static final GrpcTransport.Settings SETTINGS =
      GrpcTransport.Settings.defaults()
          .withRaftDeadline(Duration.ofSeconds(2))
          .withClientCallDeadline(Duration.ofSeconds(4));

  private static ActorTestKit kitA;
  private static ActorTestKit kitB;
  private static TestInbound inboundA;
  private static TestInbound inboundB;
  private static GrpcServer serverA;
  private static GrpcServer serverB;
  private static GrpcTransport transportA;
  private static GrpcTransport transportB;
  private static Map<Long, String> peers;

  @BeforeAll
  static void startNodes() throws Exception {
    kitA = ActorTestKit.create("nodeA");
    kitB = ActorTestKit.create("nodeB");
    inboundA = new TestInbound(1);
    inboundB = new TestInbound(2);
    serverA = await(GrpcServer.start(kitA.system(), inboundA, "127.0.0.1", 0));
    serverB = await(GrpcServer.start(kitB.system(), inboundB, "127.0.0.1", 0));
    inboundA.materializer = org.apache.pekko.stream.Materializer.matFromSystem(kitA.system());
    inboundB.materializer = org.apache.pekko.stream.Materializer.matFromSystem(kitB.system());
    inboundA.raftAddr = serverA.address();
    inboundB.raftAddr = serverB.address();
    peers = Map.of(1L, serverA.address(), 2L, serverB.address());
    transportA = new GrpcTransport(kitA.system(), 1, peers, SETTINGS);
    transportB = new GrpcTransport(kitB.system(), 2, peers, SETTINGS);
  }

  @AfterAll
  static void stopNodes() throws Exception {
    if (transportA != null) transportA.close();
    if (transportB != null) transportB.close();
    if (serverA != null) await(serverA.unbind());
    if (serverB != null) await(serverB.unbind());
    if (kitA != null) kitA.shutdownTestKit();
    if (kitB != null) kitB.shutdownTestKit();
  }

  @BeforeEach
  void resetScripts() {
    for (TestInbound in : List.of(inboundA, inboundB)) {
      in.requests.clear();
      in.forwarded.clear();
      in.onRequest = r -> CompletableFuture.completedFuture(TestInbound.answer(r));
      in.membership = Membership.EMPTY;
      in.leaderId = 0;
    }
    transportA.updatePeers(peers);
    transportB.updatePeers(peers);
  }

  // ---- Raft RPCs ----

  @Test
  void requestVoteAndPreVoteRoundTrip() throws Exception {
    for (boolean preVote : new boolean[] {false, true}) {
      for (long lastLogIndex : new long[] {10, 11}) {
        var request = new RaftMessage.RequestVote(1, 2, 5, lastLogIndex, 4, preVote);
        RaftMessage.Response response = await(transportA.send(2, request));
        assertEquals(request, inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(TestInbound.answer(request), response);
      }
    }
    // And the other way round, on B's own channel to A.
    var back = new RaftMessage.RequestVote(2, 1, 6, 0, 0, false);
    assertEquals(TestInbound.answer(back), await(transportB.send(1, back)));
    assertEquals(back, inboundA.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void transferVoteAndTimeoutNowRoundTrip() throws Exception {
    var vote = new RaftMessage.RequestVote(1, 2, 7, 3, 3, false, true);
    assertEquals(TestInbound.answer(vote), await(transportA.send(2, vote)));
    assertEquals(vote, inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS), "the transfer flag survives");
    var timeoutNow = new RaftMessage.TimeoutNow(1, 2, 7);
    assertEquals(new RaftMessage.TimeoutNowResponse(2, 1, 7, true), await(transportA.send(2, timeoutNow)));
    assertEquals(timeoutNow, inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void snapshotStreamsInChunksWithItsHeader() throws Exception {
    Membership three = Membership.ofVoters(List.of(
        new Member(1, "a:1", "a:2"), new Member(2, "b:1", "b:2"), new Member(3, "c:1", "c:2")));
    var header = new RaftMessage.InstallSnapshot(1, 2, 9, 1000, 8, three);
    // 40 chunks of 256 KiB: 10 MiB in all, far more than one gRPC message may carry.
    var chunks = org.apache.pekko.stream.javadsl.Source.range(1, 40).map(i -> new byte[256 * 1024]);
    RaftMessage.Response r = await(transportA.installSnapshot(2, header, chunks));
    assertEquals(new RaftMessage.InstallSnapshotResponse(2, 1, 9, true, 1000), r);
    assertEquals(header, inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(40L * 256 * 1024, inboundB.snapshotBytes.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void joinAndLeaveReachTheNodeAtAnAddress() throws Exception {
    Member four = new Member(4, "127.0.0.1:7004", "127.0.0.1:8004");
    assertEquals(new AdminOutcome.Done("Node 4 joined the cluster successfully"),
        await(transportA.join(serverB.address(), four, false)));
    assertEquals(four, inboundB.joined.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(new AdminOutcome.Invalid("node 9 is not a member"), await(transportA.leave(serverB.address(), 9, false, true)));
    assertEquals(new AdminOutcome.Done("Node 9 left the cluster successfully"),
        await(transportA.leave(serverB.address(), 9, true, true)), "force travels with the request");
  }

  @Test
  void transferLeaderReachesTheNodeAtAnAddressAndCarriesTheNewLeader() throws Exception {
    assertEquals(new AdminOutcome.Transferred(2), await(transportA.transferLeader(serverB.address(), 2, true)));
    assertEquals(new AdminOutcome.Transferred(2), await(transportA.transferLeader(serverB.address(), 0, true)));
    assertEquals(new AdminOutcome.Invalid("node 9 is not a voter of this cluster"),
        await(transportA.transferLeader(serverB.address(), 9, true)));
  }

  @Test
  void appendEntriesWithEveryKindRoundTrips() throws Exception {
    Membership m = Membership.ofVoters(
        List.of(new Member(1, serverA.address(), "h1"), new Member(2, serverB.address(), "h2")));
    List<LogEntry> entries = List.of(
        LogEntry.noop(4, 3),
        new LogEntry(5, 3, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Set("k", "v"))),
        new LogEntry(6, 3, LogEntry.Kind.CONFIG, MembershipCodec.encode(m)),
        new LogEntry(7, 3, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Delete("k"))));
    var request = new RaftMessage.AppendEntries(1, 2, 3, 3, 2, entries, 5, 17);

    RaftMessage.Response response = await(transportA.send(2, request));

    var received = (RaftMessage.AppendEntries) inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertEquals(request, received);
    for (int i = 0; i < entries.size(); i++) {
      assertArrayEquals(entries.get(i).data(), received.entries().get(i).data());
    }
    assertEquals(MembershipCodec.decode(received.entries().get(2).data()), m);
    assertEquals(TestInbound.answer(request), response);
  }

  @Test
  void heartbeatAndRejectionRoundTrip() throws Exception {
    var heartbeat = new RaftMessage.AppendEntries(1, 2, 3, 7, 3, List.of(), 7, 18);
    assertEquals(TestInbound.answer(heartbeat), await(transportA.send(2, heartbeat)));
    assertEquals(heartbeat, inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS));

    var stale = new RaftMessage.AppendEntries(1, 2, 3, 9, 1, List.of(), 7, 19);
    var rejection = (RaftMessage.AppendEntriesResponse) await(transportA.send(2, stale));
    assertEquals(TestInbound.answer(stale), rejection);
    assertEquals(false, rejection.success());
    assertEquals(9, rejection.conflictIndex());
  }

  @Test
  void largeBatchRoundTrips() throws Exception {
    // About 1.5 MB: well past a single HTTP/2 frame, still under gRPC's 4 MiB message limit.
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      byte[] data = new byte[500];
      data[0] = (byte) i;
      data[499] = (byte) (i >> 8);
      entries.add(new LogEntry(101 + i, 4, LogEntry.Kind.COMMAND, data));
    }
    var request = new RaftMessage.AppendEntries(1, 2, 4, 100, 4, entries, 100, 0);
    assertEquals(TestInbound.answer(request), await(transportA.send(2, request)));
    assertEquals(request, inboundB.requests.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void manyConcurrentCallsAllAnswer() throws Exception {
    List<CompletableFuture<RaftMessage.Response>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      var hb = new RaftMessage.AppendEntries(1, 2, 3, i, i == 0 ? 0 : 3, List.of(), i, i);
      calls.add(transportA.send(2, hb).toCompletableFuture());
    }
    for (int i = 0; i < calls.size(); i++) {
      var r = (RaftMessage.AppendEntriesResponse) calls.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEquals(i, r.readSeq());
    }
  }

  // ---- client calls ----

  @Test
  void forwardReturnsEveryWriteOutcome() throws Exception {
    List<WriteOutcome> outcomes = List.of(
        new WriteOutcome.Applied(new KvResult.Applied("before")),
        new WriteOutcome.Applied(new KvResult.Applied(null)),
        new WriteOutcome.Applied(new KvResult.Applied("")),
        new WriteOutcome.Applied(KvResult.NONE),
        new WriteOutcome.NotLeader(3, "127.0.0.1:8003"),
        new WriteOutcome.NotLeader(3, null),
        new WriteOutcome.NoLeader("election in progress"),
        new WriteOutcome.Timeout("not committed within 5000 ms"),
        new WriteOutcome.Rejected("leader lost its term"));
    KvCommand command = new KvCommand.Set("key", "value \u2713");
    for (WriteOutcome outcome : outcomes) {
      inboundB.onForward = c -> CompletableFuture.completedFuture(outcome);
      assertEquals(outcome, await(transportA.forward(2, command)));
      assertEquals(command, inboundB.forwarded.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }
    inboundB.onForward = c -> CompletableFuture.completedFuture(new WriteOutcome.Applied(new KvResult.Applied("v")));
    var delete = new KvCommand.Delete("key");
    assertEquals(new WriteOutcome.Applied(new KvResult.Applied("v")), await(transportA.forward(2, delete)));
    assertEquals(delete, inboundB.forwarded.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void readIndexReturnsEveryStatus() throws Exception {
    for (ReadIndexReply.Status status : ReadIndexReply.Status.values()) {
      var reply = new ReadIndexReply(status, 42, 2);
      inboundB.onReadIndex = () -> CompletableFuture.completedFuture(reply);
      assertEquals(reply, await(transportA.readIndex(2)));
    }
  }

  @Test
  void helloReturnsIdentityAndMembership() throws Exception {
    PeerInfo fresh = await(transportA.hello(serverB.address()));
    assertEquals(new PeerInfo(2, serverB.address(), "127.0.0.1:802", Membership.EMPTY, 0), fresh);

    Membership m = Membership.ofVoters(
            List.of(new Member(1, serverA.address(), "127.0.0.1:801"), new Member(2, serverB.address(), "")))
        .withLearner(new Member(9, "127.0.0.1:7009", "127.0.0.1:8009"));
    inboundB.membership = m;
    inboundB.leaderId = 1;
    PeerInfo joined = await(transportA.hello(serverB.address()));
    assertEquals(m, joined.membership());
    assertEquals(1, joined.leaderId());
    // A node may say hello to itself, e.g. when its own address is in its join list.
    assertEquals(1, await(transportA.hello(serverA.address())).nodeId());
  }

  // ---- failures ----

  @Test
  void aFailingNodeBecomesAnInternalErrorAndTheServerKeepsServing() throws Exception {
    var request = new RaftMessage.RequestVote(1, 2, 5, 10, 4, false);

    inboundB.onRequest = r -> {
      throw new IllegalStateException("boom");
    };
    assertStatus(Status.Code.INTERNAL, failure(transportA.send(2, request)));

    inboundB.onRequest = r -> CompletableFuture.failedFuture(new IllegalStateException("storage failed"));
    assertStatus(Status.Code.INTERNAL, failure(transportA.send(2, request)));

    inboundB.onRequest = r -> null;
    assertStatus(Status.Code.INTERNAL, failure(transportA.send(2, request)));

    // A response of the wrong type for the RPC cannot be encoded: also INTERNAL, not a crash.
    inboundB.onRequest = r -> CompletableFuture.completedFuture(
        new RaftMessage.AppendEntriesResponse(2, 1, 5, true, 0, 0, 0, 0));
    assertStatus(Status.Code.INTERNAL, failure(transportA.send(2, request)));

    inboundB.onRequest = r -> CompletableFuture.completedFuture(TestInbound.answer(r));
    assertEquals(TestInbound.answer(request), await(transportA.send(2, request)));
  }

  @Test
  void aPeerThatNeverAnswersFailsAtTheDeadline() throws Exception {
    var shortDeadlines = SETTINGS.withRaftDeadline(Duration.ofMillis(300)).withClientCallDeadline(Duration.ofMillis(600));
    try (var transport = new GrpcTransport(kitA.system(), 1, peers, shortDeadlines)) {
      inboundB.onRequest = r -> new CompletableFuture<>(); // never completes
      inboundB.onForward = c -> new CompletableFuture<>();
      long start = System.nanoTime();
      Throwable vote = failure(transport.send(2, new RaftMessage.RequestVote(1, 2, 5, 10, 4, false)));
      assertStatus(Status.Code.DEADLINE_EXCEEDED, vote);
      Throwable forward = failure(transport.forward(2, new KvCommand.Delete("k")));
      assertStatus(Status.Code.DEADLINE_EXCEEDED, forward);
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
    }
  }

  @Test
  void unknownPeerFailsWithoutDialling() throws Exception {
    assertInstanceOf(IllegalArgumentException.class, failure(transportA.send(7, new RaftMessage.RequestVote(1, 7, 1, 0, 0, false))));
    assertInstanceOf(IllegalArgumentException.class, failure(transportA.hello("no-port-here")));
  }

  @Test
  void updatePeersFollowsTheMembership() throws Exception {
    var hb = new RaftMessage.AppendEntries(1, 2, 3, 0, 0, List.of(), 0, 1);
    transportA.updatePeers(Map.of(1L, serverA.address()));
    assertInstanceOf(IllegalArgumentException.class, failure(transportA.send(2, hb)));

    // Node 2 back under a different id-to-address mapping: id 3 now lives at B's address.
    transportA.updatePeers(Map.of(1L, serverA.address(), 3L, serverB.address()));
    assertEquals(TestInbound.answer(hb), await(transportA.send(3, hb)));

    transportA.updatePeers(peers);
    assertEquals(TestInbound.answer(hb), await(transportA.send(2, hb)));
  }

  @Test
  void nothingListeningFailsFastAndARestartedServerIsReachedAgain() throws Exception {
    int port = freePort();
    String addr = "127.0.0.1:" + port;
    TestInbound inboundC = new TestInbound(3);
    inboundC.raftAddr = addr;
    var hb = new RaftMessage.AppendEntries(1, 3, 3, 0, 0, List.of(), 0, 1);
    // Reconnect interval zero: every refused call drops its channel, so the first call after the
    // server is back dials afresh and must succeed. That makes each step below deterministic.
    var eagerReconnect = SETTINGS.withReconnect(Duration.ZERO, Duration.ZERO);
    try (var transport = new GrpcTransport(kitA.system(), 1, Map.of(3L, addr), eagerReconnect)) {
      // Nothing there yet: connection refused, reported well within the 2 s deadline.
      long start = System.nanoTime();
      assertStatus(Status.Code.UNAVAILABLE, failure(transport.send(3, hb)));
      assertTrue(System.nanoTime() - start < SETTINGS.raftDeadline().toNanos(), "refused calls must not wait for the deadline");

      // The node comes up on that port.
      GrpcServer server = await(GrpcServer.start(kitB.system(), inboundC, "127.0.0.1", port));
      assertEquals(TestInbound.answer(hb), await(transport.send(3, hb)));

      // It stops: calls fail fast instead of hanging on the closed connection. A call may find
      // the peer stream already ended by the unbind rather than the connection refused.
      await(server.unbind());
      start = System.nanoTime();
      assertUnavailableOrStreamClosed(failure(transport.send(3, hb)));
      assertTrue(System.nanoTime() - start < SETTINGS.raftDeadline().toNanos());

      // It restarts on the same port: reached again, by Raft RPCs and by Hello.
      server = await(GrpcServer.start(kitB.system(), inboundC, "127.0.0.1", port));
      try {
        assertEquals(TestInbound.answer(hb), await(transport.send(3, hb)));
        assertEquals(3, await(transport.hello(addr)).nodeId());
      } finally {
        await(server.unbind());
      }
    }
  }

  @Test
  void withDefaultSettingsARestartedPeerIsReachedWithinSeconds() throws Exception {
    int port = freePort();
    String addr = "127.0.0.1:" + port;
    TestInbound inboundC = new TestInbound(3);
    var hb = new RaftMessage.AppendEntries(1, 3, 3, 0, 0, List.of(), 0, 1);
    try (var transport = new GrpcTransport(kitA.system(), 1, Map.of(3L, addr))) {
      GrpcServer server = await(GrpcServer.start(kitB.system(), inboundC, "127.0.0.1", port));
      assertEquals(TestInbound.answer(hb), await(transport.send(3, hb)));
      await(server.unbind());
      // A call while the peer is down puts the channel into gRPC's reconnect backoff, the case the
      // transport's own reconnect rule is there for. On a busy machine the first calls may still
      // find the peer stream that the unbind ended; the call after that dials, and is refused.
      Throwable down = failure(transport.send(3, hb));
      for (int i = 0; i < 10 && isStreamClosed(down); i++) down = failure(transport.send(3, hb));
      assertStatus(Status.Code.UNAVAILABLE, down);

      server = await(GrpcServer.start(kitB.system(), inboundC, "127.0.0.1", port));
      try {
        long start = System.nanoTime();
        assertEquals(TestInbound.answer(hb), await(retryEvery(Duration.ofMillis(100), () -> transport.send(3, hb))));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs < 5_000, "reconnecting took " + tookMs + " ms");
      } finally {
        await(server.unbind());
      }
    }
  }

  // ---- helpers ----

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Repeats {@code call} until it succeeds, pacing attempts with the actor system's scheduler (a
   * refused call fails at once, so retrying without a pause would spin). The caller bounds the
   * whole wait with {@link #await}.
   */
  private static <T> CompletionStage<T> retryEvery(Duration pause, Supplier<CompletionStage<T>> call) {
    return call.get()
        .handle((value, error) -> error == null
            ? CompletableFuture.completedFuture(value)
            : Patterns.after(pause, kitA.system().classicSystem().scheduler(), kitA.system().executionContext(),
                () -> retryEvery(pause, call)))
        .thenCompose(stage -> stage);
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

  private static void assertUnavailableOrStreamClosed(Throwable failure) {
    if (isStreamClosed(failure)) return;
    assertStatus(Status.Code.UNAVAILABLE, failure);
  }

  private static boolean isStreamClosed(Throwable failure) {
    return failure instanceof IllegalStateException && String.valueOf(failure.getMessage()).contains("closed");
  }

  private static void assertStatus(Status.Code expected, Throwable failure) {
    StatusRuntimeException s = assertInstanceOf(StatusRuntimeException.class, failure, String.valueOf(failure));
    assertEquals(expected, s.getStatus().getCode(), s.toString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
