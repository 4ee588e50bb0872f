package io.raftkv.transport.grpc;

import io.grpc.Status;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.RaftInbound;
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
 * The server side of {@code RaftService} (public only so {@code GrpcServer} can bind it): decodes
 * each request into a core record, hands it to the local node's {@link RaftInbound} and encodes the
 * answer.
 *
 * <p>Nothing the inbound does may take the server down, so every failure becomes a gRPC status:
 * a request that does not decode is INVALID_ARGUMENT (the peer sent something wrong), an inbound
 * that throws, returns null or fails is INTERNAL. INTERNAL rather than UNAVAILABLE on purpose: the
 * client treats UNAVAILABLE as "connection lost" and rebuilds its channel, which would be wasted
 * work when the connection is fine and only the node refused.
 */
public final class RaftServiceImpl implements RaftService {
  private final RaftInbound inbound;
  private final Executor executor;

  private final Materializer materializer;

  public RaftServiceImpl(RaftInbound inbound, Executor executor, Materializer materializer) {
    this.inbound = inbound;
    this.executor = executor;
    this.materializer = materializer;
  }

  @Override
  public CompletionStage<RequestVoteResponse> requestVote(RequestVoteRequest in) {
    return call(
        () -> ProtoCodec.fromProto(in),
        request -> inbound.onRequest(request),
        response -> ProtoCodec.toProto(expect(RaftMessage.RequestVoteResponse.class, response)));
  }

  @Override
  public CompletionStage<AppendEntriesResponse> appendEntries(AppendEntriesRequest in) {
    return call(
        () -> ProtoCodec.fromProto(in),
        request -> inbound.onRequest(request),
        response -> ProtoCodec.toProto(expect(RaftMessage.AppendEntriesResponse.class, response)));
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
        return inbound.onReadIndex().handle((reply, failure) -> failure != null || reply == null
            ? none
            : java.util.Optional.of(AppendStreamMessage.newBuilder()
                .setId(m.getId()).setReadIndexResponse(ProtoCodec.toProto(reply)).build()));
      }
      RaftMessage.AppendEntries request = ProtoCodec.fromProto(m.getRequest());
      return inbound.onRequest(request).handle((response, failure) -> {
        if (failure != null || !(response instanceof RaftMessage.AppendEntriesResponse r)) return none;
        return java.util.Optional.of(
            AppendStreamMessage.newBuilder().setId(m.getId()).setResponse(ProtoCodec.toProto(r)).build());
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
    return call(() -> ProtoCodec.fromProto(in), inbound::onForward, ProtoCodec::toProto);
  }

  @Override
  public CompletionStage<ReadIndexResponse> readIndex(ReadIndexRequest in) {
    return call(() -> in.getFrom(), from -> inbound.onReadIndex(), ProtoCodec::toProto);
  }

  @Override
  public CompletionStage<TimeoutNowResponse> timeoutNow(TimeoutNowRequest in) {
    return call(
        () -> ProtoCodec.fromProto(in),
        request -> inbound.onRequest(request),
        response -> ProtoCodec.toProto(expect(RaftMessage.TimeoutNowResponse.class, response)));
  }

  @Override
  public CompletionStage<AdminResponse> join(JoinRequest in) {
    return call(() -> ProtoCodec.fromProto(in), m -> inbound.onJoin(m, in.getForwarded()), ProtoCodec::toProto);
  }

  @Override
  public CompletionStage<AdminResponse> leave(LeaveRequest in) {
    return call(() -> in.getNodeId(), id -> inbound.onLeave(id, in.getForce(), in.getForwarded()), ProtoCodec::toProto);
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
            // A probe carries no data; nothing more is read from its stream.
            split.second().runWith(Sink.cancelled(), materializer);
            return call(() -> ProtoCodec.probeOf(first), inbound::onSnapshotProbe,
                staged -> ProtoCodec.probeResponse(ProtoCodec.probeOf(first), staged));
          }
          RaftMessage.InstallSnapshot header;
          try {
            header = ProtoCodec.headerOf(first);
          } catch (RuntimeException e) {
            return failed(Status.INVALID_ARGUMENT, "undecodable snapshot header: " + e.getMessage(), e);
          }
          // The sender may put the header on a chunk of its own, with no data: skip empty slices.
          Source<byte[], NotUsed> data = Source.single(first.getData().toByteArray())
              .concat(split.second().map(c -> c.getData().toByteArray()))
              .filter(bytes -> bytes.length > 0);
          return call(
              () -> header,
              h -> inbound.onInstallSnapshot(h, first.getFirstChunk(), data),
              response -> ProtoCodec.toProto(expect(RaftMessage.InstallSnapshotResponse.class, response)));
        });
  }

  @Override
  public CompletionStage<HelloResponse> hello(HelloRequest in) {
    return call(
        () -> in,
        ignored -> CompletableFuture.completedFuture(inbound.onHello()),
        ProtoCodec::toProto);
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
