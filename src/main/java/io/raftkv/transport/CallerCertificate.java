package io.raftkv.transport;

/**
 * The node a peer connection's certificate names, as mutual TLS proved it, or {@link #NONE}
 * when peers talk plaintext. Every message that arrives on the connection must claim to come
 * from that node; the cluster id and membership checks of {@link PeerAdmission} then apply as
 * without TLS.
 */
record CallerCertificate(long nodeId) {
  /** No certificate: plaintext, nothing to hold messages to. */
  static final CallerCertificate NONE = new CallerCertificate(0);

  /** Null when a message that claims to come from node {@code claimed} may, else why not. */
  String refuses(long claimed) {
    if (nodeId == 0 || claimed == nodeId) return null;
    return "the connection's certificate is node " + nodeId + "'s (" + PeerCertificates.commonName(nodeId)
        + ") but the message claims to come from node " + claimed;
  }

  /** {@code inner}, refusing first every request whose header names another sender than this certificate. */
  PeerIdentity guard(PeerIdentity inner) {
    if (nodeId == 0) return inner;
    return new PeerIdentity() {
      @Override
      public PeerStamp toPeer(long peerId) {
        return inner.toPeer(peerId);
      }

      @Override
      public PeerStamp replyTo(PeerStamp request) {
        return inner.replyTo(request);
      }

      @Override
      public String admitRequest(PeerStamp stamp, long from, long to, boolean mayLearnCluster) {
        String refused = refuses(stamp == null ? 0 : stamp.fromId());
        return refused != null ? refused : inner.admitRequest(stamp, from, to, mayLearnCluster);
      }

      @Override
      public String admitResponse(PeerStamp stamp, long from, long to) {
        return inner.admitResponse(stamp, from, to);
      }

      @Override
      public void rejected(String what, String reason) {
        inner.rejected(what, reason);
      }
    };
  }
}
