package io.raftkv.storage;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.util.List;

/**
 * One durable write of Raft state: an optional new hard state, an optional truncation of the log
 * suffix (every entry with index {@code >= truncateFrom}; 0 means none) and entries to append
 * after it. The store applies all three atomically and syncs before returning, so group commit
 * is simply several of the core's outputs merged into one batch.
 */
public record PersistBatch(HardState hardState, long truncateFrom, List<LogEntry> entries) {
  public PersistBatch {
    entries = List.copyOf(entries);
    if (truncateFrom < 0) throw new IllegalArgumentException("negative truncateFrom");
  }

  public boolean isEmpty() {
    return hardState == null && truncateFrom == 0 && entries.isEmpty();
  }
}
