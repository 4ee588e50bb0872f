package io.raftkv.transport;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.raftkv.config.HostPort;
import io.raftkv.config.NodeConfig;
import io.raftkv.transport.grpc.RaftServiceClient;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.lang.reflect.Field;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the gRPC client for one peer address: HTTP/2 (plaintext, or mutual TLS with {@link
 * PeerTls}), a deadline per method
 * ({@link CallDeadlines}), messages up to {@link NodeConfig#GRPC_MAX_MESSAGE_BYTES}, and
 * keepalive.
 *
 * <p>Keepalive: after {@code keepaliveInterval} without hearing anything from the peer, the
 * client sends an HTTP/2 PING, and closes the connection if no answer comes within
 * {@code keepaliveTimeout}. Every call on it then fails with UNAVAILABLE, which the transport
 * treats as a lost connection and re-dials. Without it, a peer that vanished silently (power
 * loss, a dropped route) keeps its connection open until TCP gives up, which takes minutes,
 * and every message sent meanwhile waits for its deadline. Pings go out even with no call in
 * flight, so an idle channel is known dead before it is needed.
 */
final class PeerClients {
  private static final Logger log = LoggerFactory.getLogger(PeerClients.class);

  private final ActorSystem<?> system;
  private final GrpcTransport.Settings settings;

  PeerClients(ActorSystem<?> system, GrpcTransport.Settings settings) {
    this.system = system;
    this.settings = settings;
    if (!settings.dialOverrides().isEmpty()) {
      log.warn("test-only dial overrides active: {}", settings.dialOverrides());
    }
  }

  /**
   * A client for the peer at {@code addr}. With peer TLS, the server must present node {@code
   * expectedId}'s certificate, or any node's when {@code expectedId} is 0 (not a known member).
   */
  RaftServiceClient create(String addr, long expectedId) {
    // A member's address must be one a channel can dial: port 0 binds but never connects.
    HostPort advertised = HostPort.parse(addr).requireConnectable();
    // A test may route this peer through a proxy; everything else keeps the advertised address.
    HostPort hp = settings.dialOverrides().getOrDefault(advertised, advertised);
    Optional<SslContext> tls = settings.peerTls().map(t -> t.clientContext(expectedId));
    GrpcClientSettings clientSettings =
        GrpcClientSettings.connectToServiceAt(hp.host(), hp.port(), system)
            // Plaintext HTTP/2 unless peers talk mutual TLS; the client default is TLS.
            .withTls(tls.isPresent())
            .withChannelBuilderOverrides(b -> {
              tls.ifPresent(b::sslContext);
              return configure(b);
            });
    return RaftServiceClient.create(clientSettings, system);
  }

  private NettyChannelBuilder configure(NettyChannelBuilder builder) {
    long interval = settings.keepaliveInterval().toNanos();
    builder
        .intercept(new CallDeadlines(settings))
        // Responses are small, but the limit is the cluster's one message limit, both ways.
        .maxInboundMessageSize(NodeConfig.GRPC_MAX_MESSAGE_BYTES)
        .keepAliveTime(interval, TimeUnit.NANOSECONDS)
        .keepAliveTimeout(settings.keepaliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveWithoutCalls(true);
    allowShortKeepalive(builder, interval);
    return builder;
  }

  /**
   * grpc-java raises any keepalive interval below 10 s to 10 s, to spare servers that police
   * ping floods (a grpc-java server's default is to allow one every 5 minutes). Our peers are
   * Pekko HTTP servers, which answer pings at any rate, and a dead peer should be noticed within
   * the configured seconds, so the configured interval is put back where the builder keeps it.
   * If a later grpc-java moves that field, the 10 s floor applies and a warning says so.
   */
  private static void allowShortKeepalive(NettyChannelBuilder builder, long intervalNanos) {
    if (intervalNanos >= TimeUnit.SECONDS.toNanos(10)) return;
    try {
      Field f = NettyChannelBuilder.class.getDeclaredField("keepAliveTimeNanos");
      f.setAccessible(true);
      f.setLong(builder, intervalNanos);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("cannot set a keepalive interval below 10 s on this grpc-java ({}); peers are pinged every 10 s", e.toString());
    }
  }
}
