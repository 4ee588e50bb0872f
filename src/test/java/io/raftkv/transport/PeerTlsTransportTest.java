package io.raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.config.ConfigLoader;
import io.raftkv.config.DevCerts;
import io.raftkv.raft.core.RaftMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport over mutual TLS, both directions of the naming rule: a server admits messages
 * only from the node its caller's certificate names, and a client that knows which member lives
 * at an address accepts only that member's certificate there.
 */
class PeerTlsTransportTest {
  @TempDir static Path dir;
  static Path certs;
  static ActorTestKit kit;
  static TestInbound inbound;
  static GrpcServer server;

  @BeforeAll
  static void startNode2() throws Exception {
    assumeTrue(DevCerts.opensslAvailable(), "openssl is not on PATH: no certificates to test with");
    certs = DevCerts.make(dir.resolve("certs"));
    kit = ActorTestKit.create("peer-tls");
    inbound = new TestInbound(2);
    inbound.materializer = org.apache.pekko.stream.Materializer.matFromSystem(kit.system());
    server = GrpcServer.start(kit.system(), inbound, "127.0.0.1", 0, GrpcServer.DEFAULT_PING_INTERVAL,
            GrpcServer.DEFAULT_PING_TIMEOUT, PeerIdentity.OPEN, tls(2))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (kit != null) kit.shutdownTestKit();
  }

  /** Node {@code id}'s peer TLS, as a node config with the dev certificates builds it. */
  static Optional<PeerTls> tls(int id) {
    Map<String, Object> m = Map.of(
        "node_id", id, "raft_addr", "127.0.0.1:1", "http_addr", "127.0.0.1:2", "data_path", dir.resolve("d").toString(),
        "peer_cert_file", certs.resolve("node" + id + ".pem").toString(),
        "peer_key_file", certs.resolve("node" + id + "-key.pem").toString(),
        "peer_trusted_ca_file", certs.resolve("ca.pem").toString());
    return PeerTls.of(ConfigLoader.fromMap(m, "node " + id).tls());
  }

  /** A transport that speaks as node {@code claimed} with node {@code certified}'s certificate. */
  static GrpcTransport transport(long claimed, int certified, Map<Long, String> peers) {
    GrpcTransport t = new GrpcTransport(kit.system(), claimed, peers, GrpcTransport.Settings.defaults().toBuilder()
        // Generous: the first TLS handshake of a JVM loads and compiles a lot on a busy machine,
        // and this test is about certificates, not about noticing a dead peer.
        .raftDeadline(Duration.ofSeconds(15)).keepalive(Duration.ofSeconds(30), Duration.ofSeconds(30))
        .peerTls(tls(certified)).build());
    t.useIdentity(new PeerIdentity() {
      @Override
      public PeerStamp toPeer(long peerId) {
        return new PeerStamp(0, claimed, 0, peerId, 0);
      }

      @Override
      public PeerStamp replyTo(PeerStamp request) {
        return PeerStamp.NONE;
      }

      @Override
      public String admitRequest(PeerStamp stamp, long from, long to, boolean mayLearnCluster) {
        return null;
      }

      @Override
      public String admitResponse(PeerStamp stamp, long from, long to) {
        return null;
      }
    });
    return t;
  }

  @Test
  void aNodeSpeakingAsItselfToTheNodeItExpectsIsAnswered() throws Exception {
    GrpcTransport node1 = transport(1, 1, Map.of(2L, server.address()));
    try {
      var vote = new RaftMessage.RequestVote(1, 2, 5, 10, 4, false);
      assertEquals(TestInbound.answer(vote), node1.send(2, vote).toCompletableFuture().get(30, TimeUnit.SECONDS));
    } finally {
      node1.close();
    }
  }

  @Test
  void aNodeSpeakingAsAnotherIsRefusedByTheServer() throws Exception {
    GrpcTransport impostor = transport(1, 3, Map.of(2L, server.address()));
    try {
      int seen = inbound.requests.size();
      StatusRuntimeException e = statusOf(impostor.send(2, new RaftMessage.RequestVote(1, 2, 5, 10, 4, false)));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.toString());
      assertTrue(e.getStatus().getDescription().contains("certificate is node 3's"), e.getStatus().getDescription());
      assertEquals(seen, inbound.requests.size(), "the node never saw it");
    } finally {
      impostor.close();
    }
  }

  @Test
  void aServerWithAnotherNodesCertificateIsRefusedByTheClient() throws Exception {
    // Node 1 believes node 3 lives at this address, but the server there presents node 2's certificate.
    GrpcTransport node1 = transport(1, 1, Map.of(3L, server.address()));
    try {
      int seen = inbound.requests.size();
      StatusRuntimeException e = statusOf(node1.send(3, new RaftMessage.RequestVote(1, 3, 5, 10, 4, false)));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      assertEquals(seen, inbound.requests.size(), "nothing was sent to the wrong node");
    } finally {
      node1.close();
    }
  }

  private static StatusRuntimeException statusOf(CompletionStage<?> call) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> call.toCompletableFuture().get(30, TimeUnit.SECONDS));
    Throwable t = e.getCause();
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return assertInstanceOf(StatusRuntimeException.class, t);
  }
}
