package io.raftkv.transport;

import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.PeerHeader;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * The client side of peer headers for {@link GrpcTransport}: which header an outgoing call
 * carries, and whether the header of its response lets the response through.
 */
final class PeerHeaders {
  private PeerHeaders() {}

  /**
   * Passes a response on only if this node's identity rules admit it; otherwise the call fails,
   * and Raft treats the response as lost. This is what keeps the vote or acknowledgement of a
   * member whose storage was wiped from counting.
   */
  static <R extends RaftMessage.Response> R admitted(PeerIdentity id, String what, PeerHeader header, R response) {
    check(id, what, header, response.from(), response.to());
    return response;
  }

  /**
   * As {@link #admitted} for responses whose body names no sender (ReadIndex, Forward): the
   * header must come from {@code peerId}, the member asked, back to {@code selfId}. A read index
   * or write outcome vouched for by anybody else must not be used.
   */
  static void check(PeerIdentity id, String what, PeerHeader header, long peerId, long selfId) {
    String refused = id.admitResponse(ProtoCodec.fromProto(header), peerId, selfId);
    if (refused != null) {
      id.rejected(what, refused);
      throw new CompletionException(new IllegalStateException(what + " dropped: " + refused));
    }
  }

  /**
   * The header for a call made by address (Hello, Join, Leave): addressed to the member at
   * {@code raftAddr} when it is one, else to nobody in particular (receiver 0), as for a node
   * that is not a member yet.
   */
  static PeerHeader forAddress(PeerIdentity id, Map<Long, String> peers, String raftAddr) {
    for (Map.Entry<Long, String> e : peers.entrySet()) {
      if (e.getValue().equals(raftAddr)) return ProtoCodec.toProto(id.toPeer(e.getKey()));
    }
    PeerStamp self = id.toPeer(0);
    return ProtoCodec.toProto(new PeerStamp(self.clusterId(), self.fromId(), self.fromIncarnation(), 0, 0));
  }

  /** The header for a call to member {@code peerId}. */
  static PeerHeader to(PeerIdentity id, long peerId) {
    return ProtoCodec.toProto(id.toPeer(peerId));
  }
}
