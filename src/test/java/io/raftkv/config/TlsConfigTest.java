package io.raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS keys: which go together, and that every file they name is read and checked at load. */
class TlsConfigTest {
  @TempDir Path dir;

  private static final String MINIMAL =
      "node_id = 7\n"
          + "raft_addr = \"127.0.0.1:7007\"\n"
          + "http_addr = \"127.0.0.1:8007\"\n"
          + "data_path = \"/tmp/raftkv-test/node7\"\n";

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  private static NodeConfig load(Path p) {
    return ConfigLoader.load(p, new Properties());
  }

  private static String fails(Path p) {
    ConfigException e = assertThrows(ConfigException.class, () -> load(p));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  private static String line(String key, Object value) {
    return key + " = \"" + value + "\"\n";
  }

  private Path certs() throws IOException {
    assumeTrue(DevCerts.opensslAvailable(), "openssl is not on PATH: no certificates to test with");
    return DevCerts.make(dir.resolve("certs"));
  }

  @Test
  void plaintextIsTheDefault() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL));
    assertEquals(TlsConfig.NONE, c.tls());
    assertFalse(c.tls().httpTls());
    assertFalse(c.tls().peerTls());
    assertFalse(c.describe().contains("tls:"), c.describe());
    assertTrue(c.plaintextWarning().isEmpty(), "loopback needs no warning");
  }

  @Test
  void listeningBeyondLoopbackWithoutTlsIsWarnedAboutInOneLine() throws IOException {
    NodeConfig c = load(write("n.toml", MINIMAL.replace("127.0.0.1:8007", "0.0.0.0:8007")));
    String warning = c.plaintextWarning().orElseThrow();
    assertTrue(warning.contains("HTTP on 0.0.0.0:8007") && !warning.contains("Raft"), warning);
    assertFalse(warning.contains("\n"));
    NodeConfig both = load(write("m.toml", MINIMAL.replace("127.0.0.1:8007", "10.1.2.3:8007")
        .replace("127.0.0.1:7007", "10.1.2.3:7007")));
    String w = both.plaintextWarning().orElseThrow();
    assertTrue(w.contains("HTTP on 10.1.2.3:8007") && w.contains("Raft on 10.1.2.3:7007"), w);
  }

  @Test
  void certAndKeyGoTogether() throws IOException {
    Path p = write("n.toml", MINIMAL + line("cert_file", "/x/node.pem"));
    assertEquals(p + ": key 'cert_file': cert_file and key_file must be set together; key_file is missing", fails(p));
    Path q = write("m.toml", MINIMAL + line("key_file", "/x/node-key.pem"));
    assertEquals(q + ": key 'key_file': cert_file and key_file must be set together; cert_file is missing", fails(q));
  }

  @Test
  void clientCertAuthNeedsTheClientCa() throws IOException {
    Path p = write("n.toml", MINIMAL + line("cert_file", "/x/a.pem") + line("key_file", "/x/b.pem")
        + "client_cert_auth = true\n");
    assertTrue(fails(p).startsWith(p + ": key 'client_cert_auth': client_cert_auth = true needs trusted_ca_file"),
        fails(p));
    Path q = write("m.toml", MINIMAL + line("trusted_ca_file", "/x/ca.pem"));
    assertTrue(fails(q).startsWith(q + ": key 'trusted_ca_file': trusted_ca_file checks client certificates"), fails(q));
  }

  @Test
  void peerKeysGoTogether() throws IOException {
    Path p = write("n.toml", MINIMAL + line("peer_cert_file", "/x/a.pem") + line("peer_trusted_ca_file", "/x/ca.pem"));
    assertEquals(p + ": key 'peer_cert_file': peer_cert_file, peer_key_file and peer_trusted_ca_file must be set"
        + " together; peer_key_file is missing", fails(p));
  }

  @Test
  void aMissingFileIsNamedByItsKey() throws IOException {
    Path missing = dir.resolve("none.pem");
    Path p = write("n.toml", MINIMAL + line("cert_file", missing) + line("key_file", missing));
    assertEquals(p + ": key 'cert_file': cannot read " + missing + ": no such file", fails(p));
  }

  @Test
  void aBadPemIsNamedByItsKey() throws IOException {
    Path garbage = write("garbage.pem", "not a certificate, not even ASCII: \u00e9\u2713\n");
    Path p = write("n.toml", MINIMAL + line("cert_file", garbage) + line("key_file", garbage));
    assertEquals(p + ": key 'cert_file': " + garbage + " is not a PEM file (no -----BEGIN ...----- block)", fails(p));
    Path broken = write("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    Path q = write("m.toml", MINIMAL + line("peer_cert_file", broken) + line("peer_key_file", broken)
        + line("peer_trusted_ca_file", broken));
    assertTrue(fails(q).startsWith(q + ": key 'peer_cert_file': " + broken + " holds a CERTIFICATE block that does not"
        + " parse"), fails(q));
  }

  @Test
  void aKeyFileWithoutAKeyOrWithAnotherCertificatesKeyIsRefused() throws IOException {
    Path certs = certs();
    Path node1 = certs.resolve("node1.pem");
    Path p = write("n.toml", MINIMAL + line("cert_file", node1) + line("key_file", node1));
    assertEquals(p + ": key 'key_file': " + node1 + " holds no PEM PRIVATE KEY block", fails(p));
    Path otherKey = certs.resolve("node2-key.pem");
    Path q = write("m.toml", MINIMAL + line("cert_file", node1) + line("key_file", otherKey));
    assertEquals(q + ": key 'key_file': " + otherKey + " is not the private key of the certificate in " + node1,
        fails(q));
  }

  @Test
  void aCompleteTlsConfigLoads() throws IOException {
    Path certs = certs();
    Path p = write("n.toml", MINIMAL.replace("127.0.0.1:8007", "0.0.0.0:8007")
        + line("cert_file", certs.resolve("node1.pem")) + line("key_file", certs.resolve("node1-key.pem"))
        + line("trusted_ca_file", certs.resolve("ca.pem")) + "client_cert_auth = true\n"
        + line("peer_cert_file", certs.resolve("node1.pem")) + line("peer_key_file", certs.resolve("node1-key.pem"))
        + line("peer_trusted_ca_file", certs.resolve("ca.pem")));
    NodeConfig c = load(p);
    assertTrue(c.tls().httpTls() && c.tls().peerTls() && c.tls().clientCertAuth());
    assertEquals(certs.resolve("ca.pem"), c.tls().peerTrustedCaFile());
    assertTrue(c.describe().endsWith("  tls: http TLS, client certificates required, peers mutual TLS"), c.describe());
    assertTrue(c.plaintextWarning().isEmpty(), "TLS on both ports needs no warning");
  }

  @Test
  void tlsKeysCanBeSetAsSystemProperties() throws IOException {
    Path p = write("n.toml", MINIMAL);
    Properties props = new Properties();
    props.setProperty("raftkv.cert_file", "/x/a.pem");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, props));
    assertTrue(e.getMessage().contains("(system property raftkv.cert_file): key 'cert_file'"), e.getMessage());
  }

  @Test
  void pkcs1RsaKeysAsOlderOpensslWritesThemAreRead() throws IOException {
    assumeTrue(DevCerts.opensslAvailable(), "openssl is not on PATH");
    Path key = dir.resolve("rsa-key.pem");
    Path cert = dir.resolve("rsa.pem");
    DevCerts.run(List.of("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048"));
    DevCerts.run(List.of("openssl", "req", "-x509", "-new", "-key", key.toString(), "-subj", "/CN=rsa", "-days", "1",
        "-out", cert.toString()));
    assertTrue(Files.readString(key).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    var k = TlsFiles.privateKey(key);
    assertEquals("RSA", k.getAlgorithm());
    TlsFiles.requirePair(k, TlsFiles.certificates(cert).get(0), key, cert);
    assertNotNull(TlsFiles.serverContext(cert, key, null));
  }
}
