package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.raftkv.config.DevCerts;
import io.raftkv.config.TlsFiles;
import io.raftkv.transport.grpc.HelloRequest;
import io.raftkv.transport.grpc.HelloResponse;
import io.raftkv.transport.grpc.JoinRequest;
import io.raftkv.transport.grpc.PeerHeader;
import io.raftkv.transport.grpc.RaftServiceClient;
import io.raftkv.transport.grpc.RequestVoteRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster with TLS on both ports, its certificates made by scripts/dev-certs.sh:
 * clients reach the key-value API over HTTPS with the CA (and their certificate, which
 * client_cert_auth demands), and nothing without the right certificate gets in. On the Raft port
 * a certificate must come from the cluster's CA and name a node, and a node may speak only as
 * the node its certificate names.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsClusterTest {
  @TempDir static Path dir;
  static Path certs;
  static Path otherCa;
  static TestCluster cluster;
  static ActorSystem<Void> rogue;

  @BeforeAll
  static void startCluster() throws Exception {
    assumeTrue(DevCerts.opensslAvailable(), "openssl is not on PATH: scripts/dev-certs.sh cannot make the test's certificates");
    certs = DevCerts.make(dir.resolve("certs"), 4);
    otherCa = DevCerts.make(dir.resolve("other-ca"));
    Map<String, Object> shared = new HashMap<>();
    shared.put("trusted_ca_file", certs.resolve("ca.pem").toString());
    shared.put("client_cert_auth", true);
    shared.put("peer_trusted_ca_file", certs.resolve("ca.pem").toString());
    // Nodes 1..3 found the cluster; node 4 joins it in the last test.
    cluster = new TestCluster(dir.resolve("data"), 4, 3, shared);
    for (int id = 1; id <= 4; id++) {
      cluster.nodeSettings(id, Map.of(
          "cert_file", cert("node" + id).toString(),
          "key_file", key("node" + id).toString(),
          "peer_cert_file", cert("node" + id).toString(),
          "peer_key_file", key("node" + id).toString()));
    }
    cluster.useHttps(clientTls(cert("client"), key("client")));
    rogue = ActorSystem.create(Behaviors.empty(), "tls-test-rogue");
    cluster.startAll();
    cluster.awaitLeader();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
    if (rogue != null) {
      rogue.terminate();
      rogue.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theKeyValueApiWorksOverHttpsOnEveryNode() throws Exception {
    int leader = cluster.awaitLeader();
    int follower = leader % 3 + 1;
    cluster.setEventually(leader, "tls-a", "1");
    // A follower forwards the write to the leader over mutual TLS.
    cluster.setEventually(follower, "tls-b", "2");
    for (int id = 1; id <= 3; id++) {
      assertEquals("1", cluster.read(id, "tls-a"));
      assertEquals("2", cluster.read(id, "tls-b"));
    }
  }

  @Test
  void theLimitsHoldOverHttpsToo() throws Exception {
    String big = "x".repeat(2 << 20);
    TestCluster.Response r = cluster.post(1, "/set", "{\"key\":\"big\",\"value\":\"" + big + "\"}");
    assertEquals(413, r.status(), r.body());
    // The connection that was refused a body still serves the next request.
    assertEquals(200, cluster.get(1, "/health").status());
  }

  @Test
  void plainHttpToTheHttpsPortIsNotServed() throws Exception {
    int port = cluster.httpPort(1);
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    assertThrows(IOException.class, () -> plain.send(req, HttpResponse.BodyHandlers.ofString()));
    // Whatever comes back on the socket, it is no HTTP answer.
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] got = readSome(s.getInputStream());
      assertFalse(new String(got, StandardCharsets.ISO_8859_1).startsWith("HTTP/"), "plain HTTP was answered");
    }
  }

  @Test
  void clientCertAuthRefusesAClientWithoutACertificateOrFromAnotherCa() throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + cluster.httpPort(1) + "/health"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    HttpClient noCert = HttpClient.newBuilder().sslContext(clientTls(null, null)).build();
    assertThrows(IOException.class, () -> noCert.send(req, HttpResponse.BodyHandlers.ofString()));
    HttpClient foreign = HttpClient.newBuilder()
        .sslContext(clientTls(otherCa.resolve("client.pem"), otherCa.resolve("client-key.pem"))).build();
    assertThrows(IOException.class, () -> foreign.send(req, HttpResponse.BodyHandlers.ofString()));
    // The same request with the CA's client certificate is served.
    assertEquals(200, cluster.get(1, "/health").status());
  }

  @Test
  void onlyANodeCertificateFromTheClusterCaSpeaksRaftAndOnlyAsItsNode() throws Exception {
    int leader = cluster.awaitLeader();
    long term = cluster.server(leader).status().currentTerm();
    int target = leader;
    int impostor = leader % 3 + 1;
    int victim = impostor % 3 + 1;
    SslContext impostorTls = peerTls(cert("node" + impostor), key("node" + impostor));

    // A node certificate from the cluster's CA connects: Hello is answered, with what the
    // forged messages below need to look real.
    HelloResponse self = call(target, impostorTls, c -> c.hello(HelloRequest.getDefaultInstance()));
    HelloResponse other = call(victim, peerTls(cert("node" + victim), key("node" + victim)),
        c -> c.hello(HelloRequest.getDefaultInstance()));
    assertEquals(target, self.getNodeId());

    // A vote request the target would grant (a much later term, from a member, with the right
    // cluster and incarnations) is refused because the certificate is another node's.
    PeerHeader forged = PeerHeader.newBuilder()
        .setClusterId(self.getClusterId())
        .setFromId(victim).setFromIncarnation(other.getIncarnation())
        .setToId(target).setToIncarnation(self.getIncarnation())
        .build();
    RequestVoteRequest vote = RequestVoteRequest.newBuilder()
        .setFrom(victim).setTo(target).setTerm(term + 100).setLastLogIndex(1_000_000).setLastLogTerm(term + 99)
        .setHeader(forged).build();
    StatusRuntimeException refused = failure(target, impostorTls, c -> c.requestVote(vote));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), refused.toString());
    assertTrue(refused.getStatus().getDescription().contains("certificate is node " + impostor + "'s"),
        refused.getStatus().getDescription());

    // Nor can that certificate ask to join as a node it is not.
    JoinRequest join = JoinRequest.newBuilder().setNodeId(7).setRaftAddr("127.0.0.1:1").setHttpAddr("127.0.0.1:2")
        .build();
    StatusRuntimeException joinRefused = failure(target, impostorTls, c -> c.join(join));
    assertEquals(Status.Code.PERMISSION_DENIED, joinRefused.getStatus().getCode(), joinRefused.toString());
    assertTrue(joinRefused.getStatus().getDescription().contains("certificate is node " + impostor + "'s"),
        joinRefused.getStatus().getDescription());

    // No TLS connection is made at all with a client certificate of the same CA (it names no
    // node), with a node certificate of another CA, with no certificate, or in plaintext.
    HelloRequest hello = HelloRequest.getDefaultInstance();
    assertUnavailable(failure(target, peerTls(cert("client"), key("client")), c -> c.hello(hello)));
    assertUnavailable(failure(target, peerTls(otherCa.resolve("node1.pem"), otherCa.resolve("node1-key.pem")),
        c -> c.hello(hello)));
    assertUnavailable(failure(target, peerTls(null, null), c -> c.hello(hello)));
    assertUnavailable(failure(target, null, c -> c.hello(hello)));

    // The cluster never noticed: same leader, same term, still serving.
    assertEquals(leader, cluster.awaitLeader());
    for (int id = 1; id <= 3; id++) assertEquals(term, cluster.server(id).status().currentTerm(), "term of " + id);
    cluster.setEventually(leader, "after-rogues", "ok");
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void aNewNodeJoinsOverMutualTls() throws Exception {
    cluster.start(4); // its join list names node 1; the leader checks it with a Hello over TLS
    TestCluster.await("node 4 a voter everywhere", Duration.ofSeconds(60), () -> {
      for (int id = 1; id <= 4; id++) if (cluster.server(id).membership().voters().size() != 4) return false;
      return true;
    });
    cluster.setEventually(cluster.awaitLeader(), "after-join", "4");
    assertEquals("4", cluster.read(4, "after-join"));
  }

  // ---- helpers ----

  private static void assertUnavailable(StatusRuntimeException e) {
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }

  /** The answer of one call to node {@code id}'s Raft port over {@code tls} (plaintext when null). */
  private static <T> T call(int id, SslContext tls, Function<RaftServiceClient, CompletionStage<T>> f)
      throws Exception {
    RaftServiceClient client = client(id, tls);
    try {
      return f.apply(client).toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      client.close();
    }
  }

  private static <T> StatusRuntimeException failure(int id, SslContext tls,
      Function<RaftServiceClient, CompletionStage<T>> f) throws Exception {
    try {
      T answer = call(id, tls, f);
      return fail("the call was answered: " + answer);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) return s;
      throw e;
    }
  }

  private static RaftServiceClient client(int id, SslContext tls) {
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", cluster.raftPort(id), rogue)
        .withTls(tls != null)
        .withDeadline(Duration.ofSeconds(5))
        .withChannelBuilderOverrides(b -> tls == null ? b : b.sslContext(tls));
    return RaftServiceClient.create(settings, rogue);
  }

  /** A gRPC client's TLS that trusts the cluster's CA and presents {@code cert} (none when null). */
  private static SslContext peerTls(Path cert, Path key) throws IOException {
    var b = GrpcSslContexts.forClient().trustManager(certs.resolve("ca.pem").toFile());
    if (cert != null) b.keyManager(cert.toFile(), key.toFile());
    return b.build();
  }

  /** An HTTPS client's TLS that trusts the cluster's CA and presents {@code cert} (none when null). */
  private static SSLContext clientTls(Path cert, Path key) throws Exception {
    KeyManager[] keys = cert == null ? null : TlsFiles.keyManagers(cert, key);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(keys, new TrustManager[] {TlsFiles.trustManager(certs.resolve("ca.pem"))}, null);
    return c;
  }

  private static Path cert(String name) {
    return certs.resolve(name + ".pem");
  }

  private static Path key(String name) {
    return certs.resolve(name + "-key.pem");
  }

  private static byte[] readSome(InputStream in) throws IOException {
    try {
      return in.readNBytes(5);
    } catch (IOException e) {
      return new byte[0]; // reset by the server: not served either
    }
  }
}
