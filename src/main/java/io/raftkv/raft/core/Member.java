package io.raftkv.raft.core;

/** A server of the cluster: its id, the address peers reach it on, and its HTTP address if known. */
public record Member(long id, String raftAddr, String httpAddr) {
  public Member {
    if (id <= 0) throw new IllegalArgumentException("node ids are positive, got " + id);
    if (raftAddr == null || raftAddr.isBlank()) throw new IllegalArgumentException("raftAddr is required");
    if (httpAddr == null) httpAddr = "";
  }
}
