package io.raftkv.transport;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.LongPredicate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The rule that ties a peer's certificate to its node id: a node's certificate carries the
 * common name {@code raftkv-node-<id>}. Mutual TLS alone proves only that the cluster's CA signed
 * a certificate; this rule is what keeps a client certificate signed by the same CA from speaking
 * Raft, and node 2's certificate from speaking as node 3.
 */
public final class PeerCertificates {
  /** The common name of node {@code id}'s certificate is this prefix followed by the id. */
  public static final String COMMON_NAME_PREFIX = "raftkv-node-";

  private PeerCertificates() {}

  /** The common name node {@code nodeId}'s certificate must carry. */
  public static String commonName(long nodeId) {
    return COMMON_NAME_PREFIX + nodeId;
  }

  /** The node id the certificate's common name gives, or 0 when it names no node. */
  public static long nodeId(X509Certificate cert) {
    String cn = commonNameOf(cert);
    if (cn == null || !cn.startsWith(COMMON_NAME_PREFIX)) return 0;
    String digits = cn.substring(COMMON_NAME_PREFIX.length());
    if (digits.isEmpty() || digits.length() > 19 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return 0;
    try {
      long id = Long.parseLong(digits);
      // One spelling per id: "raftkv-node-02" is not node 2's name.
      return commonName(id).equals(cn) ? id : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String commonNameOf(X509Certificate cert) {
    try {
      String cn = null;
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          if (cn != null) return null; // two common names: which one is meant would be a guess
          cn = rdn.getValue().toString();
        }
      }
      return cn;
    } catch (InvalidNameException e) {
      return null;
    }
  }

  /**
   * {@code ca}'s trust, narrowed to node certificates: a chain is accepted only if {@code ca}
   * accepts it and its leaf names a node id {@code accept} allows. Used on both sides of a peer
   * connection, so a certificate that names no node fails the handshake itself.
   */
  public static X509ExtendedTrustManager nodesOnly(X509ExtendedTrustManager ca, LongPredicate accept, String expected) {
    return new NodeTrust(ca, accept, expected);
  }

  private static final class NodeTrust extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager ca;
    private final LongPredicate accept;
    private final String expected;

    NodeTrust(X509ExtendedTrustManager ca, LongPredicate accept, String expected) {
      this.ca = ca;
      this.accept = accept;
      this.expected = expected;
    }

    private void requireNode(X509Certificate[] chain) throws CertificateException {
      long id = chain == null || chain.length == 0 ? 0 : nodeId(chain[0]);
      if (id == 0 || !accept.test(id)) {
        String subject = chain == null || chain.length == 0 ? "none" : chain[0].getSubjectX500Principal().getName();
        throw new CertificateException("peer certificate " + subject + " is not " + expected);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      ca.checkClientTrusted(chain, authType, socket);
      requireNode(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      ca.checkServerTrusted(chain, authType, socket);
      requireNode(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      ca.checkClientTrusted(chain, authType, engine);
      requireNode(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      ca.checkServerTrusted(chain, authType, engine);
      requireNode(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      ca.checkClientTrusted(chain, authType);
      requireNode(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      ca.checkServerTrusted(chain, authType);
      requireNode(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return ca.getAcceptedIssuers();
    }
  }
}
