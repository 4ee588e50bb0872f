package io.raftkv.transport;

import io.grpc.Status;
import io.raftkv.raft.core.PeerMessageValidator;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.AdminResponse;
import io.raftkv.transport.grpc.AppendEntriesRequest;
import io.raftkv.transport.grpc.AppendEntriesResponse;
import io.raftkv.transport.grpc.AppendStreamMessage;
import io.raftkv.transport.grpc.ForwardRequest;
import io.raftkv.transport.grpc.ForwardResponse;
import io.raftkv.transport.grpc.HelloRequest;
import io.raftkv.transport.grpc.HelloResponse;
import io.raftkv.transport.grpc.InstallSnapshotChunk;
import io.raftkv.transport.grpc.InstallSnapshotResponse;
import io.raftkv.transport.grpc.JoinRequest;
import io.raftkv.transport.grpc.LeaveRequest;
import io.raftkv.transport.grpc.TransferLeaderRequest;
import io.raftkv.transport.grpc.RaftService;
import io.raftkv.transport.grpc.ReadIndexRequest;
import io.raftkv.transport.grpc.ReadIndexResponse;
import io.raftkv.transport.grpc.RequestVoteRequest;
import io.raftkv.transport.grpc.RequestVoteResponse;
import io.raftkv.transport.grpc.TimeoutNowRequest;
import io.raftkv.transport.grpc.TimeoutNowResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The server side of {@code RaftService}, bound by {@link GrpcServer}: decodes
 * each request into a core record, hands it to the local node's {@link RaftInbound} and encodes the
 * answer.
 *
 * <p>Nothing the inbound does may take the server down, so every failure becomes a gRPC status:
 * a request that does not decode is INVALID_ARGUMENT (the peer sent something wrong), an inbound
 * that throws, returns null or fails is INTERNAL. INTERNAL rather than UNAVAILABLE on purpose: the
 * client treats UNAVAILABLE as "connection lost" and rebuilds its channel, which would be wasted
 * work when the connection is fine and only the node refused.
 */
final class RaftServiceImpl implements RaftService {
  private final RaftInbound inbound;
  private final Executor executor;
  private final PeerIdentity identity;
  private final CallerCertificate caller;

  private final Materializer materializer;

  /**
   * @param identity decides which peer messages are admitted (cluster, sender and receiver
   *     identity) and stamps the responses
   */
  RaftServiceImpl(RaftInbound inbound, Executor executor, Materializer materializer, PeerIdentity identity) {
    this(inbound, executor, materializer, identity, CallerCertificate.NONE);
  }

  /**
   * As above, for the calls of one connection whose TLS certificate names {@code caller}: every
   * message must come from that node.
   */
  RaftServiceImpl(RaftInbound inbound, Executor executor, Materializer materializer, PeerIdentity identity,
      CallerCertificate caller) {
    this.inbound = inbound;
    this.executor = executor;
    this.materializer = materializer;
    this.identity = caller.guard(identity);
    this.caller = caller;
  }

