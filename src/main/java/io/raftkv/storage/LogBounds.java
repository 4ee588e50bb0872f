package io.raftkv.storage;

import io.raftkv.raft.core.LogEntry;
import java.util.List;

/**
 * The first and last index held in a stored log ({@code 0, 0} when it is empty), and its base:
 * the index up to which the log was compacted into a snapshot (0 when never). Both stores keep
 * one in memory so that a batch which would leave a gap or overlap in the log is refused before
 * anything is written, instead of silently corrupting the durable log.
 */
record LogBounds(long first, long last, long base) {
  static final LogBounds EMPTY = new LogBounds(0, 0, 0);

  LogBounds(long first, long last) {
    this(first, last, 0);
  }

  boolean isEmpty() {
    return last == 0;
  }

  /** The last index the log covers, counting the compacted prefix. */
  long lastIndex() {
    return isEmpty() ? base : last;
  }

  /**
   * The bounds after {@code batch} is written. Throws {@link IllegalArgumentException} when the
   * appended entries are not contiguous with each other or with what the truncation leaves.
   */
  LogBounds after(PersistBatch batch) {
    LogBounds kept = truncatedFrom(batch.truncateFrom());
    List<LogEntry> entries = batch.entries();
    if (entries.isEmpty()) return kept;
    // An empty log that was never compacted may start anywhere (so a log may begin after a
    // snapshot); once compacted, it must continue right after its base, or entries would be lost.
    long expected;
    if (!kept.isEmpty()) {
      expected = kept.last + 1;
    } else if (base > 0) {
      expected = base + 1;
    } else {
      expected = entries.get(0).index();
    }
    for (LogEntry e : entries) {
      if (e.index() != expected) {
        throw new IllegalArgumentException(
            "appended entries must be contiguous: expected index " + expected + ", got " + e.index()
                + " (log holds " + kept + ")");
      }
      expected++;
    }
    long first = kept.isEmpty() ? entries.get(0).index() : kept.first;
    return new LogBounds(first, expected - 1, base);
  }

  /**
   * The bounds once every entry up to {@code newBase} is gone and {@code newBase} is the base;
   * entries after it are kept only if {@code keepAfter}.
   */
  LogBounds rebased(long newBase, boolean keepAfter) {
    if (!keepAfter || isEmpty() || last <= newBase) return new LogBounds(0, 0, newBase);
    return new LogBounds(Math.max(first, newBase + 1), last, newBase);
  }

  /** Refuses a purge that would drop entries no snapshot or applied state covers yet. */
  static void checkPurge(long uptoIndex, long snapshotIndex, long appliedIndex) {
    // Entries the latest snapshot does not cover are still the only record of their effects for
    // a follower that needs them, and unapplied entries are not even in the state machine yet.
    if (uptoIndex > snapshotIndex) {
      throw new IllegalArgumentException(
          "cannot purge the log up to " + uptoIndex + ": the latest snapshot is at " + snapshotIndex);
    }
    if (uptoIndex > appliedIndex) {
      throw new IllegalArgumentException(
          "cannot purge the log up to " + uptoIndex + ": only " + appliedIndex + " is applied");
    }
  }

  private LogBounds truncatedFrom(long truncateFrom) {
    if (truncateFrom == 0 || isEmpty() || truncateFrom > last) return this;
    if (truncateFrom <= first) return new LogBounds(0, 0, base);
    return new LogBounds(first, truncateFrom - 1, base);
  }

  @Override
  public String toString() {
    String held = isEmpty() ? "[]" : "[" + first + ".." + last + "]";
    return base == 0 ? held : held + " after base " + base;
  }
}
