package io.raftkv.storage;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import java.util.List;

/**
 * What a node finds on its disk at start: synced hard state, the log after its base (entries up to
 * {@code baseIndex} were compacted into a snapshot), how far the state machine applied, and the
 * membership in force at the base ({@link Membership#EMPTY} when nothing was compacted).
 */
public record Recovered(
    HardState hardState,
    List<LogEntry> log,
    long appliedIndex,
    long appliedTerm,
    long baseIndex,
    long baseTerm,
    Membership baseMembership) {
  public Recovered {
    log = List.copyOf(log);
  }

  /** A store that never compacted its log. */
  public Recovered(HardState hardState, List<LogEntry> log, long appliedIndex, long appliedTerm) {
    this(hardState, log, appliedIndex, appliedTerm, 0, 0, Membership.EMPTY);
  }

  public boolean isEmpty() {
    return hardState.term() == 0 && log.isEmpty() && baseIndex == 0;
  }
}
