package io.raftkv.transport;

/**
 * How the transport stamps outgoing peer messages with this node's identity and decides which
 * incoming ones to let through (see {@link PeerAdmission} for the rules). Every method is called
 * from transport threads, so implementations are thread-safe.
 */
public interface PeerIdentity {
  /** The header for a request to member {@code peerId}. */
  PeerStamp toPeer(long peerId);

  /** The header for the response to an admitted request that carried {@code request}. */
  PeerStamp replyTo(PeerStamp request);

  /**
   * Null to admit a request whose header is {@code stamp} and whose body names {@code from} as
   * sender and {@code to} as receiver, else the reason it is refused. {@code mayLearnCluster}:
   * the request is one a leader sends (AppendEntries, InstallSnapshot), from which a node that
   * belongs to no cluster yet learns, and durably records, the cluster it now belongs to.
   */
  String admitRequest(PeerStamp stamp, long from, long to, boolean mayLearnCluster);

  /** Null to accept a response with this header and body sender/receiver, else why not. */
  String admitResponse(PeerStamp stamp, long from, long to);

  /** A message was dropped for {@code reason}; implementations count and log it. */
  default void rejected(String what, String reason) {}

  /** Stamps nothing and admits everything: for transports in tests that exercise other things. */
  PeerIdentity OPEN = new PeerIdentity() {
    @Override
    public PeerStamp toPeer(long peerId) {
      return PeerStamp.NONE;
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
  };
}
