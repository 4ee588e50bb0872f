package io.raftkv.storage;

import io.raftkv.raft.core.LogEntry;
import java.util.List;

/**
 * The first and last index held in a stored log ({@code 0, 0} when it is empty). Both stores
 * keep one in memory so that a batch which would leave a gap or overlap in the log is refused
 * before anything is written, instead of silently corrupting the durable log.
 */
record LogBounds(long first, long last) {
  static final LogBounds EMPTY = new LogBounds(0, 0);

  boolean isEmpty() {
    return last == 0;
  }

  /**
   * The bounds after {@code batch} is written. Throws {@link IllegalArgumentException} when the
   * appended entries are not contiguous with each other or with what the truncation leaves.
   */
  LogBounds after(PersistBatch batch) {
    LogBounds kept = truncatedFrom(batch.truncateFrom());
    List<LogEntry> entries = batch.entries();
    if (entries.isEmpty()) return kept;
    // An empty log may start anywhere, so that a log which begins after a snapshot is allowed.
    long expected = kept.isEmpty() ? entries.get(0).index() : kept.last + 1;
    for (LogEntry e : entries) {
      if (e.index() != expected) {
        throw new IllegalArgumentException(
            "appended entries must be contiguous: expected index " + expected + ", got " + e.index()
                + " (log holds " + kept + ")");
      }
      expected++;
    }
    long first = kept.isEmpty() ? entries.get(0).index() : kept.first;
    return new LogBounds(first, expected - 1);
  }

  private LogBounds truncatedFrom(long truncateFrom) {
    if (truncateFrom == 0 || isEmpty() || truncateFrom > last) return this;
    if (truncateFrom <= first) return EMPTY;
    return new LogBounds(first, truncateFrom - 1);
  }

  @Override
  public String toString() {
    return isEmpty() ? "[]" : "[" + first + ".." + last + "]";
  }
}
