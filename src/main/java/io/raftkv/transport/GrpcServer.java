package io.raftkv.transport;

import io.raftkv.transport.grpc.RaftServiceHandlerFactory;
import io.raftkv.transport.grpc.RaftServiceImpl;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The gRPC endpoint of one node: serves {@code RaftService} for a {@link RaftInbound} on the
 * node's raft address.
 *
 * <p>HTTP/2 is enabled on this binding only (STACK pitfall 4): switched on globally, the JSON port
 * would also offer h2c and plain HTTP/1.1 clients break on it.
 */
public final class GrpcServer {
  /** How long {@link #unbind()} lets in-flight calls finish before it cuts connections. */
  /** Largest gRPC request body accepted: well above max_bytes_per_append plus one large entry. */
  public static final long MAX_MESSAGE_BYTES = 16L << 20;

  public static final Duration DEFAULT_TERMINATE_DEADLINE = Duration.ofSeconds(2);

  private final ServerBinding binding;

  private GrpcServer(ServerBinding binding) {
    this.binding = binding;
  }

  /**
   * Binds {@code host:port} (port 0 picks a free one, see {@link #port()}). Completes once the
   * socket is bound, or exceptionally when it cannot be (port in use, bad host).
   */
  public static CompletionStage<GrpcServer> start(ActorSystem<?> system, RaftInbound inbound, String host, int port) {
    return start(system, inbound, host, port, PeerIdentity.OPEN);
  }

  /** As {@link #start(ActorSystem, RaftInbound, String, int)}, admitting peer messages by {@code identity}. */
  public static CompletionStage<GrpcServer> start(
      ActorSystem<?> system, RaftInbound inbound, String host, int port, PeerIdentity identity) {
    var handler = RaftServiceHandlerFactory.create(
        new RaftServiceImpl(inbound, system.executionContext(), Materializer.matFromSystem(system), identity),
        undecodableIsInvalid(identity),
        system);
    return Http.get(system)
        .newServerAt(host, port)
        // HTTP/2 on this binding only (STACK pitfall 4). The JSON port's body limit is far below
        // what an AppendEntries batch can carry, so this binding sets its own.
        .adaptSettings(s -> s.withEnableHttp2(true)
            .withParserSettings(s.getParserSettings().withMaxContentLength(MAX_MESSAGE_BYTES)))
        .bind(handler)
        .thenApplyAsync(GrpcServer::new, system.executionContext());
  }

  /**
   * A request body that is not a protobuf message at all (garbage, a truncated frame) fails in
   * the generated handler before any of our code runs. The default mapping answers INTERNAL and
   * logs a stack trace per message, which lets anyone who reaches the port flood the log; it is
   * the peer's mistake, so answer INVALID_ARGUMENT and count it like any other dropped message
   * (logged at most every few seconds).
   */
  private static org.apache.pekko.japi.Function<org.apache.pekko.actor.ActorSystem,
      org.apache.pekko.japi.Function<Throwable, org.apache.pekko.grpc.Trailers>> undecodableIsInvalid(PeerIdentity identity) {
    var fallback = org.apache.pekko.grpc.javadsl.GrpcExceptionHandler.defaultMapper();
    return sys -> error -> {
      Throwable cause = error;
      while ((cause instanceof java.util.concurrent.CompletionException
              || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof com.google.protobuf.InvalidProtocolBufferException) {
        identity.rejected("message", "undecodable request body: " + cause.getMessage());
        return new org.apache.pekko.grpc.Trailers(
            io.grpc.Status.INVALID_ARGUMENT.withDescription("undecodable request: " + cause.getMessage()));
      }
      return fallback.apply(sys).apply(error);
    };
  }

  public ServerBinding binding() {
    return binding;
  }

  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** {@code host:port} as peers dial it. */
  public String address() {
    InetSocketAddress a = binding.localAddress();
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Stops the server within {@link #DEFAULT_TERMINATE_DEADLINE}; see {@link #unbind(Duration)}. */
  public CompletionStage<Done> unbind() {
    return unbind(DEFAULT_TERMINATE_DEADLINE);
  }

  /**
   * Stops accepting connections and closes the open ones, letting in-flight calls finish within
   * {@code deadline}. A plain HTTP unbind would only close the listening socket: peers' existing
   * HTTP/2 connections would keep being served, so a "stopped" node would still answer Raft RPCs.
   * Completes when the port is free again and every connection is closed.
   */
  public CompletionStage<Done> unbind(Duration deadline) {
    return binding.terminate(deadline).thenApply(terminated -> Done.getInstance());
  }
}
