package io.raftkv.transport;

import io.raftkv.config.NodeConfig;
import io.raftkv.transport.grpc.RaftService;
import io.raftkv.transport.grpc.RaftServiceHandlerFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.japi.function.Function;

/**
 * The gRPC endpoint of one node: serves {@code RaftService} for a {@link RaftInbound} on the
 * node's raft address.
 *
 * <p>HTTP/2 is enabled on this binding only: switched on globally, the JSON port
 * would also offer h2c and plain HTTP/1.1 clients break on it.
 */
public final class GrpcServer {
  /** How long {@link #unbind()} lets in-flight calls finish before it cuts connections. */
  public static final Duration DEFAULT_TERMINATE_DEADLINE = Duration.ofSeconds(2);

  /** Keepalive pings as configured by default (peer_keepalive_interval_ms, _timeout_ms). */
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(2);
  public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(2);

  private final ServerBinding binding;

  private GrpcServer(ServerBinding binding) {
    this.binding = binding;
  }

  /**
   * Binds {@code host:port} (port 0 picks a free one, see {@link #port()}). Completes once the
   * socket is bound, or exceptionally when it cannot be (port in use, bad host).
   */
  public static CompletionStage<GrpcServer> start(ActorSystem<?> system, RaftInbound inbound, String host, int port) {
    return start(system, inbound, host, port, DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT, PeerIdentity.OPEN);
  }

  /** As {@link #start(ActorSystem, RaftInbound, String, int)}, admitting peer messages by {@code identity}. */
  public static CompletionStage<GrpcServer> start(
      ActorSystem<?> system, RaftInbound inbound, String host, int port, PeerIdentity identity) {
    return start(system, inbound, host, port, DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT, identity);
  }

  /** As {@link #start(ActorSystem, RaftInbound, String, int)}, with the keepalive settings below. */
  public static CompletionStage<GrpcServer> start(
      ActorSystem<?> system, RaftInbound inbound, String host, int port, Duration pingInterval, Duration pingTimeout) {
    return start(system, inbound, host, port, pingInterval, pingTimeout, PeerIdentity.OPEN);
  }

  /**
   * Binds with keepalive, admitting peer messages by {@code identity}: a connection that carries
   * an open call (a peer stream, a snapshot transfer) but no data for {@code pingInterval} is
   * pinged, and closed when the ping goes unanswered for {@code pingTimeout}, so a peer that
   * vanished does not hold its calls open here until TCP gives up. Peers' own pings are answered
   * whatever their rate: Pekko HTTP polices no pings.
   */
  public static CompletionStage<GrpcServer> start(
      ActorSystem<?> system, RaftInbound inbound, String host, int port, Duration pingInterval, Duration pingTimeout,
      PeerIdentity identity) {
    return start(system, inbound, host, port, pingInterval, pingTimeout, identity, Optional.empty());
  }

  /**
   * As above, speaking mutual TLS when {@code tls} is present: a caller must present a node
   * certificate from the cluster's CA, and each of its messages is admitted only as the node
   * that certificate names.
   */
  public static CompletionStage<GrpcServer> start(
      ActorSystem<?> system, RaftInbound inbound, String host, int port, Duration pingInterval, Duration pingTimeout,
      PeerIdentity identity, Optional<PeerTls> tls) {
    Materializer mat = Materializer.matFromSystem(system);
    var errors = undecodableIsInvalid(identity);
    Function<HttpRequest, CompletionStage<HttpResponse>> service;
    if (tls.isEmpty()) {
      service = RaftServiceHandlerFactory.create(
          new RaftServiceImpl(inbound, system.executionContext(), mat, identity), errors, system);
    } else {
      // The caller is known per connection, so each call gets a service that holds its messages
      // to the caller's certificate. Building one is a few allocations; the handshake already
      // refused every certificate that names no node.
      service = request -> {
        long caller = PeerTls.callerNodeId(request);
        if (caller == 0) {
          identity.rejected("call", "no node certificate on the connection");
          return CompletableFuture.completedFuture(HttpResponse.create().withStatus(StatusCodes.FORBIDDEN));
        }
        var impl = new RaftServiceImpl(inbound, system.executionContext(), mat, identity, new CallerCertificate(caller));
        return RaftServiceHandlerFactory.partial(impl, RaftService.name, mat, errors, system).apply(request);
      };
    }
    // Every message of every call, unary or streamed, is held to the cluster's message limit.
    Function<HttpRequest, CompletionStage<HttpResponse>> handler = request -> service.apply(request.withEntity(
        HttpEntities.create(request.entity().getContentType(),
            request.entity().getDataBytes().via(GrpcMessageLimit.flow(NodeConfig.GRPC_MAX_MESSAGE_BYTES)))));
    Duration timeout = serverPingTimeout(pingInterval, pingTimeout);
    var server = Http.get(system)
        .newServerAt(host, port)
        // HTTP/2 on this binding only. The JSON port's body limit is far below
        // what an AppendEntries batch can carry, so this binding sets the peer message limit.
        .adaptSettings(s -> s.withEnableHttp2(true)
            .withParserSettings(s.getParserSettings().withMaxContentLength(NodeConfig.GRPC_MAX_MESSAGE_BYTES)
                .withIncludeSslSessionAttribute(tls.isPresent()))
            .withHttp2Settings(s.getHttp2Settings().withPingInterval(pingInterval).withPingTimeout(timeout)));
    if (tls.isPresent()) server = server.enableHttps(tls.get().serverContext());
    return server.bind(handler).thenApplyAsync(GrpcServer::new, system.executionContext());
  }

  /**
   * Pekko HTTP wants the ping timeout to divide the ping interval evenly (it checks for an
   * answer on the interval's ticks): the largest such timeout, in whole milliseconds, that is
   * no longer than the one asked for.
   */
  static Duration serverPingTimeout(Duration interval, Duration wanted) {
    long intervalMs = Math.max(1, interval.toMillis());
    long t = Math.max(1, Math.min(wanted.toMillis(), intervalMs));
    while (intervalMs % t != 0) t--;
    return Duration.ofMillis(t);
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
