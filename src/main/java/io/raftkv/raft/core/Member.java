package io.raftkv.raft.core;

/**
 * A server of the cluster: its id, the address peers reach it on, its HTTP address if known, and
 * its incarnation: a random number the server drew when it first started with empty storage. A
 * server whose disk was wiped comes back with the same id but a new incarnation, so its peers can
 * tell it is not the member that voted and stored entries before. Incarnation 0 means "not known"
 * (a membership written before incarnations existed); such a member is matched on its id alone.
 */
public record Member(long id, String raftAddr, String httpAddr, long incarnation) {
  public Member {
    if (id <= 0) throw new IllegalArgumentException("node ids are positive, got " + id);
    if (raftAddr == null || raftAddr.isBlank()) throw new IllegalArgumentException("raftAddr is required");
    if (httpAddr == null) httpAddr = "";
  }

  /** A member whose incarnation is not known. */
  public Member(long id, String raftAddr, String httpAddr) {
    this(id, raftAddr, httpAddr, 0);
  }

  /** True when {@code other} is this member's incarnation, or this member's incarnation is unknown. */
  public boolean isIncarnation(long other) {
    return incarnation == 0 || incarnation == other;
  }
}
