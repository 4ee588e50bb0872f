package io.raftkv.transport;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.raftkv.config.TlsConfig;
import io.raftkv.config.TlsFiles;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.SslSessionInfo;

/**
 * Mutual TLS between peers: this node's certificate and key, and the cluster's CA, read once at
 * start. Both ends present a certificate, both check the other's against the CA, and both hold it
 * to {@link PeerCertificates}' naming rule: the server admits any node's certificate at the
 * handshake and then each message only as the node it names ({@link CallerCertificate}); the
 * client, where it knows which node it dialed, accepts only that node's certificate.
 */
public final class PeerTls {
  private final List<X509Certificate> chain;
  private final PrivateKey key;
  private final X509ExtendedTrustManager ca;
  private final SSLContext serverContext;

  private PeerTls(TlsConfig tls) {
    this.chain = TlsFiles.certificates(tls.peerCertFile());
    this.key = TlsFiles.privateKey(tls.peerKeyFile());
    this.ca = TlsFiles.trustManager(tls.peerTrustedCaFile());
    KeyManager[] keys = TlsFiles.keyManagers(tls.peerCertFile(), tls.peerKeyFile());
    TrustManager nodes = PeerCertificates.nodesOnly(ca, id -> true, "a raftkv node's certificate");
    try {
      this.serverContext = SSLContext.getInstance("TLS");
      serverContext.init(keys, new TrustManager[] {nodes}, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS for peers: " + e.getMessage(), e);
    }
  }

  /** The peer TLS {@code tls} configures, or empty when peers talk plaintext. */
  public static Optional<PeerTls> of(TlsConfig tls) {
    return tls.peerTls() ? Optional.of(new PeerTls(tls)) : Optional.empty();
  }

  /** The Raft port's TLS: a certificate from the cluster's CA that names a node is required. */
  HttpsConnectionContext serverContext() {
    return ConnectionContext.httpsServer(() -> {
      SSLEngine engine = serverContext.createSSLEngine();
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(true);
      return engine;
    });
  }

  /**
   * The client side of a channel to node {@code expectedId}, or to any node when 0 (an address
   * that belongs to no known member yet, as when a joining node first asks who is there).
   */
  SslContext clientContext(long expectedId) {
    String expected = expectedId == 0 ? "a raftkv node's certificate"
        : "node " + expectedId + "'s certificate (" + PeerCertificates.commonName(expectedId) + ")";
    X509ExtendedTrustManager trust =
        PeerCertificates.nodesOnly(ca, id -> expectedId == 0 || id == expectedId, expected);
    try {
      return GrpcSslContexts.forClient()
          .keyManager(key, chain.toArray(new X509Certificate[0]))
          .trustManager(trust)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS towards peers: " + e.getMessage(), e);
    }
  }

  /**
   * The node id the caller's certificate names, from the TLS session of the connection {@code
   * request} came on, or 0 when there is none (the binding must ask for the session attribute).
   */
  static long callerNodeId(HttpRequest request) {
    Optional<SslSessionInfo> info = request.getAttribute(AttributeKeys.sslSession);
    if (info.isEmpty()) return 0;
    SSLSession session = info.get().getSession();
    try {
      Certificate[] certs = session.getPeerCertificates();
      return certs.length > 0 && certs[0] instanceof X509Certificate x ? PeerCertificates.nodeId(x) : 0;
    } catch (SSLPeerUnverifiedException e) {
      return 0;
    }
  }
}
