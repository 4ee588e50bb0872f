package io.raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftkv.config.DevCerts;
import io.raftkv.config.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The naming rule that ties a certificate to a node id, and the trust built on it. */
class PeerCertificatesTest {
  @TempDir static Path dir;
  static Path certs;

  @BeforeAll
  static void makeCertificates() throws IOException {
    assumeTrue(DevCerts.opensslAvailable(), "openssl is not on PATH: no certificates to test with");
    certs = DevCerts.make(dir.resolve("certs"));
  }

  private static X509Certificate[] chain(String name) {
    return TlsFiles.certificates(certs.resolve(name + ".pem")).toArray(new X509Certificate[0]);
  }

  /** A certificate with common name {@code cn}, signed by the test CA. */
  private static X509Certificate[] signed(String cn) throws IOException {
    Path key = dir.resolve(cn + "-key.pem");
    Path csr = dir.resolve(cn + ".csr");
    Path cert = dir.resolve(cn + ".pem");
    DevCerts.run(List.of("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", key.toString()));
    DevCerts.run(List.of("openssl", "req", "-new", "-key", key.toString(), "-subj", "/CN=" + cn, "-out", csr.toString()));
    DevCerts.run(List.of("openssl", "x509", "-req", "-in", csr.toString(), "-CA", certs.resolve("ca.pem").toString(),
        "-CAkey", certs.resolve("ca-key.pem").toString(), "-CAcreateserial", "-CAserial",
        dir.resolve("ca.srl").toString(), "-days", "1", "-out", cert.toString()));
    return TlsFiles.certificates(cert).toArray(new X509Certificate[0]);
  }

  @Test
  void aNodeCertificateNamesItsNode() throws IOException {
    assertEquals("raftkv-node-42", PeerCertificates.commonName(42));
    assertEquals(2, PeerCertificates.nodeId(chain("node2")[0]));
    assertEquals(0, PeerCertificates.nodeId(chain("client")[0]), "raftkv-client names no node");
    assertEquals(0, PeerCertificates.nodeId(signed("raftkv-node-02")[0]), "one spelling per id");
    assertEquals(0, PeerCertificates.nodeId(signed("raftkv-node-0")[0]), "0 is no node id");
    assertEquals(0, PeerCertificates.nodeId(signed("raftkv-node-")[0]));
    assertEquals(0, PeerCertificates.nodeId(signed("raftkv-node-1x")[0]));
    assertEquals(0, PeerCertificates.nodeId(chain("ca")[0]));
  }

  @Test
  void trustIsNarrowedToTheExpectedNode() {
    X509ExtendedTrustManager ca = TlsFiles.trustManager(certs.resolve("ca.pem"));
    X509ExtendedTrustManager node3 = PeerCertificates.nodesOnly(ca, id -> id == 3, "node 3's certificate");
    X509ExtendedTrustManager anyNode = PeerCertificates.nodesOnly(ca, id -> true, "a node's certificate");
    assertDoesNotThrow(() -> node3.checkServerTrusted(chain("node3"), "ECDHE_ECDSA"));
    CertificateException wrongNode =
        assertThrows(CertificateException.class, () -> node3.checkServerTrusted(chain("node2"), "ECDHE_ECDSA"));
    assertTrue(wrongNode.getMessage().contains("CN=raftkv-node-2 is not node 3's certificate"), wrongNode.getMessage());
    assertDoesNotThrow(() -> anyNode.checkClientTrusted(chain("node2"), "ECDHE_ECDSA"));
    assertThrows(CertificateException.class, () -> anyNode.checkClientTrusted(chain("client"), "ECDHE_ECDSA"));
  }

  @Test
  void aConnectionsCertificateHoldsEveryMessageToItsNode() {
    CallerCertificate node2 = new CallerCertificate(2);
    assertNull(node2.refuses(2));
    assertTrue(node2.refuses(3).contains("certificate is node 2's (raftkv-node-2) but the message claims to come"
        + " from node 3"), node2.refuses(3));
    assertNull(CallerCertificate.NONE.refuses(3), "without TLS there is no certificate to hold messages to");
    PeerIdentity guarded = node2.guard(PeerIdentity.OPEN);
    assertNull(guarded.admitRequest(new PeerStamp(1, 2, 5, 1, 6), 2, 1, false));
    assertTrue(guarded.admitRequest(new PeerStamp(1, 3, 5, 1, 6), 3, 1, false).contains("certificate is node 2's"));
  }
}
