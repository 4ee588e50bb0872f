package io.raftkv.storage;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.util.List;

/** What a node finds on its disk at start: synced hard state and log, and how far it applied. */
public record Recovered(HardState hardState, List<LogEntry> log, long appliedIndex, long appliedTerm) {
  public Recovered {
    log = List.copyOf(log);
  }

  public boolean isEmpty() {
    return hardState.term() == 0 && log.isEmpty();
  }
}
