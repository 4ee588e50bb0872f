package io.raftkv.transport;

/**
 * The identity part of a peer message (the proto {@code PeerHeader}): the sender's cluster, the
 * sender as node id and incarnation, and the node and incarnation it means to reach. Zero stands
 * for "none" in every field, as on the wire.
 */
public record PeerStamp(long clusterId, long fromId, long fromIncarnation, long toId, long toIncarnation) {
  public static final PeerStamp NONE = new PeerStamp(0, 0, 0, 0, 0);

  @Override
  public String toString() {
    return "cluster " + Long.toUnsignedString(clusterId, 16) + ", from node " + fromId + " (incarnation "
        + Long.toUnsignedString(fromIncarnation, 16) + ") to node " + toId + " (incarnation "
        + Long.toUnsignedString(toIncarnation, 16) + ")";
  }
}
