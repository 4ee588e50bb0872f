package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * What the core must know of the synced log at start, without its entries: where it begins and
 * ends, the term of every index as runs of equal terms (one per leader term, so tiny), and its
 * CONFIG entries (rare and small), from which the membership is taken without a scan. The
 * entries themselves stay in storage and are read through a {@link LogEntryReader}.
 *
 * @param baseIndex the index of the last compacted entry (0 when never compacted)
 * @param baseTerm its term
 * @param lastIndex the last index in the log ({@code baseIndex} when it holds no entry)
 * @param termRuns for each run of equal terms after the base, its first index and term, in order
 * @param configEntries every CONFIG entry after the base, in index order
 */
public record StoredLog(
    long baseIndex, long baseTerm, long lastIndex, List<TermRun> termRuns, List<LogEntry> configEntries) {

  /** Indices from {@code firstIndex} up to the next run's first index (or the log's end) have {@code term}. */
  public record TermRun(long firstIndex, long term) {}

  public StoredLog {
    termRuns = List.copyOf(termRuns);
    configEntries = List.copyOf(configEntries);
    if (lastIndex < baseIndex) throw new IllegalArgumentException("last index " + lastIndex + " below base " + baseIndex);
    if ((lastIndex > baseIndex) != !termRuns.isEmpty()) {
      throw new IllegalArgumentException("term runs must cover exactly the entries after the base");
    }
    if (!termRuns.isEmpty() && termRuns.get(0).firstIndex() != baseIndex + 1) {
      throw new IllegalArgumentException("the first term run must start right after the base " + baseIndex);
    }
  }

  /** An empty log after a base. */
  public static StoredLog empty(long baseIndex, long baseTerm) {
    return new StoredLog(baseIndex, baseTerm, baseIndex, List.of(), List.of());
  }

  /** The shape of a log whose entries are at hand, in order right after the base. */
  public static StoredLog of(long baseIndex, long baseTerm, List<LogEntry> entries) {
    Builder b = new Builder(baseIndex, baseTerm);
    for (LogEntry e : entries) b.add(e.index(), e.term(), e.kind(), i -> e);
    return b.build();
  }

  /**
   * Collects the shape while a store walks its log in index order, looking at each entry's
   * header only; {@code config} fetches a CONFIG entry whole, which is needed for those alone.
   */
  public static final class Builder {
    private final long baseIndex;
    private final long baseTerm;
    private long lastIndex;
    private final List<TermRun> runs = new ArrayList<>();
    private final List<LogEntry> configs = new ArrayList<>();

    public Builder(long baseIndex, long baseTerm) {
      this.baseIndex = baseIndex;
      this.baseTerm = baseTerm;
      this.lastIndex = baseIndex;
    }

    /** Throws {@link IllegalStateException} when the entries leave a gap or terms go backwards. */
    public void add(long index, long term, LogEntry.Kind kind, LongFunction<LogEntry> config) {
      if (index != lastIndex + 1) {
        throw new IllegalStateException("stored log has a gap: index " + index + " after " + lastIndex);
      }
      long lastTerm = runs.isEmpty() ? baseTerm : runs.get(runs.size() - 1).term();
      if (term < lastTerm) {
        throw new IllegalStateException("stored log's term goes backwards at " + index + ": " + term + " < " + lastTerm);
      }
      if (runs.isEmpty() || term != lastTerm) runs.add(new TermRun(index, term));
      if (kind == LogEntry.Kind.CONFIG) configs.add(config.apply(index));
      lastIndex = index;
    }

    public StoredLog build() {
      return new StoredLog(baseIndex, baseTerm, lastIndex, runs, configs);
    }
  }
}