  @Override
  public CompletionStage<RequestVoteResponse> requestVote(RequestVoteRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> admitted(ProtoCodec.fromProto(in), stamp, false),
        request -> inbound.onRequest(request),
        response -> ProtoCodec.toProto(expect(RaftMessage.RequestVoteResponse.class, response)).toBuilder()
            .setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  @Override
  public CompletionStage<AppendEntriesResponse> appendEntries(AppendEntriesRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> admitted(ProtoCodec.fromProto(in), stamp, true),
        request -> inbound.onRequest(request),
        response -> ProtoCodec.toProto(expect(RaftMessage.AppendEntriesResponse.class, response)).toBuilder()
            .setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  /**
   * Lets a decoded Raft request through only if it is well formed ({@link PeerMessageValidator})
   * and admitted by this node's identity rules; otherwise throws {@link Refused}, which becomes
   * an error status with the reason. Validation comes first, so a node with no cluster yet learns
   * its cluster id only from a message it will actually act on.
   */
  private <T extends RaftMessage.Request> T admitted(T request, PeerStamp stamp, boolean mayLearnCluster) {
    String bad = PeerMessageValidator.check(request);
    if (bad != null) {
      identity.rejected(kind(request), bad);
      throw new Refused(Status.INVALID_ARGUMENT, "malformed " + kind(request) + ": " + bad);
    }
    String refused = identity.admitRequest(stamp, request.from(), request.to(), mayLearnCluster);
    if (refused != null) {
      identity.rejected(kind(request), refused);
      throw new Refused(Status.PERMISSION_DENIED, kind(request) + " refused: " + refused);
    }
    return request;
  }

  private static String kind(RaftMessage m) {
    return m.getClass().getSimpleName();
  }

  /** A request refused before it reached the node, with the status to answer. */
  private static final class Refused extends RuntimeException {
    final Status status;

    Refused(Status status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /**
   * AppendEntries over a stream: requests go to the node in the order they arrive (mapAsync
   * starts each in order), responses come back tagged with their request's id. A request the
   * node fails gets no response; the sender counts it as lost after its deadline.
   */
  @Override
  public Source<AppendStreamMessage, NotUsed> appendStream(Source<AppendStreamMessage, NotUsed> in) {
    return in.mapAsync(MAX_STREAM_IN_FLIGHT, this::answerOnStream)
        .filter(java.util.Optional::isPresent)
        .map(java.util.Optional::get);
  }

  private CompletionStage<java.util.Optional<AppendStreamMessage>> answerOnStream(AppendStreamMessage m) {
    java.util.Optional<AppendStreamMessage> none = java.util.Optional.empty();
    try {
      if (m.hasReadIndexRequest()) {
        PeerStamp stamp = ProtoCodec.fromProto(m.getReadIndexRequest().getHeader());
        String refused = identity.admitRequest(stamp, m.getReadIndexRequest().getFrom(), stamp.toId(), false);
        if (refused != null) {
          identity.rejected("ReadIndex", refused);
          return CompletableFuture.completedFuture(none);
        }
        return inbound.onReadIndex().handle((reply, failure) -> failure != null || reply == null
            ? none
            : java.util.Optional.of(AppendStreamMessage.newBuilder()
                .setId(m.getId())
                .setReadIndexResponse(ProtoCodec.toProto(reply).toBuilder()
                    .setHeader(ProtoCodec.toProto(identity.replyTo(stamp))))
                .build()));
      }
      PeerStamp stamp = ProtoCodec.fromProto(m.getRequest().getHeader());
      // A refused message gets no answer on the stream (it has no error channel per message);
      // the sender counts it as lost after its deadline.
      RaftMessage.AppendEntries request = admitted(ProtoCodec.fromProto(m.getRequest()), stamp, true);
      return inbound.onRequest(request).handle((response, failure) -> {
        if (failure != null || !(response instanceof RaftMessage.AppendEntriesResponse r)) return none;
        return java.util.Optional.of(AppendStreamMessage.newBuilder()
            .setId(m.getId())
            .setResponse(ProtoCodec.toProto(r).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))))
            .build());
      });
    } catch (RuntimeException e) {
      // Undecodable, or the node refused at once: no answer; the sender counts the message lost.
      return CompletableFuture.completedFuture(none);
    }
  }

  /** Requests of one stream the node may be working on at once; more wait in the stream. */
  private static final int MAX_STREAM_IN_FLIGHT = 64;

  @Override
  public CompletionStage<ForwardResponse> forward(ForwardRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> {
          admitClientCall("Forward", stamp, stamp.fromId());
          return ProtoCodec.fromProto(in);
        },
        inbound::onForward,
        outcome -> ProtoCodec.toProto(outcome).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  @Override
  public CompletionStage<ReadIndexResponse> readIndex(ReadIndexRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> {
          admitClientCall("ReadIndex", stamp, in.getFrom());
          return in.getFrom();
        },
        from -> inbound.onReadIndex(),
        reply -> ProtoCodec.toProto(reply).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  /** Forward and ReadIndex come from fellow members only; the same identity rules apply. */
  private void admitClientCall(String what, PeerStamp stamp, long from) {
    String refused = identity.admitRequest(stamp, from, stamp.toId(), false);
    if (refused != null) {
      identity.rejected(what, refused);
      throw new Refused(Status.PERMISSION_DENIED, what + " refused: " + refused);
    }
  }

  @Override
  public CompletionStage<TimeoutNowResponse> timeoutNow(TimeoutNowRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> admitted(ProtoCodec.fromProto(in), stamp, false),
        request -> inbound.onRequest(request),
        response -> ProtoCodec.toProto(expect(RaftMessage.TimeoutNowResponse.class, response)).toBuilder()
            .setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  @Override
  public CompletionStage<AdminResponse> join(JoinRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> {
          // A node asking to join is not a member yet, so only a join a member forwards to its
          // leader must come from a member of this cluster. The leader vets the joining node
          // itself with a Hello either way.
          if (in.getForwarded()) {
            admitClientCall("forwarded Join", stamp, stamp.fromId());
          } else {
            // The joining node asks in its own name: it cannot join as a node its certificate is not.
            String refused = caller.refuses(in.getNodeId());
            if (refused != null) {
              identity.rejected("Join", refused);
              throw new Refused(Status.PERMISSION_DENIED, "Join refused: " + refused);
            }
          }
          return ProtoCodec.fromProto(in);
        },
        m -> inbound.onJoin(m, in.getForwarded()),
        outcome -> ProtoCodec.toProto(outcome).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  /**
   * Nodes send Leave over gRPC only to forward an operator's /leave to their leader, so it must
   * come from a member of this cluster: otherwise any process that reaches the port could remove
   * members.
   */
  @Override
  public CompletionStage<AdminResponse> leave(LeaveRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> {
          admitClientCall("Leave", stamp, stamp.fromId());
          return in.getNodeId();
        },
        id -> inbound.onLeave(id, in.getForce(), in.getForwarded()),
        outcome -> ProtoCodec.toProto(outcome).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  /** As Leave: only a member forwards an operator's /transfer_leader to its leader. */
  @Override
  public CompletionStage<AdminResponse> transferLeader(TransferLeaderRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> {
          admitClientCall("TransferLeader", stamp, stamp.fromId());
          return in.getNodeId();
        },
        id -> inbound.onTransferLeader(id, in.getForwarded()),
        outcome -> ProtoCodec.toProto(outcome).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  @Override
  public CompletionStage<InstallSnapshotResponse> installSnapshot(Source<InstallSnapshotChunk, NotUsed> in) {
    // Split off the first chunk for its header; the data of every chunk, first included, goes on.
    return in.prefixAndTail(1)
        .runWith(Sink.head(), materializer)
        .thenCompose(split -> {
          if (split.first().isEmpty()) {
            return failed(Status.INVALID_ARGUMENT, "empty snapshot stream", null);
          }
          InstallSnapshotChunk first = split.first().get(0);
          if (first.getProbe()) {
            // A probe carries no data; nothing more is read from its stream. It is admitted by
            // the same identity rules as the transfer it prepares.
            split.second().runWith(Sink.cancelled(), materializer);
            PeerStamp probeStamp = ProtoCodec.fromProto(first.getHeader());
            return call(
                () -> {
                  RaftMessage.InstallSnapshot probe = ProtoCodec.probeOf(first);
                  String refused = identity.admitRequest(probeStamp, probe.from(), probe.to(), true);
                  if (refused != null) {
                    identity.rejected("InstallSnapshot probe", refused);
                    throw new Refused(Status.PERMISSION_DENIED, "InstallSnapshot probe refused: " + refused);
                  }
                  return probe;
                },
                inbound::onSnapshotProbe,
                staged -> ProtoCodec.probeResponse(ProtoCodec.probeOf(first), staged).toBuilder()
                    .setHeader(ProtoCodec.toProto(identity.replyTo(probeStamp))).build());
          }
          RaftMessage.InstallSnapshot header;
          PeerStamp stamp = ProtoCodec.fromProto(first.getHeader());
          try {
            header = ProtoCodec.headerOf(first);
          } catch (RuntimeException e) {
            identity.rejected("InstallSnapshot", "undecodable header: " + e.getMessage());
            // The rest of the stream is not wanted: cancel it rather than leave it hanging.
            split.second().runWith(Sink.cancelled(), materializer);
            return failed(Status.INVALID_ARGUMENT, "undecodable snapshot header: " + e.getMessage(), e);
          }
          try {
            admitted(header, stamp, true);
          } catch (Refused r) {
            split.second().runWith(Sink.cancelled(), materializer);
            return failed(r.status, r.getMessage(), null);
          }
          // The sender may put the header on a chunk of its own, with no data: skip empty slices.
          Source<byte[], NotUsed> data = Source.single(first.getData().toByteArray())
              .concat(split.second().map(c -> c.getData().toByteArray()))
              .filter(bytes -> bytes.length > 0);
          return call(
              () -> header,
              h -> inbound.onInstallSnapshot(h, first.getFirstChunk(), data),
              response -> ProtoCodec.toProto(expect(RaftMessage.InstallSnapshotResponse.class, response)).toBuilder()
                  .setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
        });
  }

  /** Anyone may ask who this node is: Hello is how nodes find each other before they share a cluster. */
  @Override
  public CompletionStage<HelloResponse> hello(HelloRequest in) {
    PeerStamp stamp = ProtoCodec.fromProto(in.getHeader());
    return call(
        () -> in,
        ignored -> CompletableFuture.completedFuture(inbound.onHello()),
        info -> ProtoCodec.toProto(info).toBuilder().setHeader(ProtoCodec.toProto(identity.replyTo(stamp))).build());
  }

  /**
   * Runs decode, handle, encode, mapping each stage's failure to its status. The encode step runs
   * on the system dispatcher so a slow conversion of a big response never holds the thread that
   * completed the inbound's future (possibly the node's own actor thread).
   */
  private <P, R, A, Q> CompletionStage<Q> call(
      Supplier<P> decode, Function<P, CompletionStage<A>> handle, Function<A, Q> encode) {
    P request;
    try {
      request = decode.get();
    } catch (Refused e) {
      return failed(e.status, e.getMessage(), null);
    } catch (RuntimeException e) {
      return failed(Status.INVALID_ARGUMENT, "undecodable request: " + e.getMessage(), e);
    }
    CompletionStage<A> answer;
    try {
      answer = handle.apply(request);
    } catch (RuntimeException e) {
      return failed(Status.INTERNAL, "node failed the request: " + e, e);
    }
    if (answer == null) return failed(Status.INTERNAL, "node returned no answer", null);
    return answer
        .handleAsync(
            (a, error) -> {
              if (error != null) {
                Throwable cause = unwrap(error);
                throw new GrpcServiceException(
                    Status.INTERNAL.withDescription("node failed the request: " + cause).withCause(cause));
              }
              if (a == null) {
                throw new GrpcServiceException(Status.INTERNAL.withDescription("node returned a null answer"));
              }
              try {
                return encode.apply(a);
              } catch (RuntimeException e) {
                throw new GrpcServiceException(
                    Status.INTERNAL.withDescription("unencodable answer: " + e.getMessage()).withCause(e));
              }
            },
            executor);
  }

  private static <T extends RaftMessage.Response> T expect(Class<T> type, RaftMessage.Response response) {
    if (!type.isInstance(response)) {
      throw new IllegalStateException("expected " + type.getSimpleName() + " but the node answered " + response);
    }
    return type.cast(response);
  }

  private static <Q> CompletionStage<Q> failed(Status status, String description, Throwable cause) {
    Status s = status.withDescription(description);
    if (cause != null) s = s.withCause(cause);
    return CompletableFuture.failedFuture(new GrpcServiceException(s));
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }
}
