package io.raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peer headers over real gRPC: a request the receiver does not admit is answered with an error
 * status and never reaches the node; a response the sender does not admit (from a wiped member's
 * new incarnation) fails the call, as if it were lost.
 */
class PeerIdentityTransportTest {
  private static final long CLUSTER = 0xC1;
  private ActorTestKit kitA;
  private ActorTestKit kitB;
  private TestInbound inboundB;
  private GrpcServer serverB;
  private GrpcTransport transportA;
  /** Node 2's incarnation as node 2 itself sees it; the membership records 0x22. */
  private final AtomicLong incarnationOfB = new AtomicLong(0x22);
  private final AtomicInteger rejectedByA = new AtomicInteger();
  private final AtomicInteger rejectedByB = new AtomicInteger();

  /** A node's identity over a fixed two-member membership, by the rules of {@link PeerAdmission}. */
  private PeerIdentity identity(long nodeId, java.util.function.LongSupplier incarnation, AtomicInteger rejected) {
    Membership members = Membership.ofVoters(List.of(new Member(1, "a:1", "", 0x11), new Member(2, "b:1", "", 0x22)));
    return new PeerIdentity() {
      PeerAdmission.Self self() {
        return new PeerAdmission.Self(nodeId, incarnation.getAsLong(), CLUSTER);
      }

      @Override
      public PeerStamp toPeer(long peerId) {
        return new PeerStamp(CLUSTER, nodeId, incarnation.getAsLong(), peerId, members.member(peerId).incarnation());
      }

      @Override
      public PeerStamp replyTo(PeerStamp request) {
        return new PeerStamp(CLUSTER, nodeId, incarnation.getAsLong(), request.fromId(), request.fromIncarnation());
      }

      @Override
      public String admitRequest(PeerStamp stamp, long from, long to, boolean mayLearnCluster) {
        return PeerAdmission.admit(self(), members, stamp, from, to);
      }

      @Override
      public String admitResponse(PeerStamp stamp, long from, long to) {
        return PeerAdmission.admit(self(), members, stamp, from, to);
      }

      @Override
      public void rejected(String what, String reason) {
        rejected.incrementAndGet();
      }
    };
  }

  @BeforeEach
  void start() throws Exception {
    kitA = ActorTestKit.create("identityA");
    kitB = ActorTestKit.create("identityB");
    inboundB = new TestInbound(2);
    inboundB.materializer = org.apache.pekko.stream.Materializer.matFromSystem(kitB.system());
    serverB = await(GrpcServer.start(kitB.system(), inboundB, "127.0.0.1", 0,
        identity(2, incarnationOfB::get, rejectedByB)));
    inboundB.raftAddr = serverB.address();
    transportA = new GrpcTransport(kitA.system(), 1, Map.of(2L, serverB.address()),
        GrpcTransport.Settings.defaults().withRaftDeadline(Duration.ofSeconds(8)));
    transportA.useIdentity(identity(1, () -> 0x11, rejectedByA));
  }

  @AfterEach
  void stop() throws Exception {
    if (transportA != null) transportA.close();
    if (serverB != null) await(serverB.unbind());
    if (kitA != null) kitA.shutdownTestKit();
    if (kitB != null) kitB.shutdownTestKit();
  }

  @Test
  void admittedRequestsAndResponsesPass() throws Exception {
    var vote = new RaftMessage.RequestVote(1, 2, 5, 10, 4, false);
    assertEquals(TestInbound.answer(vote), await(transportA.send(2, vote)));
    var heartbeat = new RaftMessage.AppendEntries(1, 2, 5, 0, 0, List.of(), 0, 3);
    assertEquals(TestInbound.answer(heartbeat), await(transportA.send(2, heartbeat)));
    assertEquals(0, rejectedByA.get() + rejectedByB.get());
  }

  @Test
  void aRequestForAnotherIncarnationIsRefusedWithAStatusAndNeverReachesTheNode() throws Exception {
    incarnationOfB.set(0x23); // node 2's storage was wiped: it is a new incarnation now
    var vote = new RaftMessage.RequestVote(1, 2, 5, 10, 4, false);
    ExecutionException e = failure(transportA.send(2, vote));
    StatusRuntimeException status = assertInstanceOf(StatusRuntimeException.class, rootOf(e));
    assertEquals(Status.Code.PERMISSION_DENIED, status.getStatus().getCode());
    assertTrue(status.getStatus().getDescription().contains("incarnation"), status.getStatus().getDescription());
    assertEquals(0, inboundB.requests.size(), "the node never saw it");
    assertEquals(1, rejectedByB.get());
  }

  @Test
  void aMalformedRequestIsRefusedAsInvalid() throws Exception {
    var absurd = new RaftMessage.TimeoutNow(1, 2, Long.MAX_VALUE);
    StatusRuntimeException status = assertInstanceOf(StatusRuntimeException.class, rootOf(failure(transportA.send(2, absurd))));
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getStatus().getCode());
    assertEquals(0, inboundB.requests.size());
  }

  @Test
  void aResponseFromAnotherIncarnationIsDroppedByTheSender() throws Exception {
    // Node 2 admits the request (it still accepts the old address) but answers as a new
    // incarnation: node 1 must not count that vote.
    PeerIdentity lenient = identity(2, () -> 0x22, rejectedByB);
    await(serverB.unbind());
    serverB = await(GrpcServer.start(kitB.system(), inboundB, "127.0.0.1", 0, new PeerIdentity() {
      @Override
      public PeerStamp toPeer(long peerId) {
        return lenient.toPeer(peerId);
      }

      @Override
      public PeerStamp replyTo(PeerStamp request) {
        PeerStamp s = lenient.replyTo(request);
        return new PeerStamp(s.clusterId(), s.fromId(), 0x99, s.toId(), s.toIncarnation());
      }

      @Override
      public String admitRequest(PeerStamp stamp, long from, long to, boolean mayLearnCluster) {
        return lenient.admitRequest(stamp, from, to, mayLearnCluster);
      }

      @Override
      public String admitResponse(PeerStamp stamp, long from, long to) {
        return lenient.admitResponse(stamp, from, to);
      }
    }));
    transportA.updatePeers(Map.of(2L, serverB.address()));
    var vote = new RaftMessage.RequestVote(1, 2, 5, 10, 4, false);
    ExecutionException e = failure(transportA.send(2, vote));
    assertTrue(rootOf(e).getMessage().contains("RequestVoteResponse dropped"), rootOf(e).getMessage());
    assertEquals(vote, inboundB.requests.poll(5, TimeUnit.SECONDS), "node 2 did handle the request");
    assertEquals(1, rejectedByA.get());
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  private static ExecutionException failure(CompletionStage<?> stage) throws Exception {
    try {
      stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  private static Throwable rootOf(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
