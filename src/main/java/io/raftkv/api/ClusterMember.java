package io.raftkv.api;

/**
 * A member of the cluster as its clients name it: the id, the address its peers reach it on and
 * its HTTP address ({@code ""} when not known). It is also what a client asks to join.
 */
public record ClusterMember(long id, String raftAddr, String httpAddr) {
  public ClusterMember {
    if (id <= 0) throw new IllegalArgumentException("node ids are positive, got " + id);
    if (raftAddr == null || raftAddr.isBlank()) throw new IllegalArgumentException("raftAddr is required");
    if (httpAddr == null) httpAddr = "";
  }
}
