package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Read access to the synced part of the log, which lives in storage rather than on the heap (the
 * core keeps only the unsynced tail and a bounded cache of the newest entries). The core reads
 * through it when it hands older entries to the state machine or to a follower that is catching
 * up, always in bounded batches, so that neither ever materializes the whole log.
 *
 * <p>It is called only for indices the driver has reported synced (through
 * {@link RaftCore#persisted}) and not yet compacted in the core. The store may have compacted
 * some of them meanwhile (a purge runs before the core hears of it): then the answer stops short.
 */
public interface LogEntryReader {
  /**
   * The entries from {@code from} on, in index order, up to {@code to} inclusive: at most
   * {@code maxCount}, and no more than {@code maxBytes} of {@link LogEntry#sizeBytes()} in total
   * except that the first entry is always returned. The answer stops before the first index the
   * store does not hold, so it is empty if {@code from} itself was compacted.
   */
  List<LogEntry> read(long from, long to, int maxCount, long maxBytes);

  /** A reader over entries already in memory (a log recovered as a list, or a test's). */
  static LogEntryReader of(List<LogEntry> entries) {
    List<LogEntry> copy = List.copyOf(entries);
    return (from, to, maxCount, maxBytes) -> {
      List<LogEntry> out = new ArrayList<>();
      if (copy.isEmpty() || from < copy.get(0).index()) return out;
      long first = copy.get(0).index();
      long bytes = 0;
      for (long i = from; i <= to && i - first < copy.size() && out.size() < maxCount; i++) {
        LogEntry e = copy.get((int) (i - first));
        bytes += e.sizeBytes();
        if (!out.isEmpty() && bytes > maxBytes) break;
        out.add(e);
      }
      return out;
    };
  }
}
