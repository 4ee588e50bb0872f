package io.raftkv.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a node finds its TLS material, with etcd's key names. A null path means the key is not
 * set; with no HTTP pair both ports stay plaintext, which is the default.
 *
 * <p>The constructor checks which keys must go together; {@link ConfigLoader} then reads every
 * file once ({@link TlsFiles}), so a node never starts with a certificate it cannot use.
 *
 * @param certFile the HTTP port's certificate chain ({@code cert_file})
 * @param keyFile the private key of {@code certFile} ({@code key_file})
 * @param trustedCaFile the CA that signs client certificates ({@code trusted_ca_file})
 * @param clientCertAuth clients must present a certificate signed by {@code trustedCaFile}
 *     ({@code client_cert_auth})
 * @param peerCertFile this node's certificate towards peers, common name raftkv-node-&lt;id&gt;
 *     ({@code peer_cert_file})
 * @param peerKeyFile the private key of {@code peerCertFile} ({@code peer_key_file})
 * @param peerTrustedCaFile the cluster's CA, which signs every node's certificate ({@code
 *     peer_trusted_ca_file})
 */
public record TlsConfig(
    Path certFile,
    Path keyFile,
    Path trustedCaFile,
    boolean clientCertAuth,
    Path peerCertFile,
    Path peerKeyFile,
    Path peerTrustedCaFile) {

  /** Plaintext on both ports. */
  public static final TlsConfig NONE = new TlsConfig(null, null, null, false, null, null, null);

  public TlsConfig {
    if ((certFile == null) != (keyFile == null)) {
      String missing = certFile == null ? "cert_file" : "key_file";
      throw new InvalidSettingException(List.of(missing, certFile == null ? "key_file" : "cert_file"),
          "cert_file and key_file must be set together; " + missing + " is missing");
    }
    if (trustedCaFile != null && certFile == null) {
      // A CA for client certificates only means something on a TLS port.
      throw new InvalidSettingException(List.of("trusted_ca_file", "cert_file"),
          "trusted_ca_file checks client certificates on the HTTPS port; set cert_file and key_file too");
    }
    if (clientCertAuth && trustedCaFile == null) {
      throw new InvalidSettingException(List.of("client_cert_auth", "trusted_ca_file"),
          "client_cert_auth = true needs trusted_ca_file, the CA that signs client certificates");
    }
    int peerKeys = (peerCertFile == null ? 0 : 1) + (peerKeyFile == null ? 0 : 1) + (peerTrustedCaFile == null ? 0 : 1);
    if (peerKeys != 0 && peerKeys != 3) {
      // Mutual TLS needs all three: a node that could not check its peers, or not be checked
      // by them, would only look secure.
      String missing = peerCertFile == null ? "peer_cert_file" : peerKeyFile == null ? "peer_key_file" : "peer_trusted_ca_file";
      // The key that is missing has only its empty default; the error is reported against one
      // the node file set.
      throw new InvalidSettingException(List.of(missing, "peer_cert_file", "peer_key_file", "peer_trusted_ca_file"),
          "peer_cert_file, peer_key_file and peer_trusted_ca_file must be set together; " + missing + " is missing");
    }
  }

  /** The HTTP port speaks TLS. */
  public boolean httpTls() {
    return certFile != null;
  }

  /** Peers talk mutual TLS. */
  public boolean peerTls() {
    return peerCertFile != null;
  }

  /** One line for the start-up banner. */
  String describe() {
    String http = !httpTls() ? "plaintext" : clientCertAuth ? "TLS, client certificates required" : "TLS";
    String peers = peerTls() ? "mutual TLS" : "plaintext";
    return "  tls: http " + http + ", peers " + peers;
  }
}
