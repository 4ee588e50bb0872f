package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The core's view of the log: every entry after {@code baseIndex}, whose term is
 * {@code baseTerm}. Index 0 (term 0) is the empty prefix every log shares, which makes the
 * consistency check of §5.3 uniform for the first entry.
 *
 * <p>Only part of it is on the heap. Entries not yet synced (the unstable tail, after
 * {@code stableIndex}) stay until the driver reports them persisted, because storage cannot
 * return them yet; synced ones go into a {@link LogCache} of bounded size and are otherwise read
 * back through the {@link LogEntryReader}. What the protocol asks about every index, its term,
 * comes from {@link TermRuns}, and the newest configuration from an index of the CONFIG entries,
 * so neither needs the entries themselves.
 */
final class RaftLog {
  private final LogEntryReader reader;
  private final LogCache cache;
  private long baseIndex;
  private long baseTerm;
  private long lastIndex;
  private final TermRuns runs;
  /** The CONFIG entries after the base, by index: few and small, kept so lookups never scan. */
  private final TreeMap<Long, LogEntry> configs = new TreeMap<>();
  /** Entries up to here are synced and readable from storage; never below the base. */
  private long stableIndex;
  /** The entries (stableIndex, lastIndex], in order. */
  private final ArrayList<LogEntry> unstable = new ArrayList<>();
  private long unstableBytes;

  RaftLog(StoredLog stored, LogEntryReader reader, LogLimits limits) {
    this.reader = reader;
    this.cache = new LogCache(limits.cacheEntries(), limits.cacheBytes());
    this.baseIndex = stored.baseIndex();
    this.baseTerm = stored.baseTerm();
    this.lastIndex = stored.lastIndex();
    this.stableIndex = stored.lastIndex();
    this.runs = new TermRuns(stored.termRuns());
    for (LogEntry c : stored.configEntries()) configs.put(c.index(), c);
  }

  long lastIndex() {
    return lastIndex;
  }

  long lastTerm() {
    return runs.isEmpty() ? baseTerm : runs.lastTerm();
  }

  long firstIndex() {
    return baseIndex + 1;
  }

  /** The term of the entry at {@code index}, or -1 when the index is beyond the log or compacted. */
  long term(long index) {
    if (index == baseIndex) return baseTerm;
    if (index < baseIndex || index > lastIndex) return -1;
    return runs.term(index);
  }

  boolean matches(long index, long term) {
    return term(index) == term;
  }

  void append(LogEntry e) {
    if (e.index() != lastIndex + 1) {
      throw new IllegalStateException("append of " + e.index() + " after " + lastIndex);
    }
    if (e.term() < lastTerm()) {
      throw new IllegalStateException("term went backwards at " + e.index() + ": " + e.term() + " < " + lastTerm());
    }
    unstable.add(e);
    unstableBytes += e.sizeBytes();
    runs.append(e.index(), e.term());
    if (e.kind() == LogEntry.Kind.CONFIG) configs.put(e.index(), e);
    lastIndex = e.index();
  }

  /** Removes every entry with index >= {@code from}; the cache and term runs follow. */
  void truncateFrom(long from) {
    if (from <= baseIndex) throw new IllegalStateException("truncate below the log base " + baseIndex);
    if (from > lastIndex) return;
    if (from <= stableIndex) {
      // Synced entries are being replaced: until the rewrite is synced, storage still holds the
      // old ones, so from here on the log must be served from memory again.
      cache.truncateFrom(from);
      stableIndex = from - 1;
      unstable.clear();
      unstableBytes = 0;
    } else {
      while (!unstable.isEmpty() && unstable.get(unstable.size() - 1).index() >= from) {
        unstableBytes -= unstable.remove(unstable.size() - 1).sizeBytes();
      }
    }
    runs.truncateFrom(from);
    configs.tailMap(from, true).clear();
    lastIndex = from - 1;
  }

  /**
   * The driver synced the log up to {@code index}, whose entry has {@code term}; those entries
   * may now leave memory. Ignored if the log changed there meanwhile (a truncation).
   */
  void stableTo(long index, long term) {
    if (index <= stableIndex || term(index) != term) return;
    int n = (int) (index - stableIndex);
    for (int i = 0; i < n; i++) {
      LogEntry e = unstable.get(i);
      unstableBytes -= e.sizeBytes();
      cache.add(e);
    }
    unstable.subList(0, n).clear();
    stableIndex = index;
  }

  /**
   * Entries in [from, to], inclusive, at most maxCount and roughly maxBytes (at least one). The
   * answer stops short, possibly empty, where storage no longer holds a synced entry because it
   * was compacted there before the core heard of it.
   */
  List<LogEntry> slice(long from, long to, int maxCount, long maxBytes) {
    if (from <= baseIndex || to > lastIndex) {
      throw new IndexOutOfBoundsException("no entries [" + from + ", " + to + "] in (" + baseIndex + ", " + lastIndex + "]");
    }
    List<LogEntry> out = new ArrayList<>();
    long bytes = 0;
    long i = from;
    if (i <= stableIndex && i < cache.firstIndex()) {
      // Older than the cache: one bounded read from storage.
      long end = Math.min(to, Math.min(stableIndex, cache.firstIndex() - 1));
      List<LogEntry> read = reader.read(i, end, maxCount, maxBytes);
      for (LogEntry e : read) {
        if (e.index() != i || e.term() != runs.term(i)) {
          // Storage must hold exactly the synced log; anything else would replicate a wrong entry.
          throw new IllegalStateException("storage returned " + e + " for index " + i + " of term " + runs.term(i));
        }
        out.add(e);
        bytes += e.sizeBytes();
        i++;
      }
      // Fewer than asked: either a bound was reached, or storage no longer has the rest.
      if (i <= end) return out;
    }
    for (; i <= to && out.size() < maxCount; i++) {
      LogEntry e = i <= stableIndex ? cache.get(i) : unstable.get((int) (i - stableIndex - 1));
      bytes += e.sizeBytes();
      if (!out.isEmpty() && bytes > maxBytes) break;
      out.add(e);
    }
    return out;
  }

  long baseIndex() {
    return baseIndex;
  }

  long baseTerm() {
    return baseTerm;
  }

  /**
   * Drops every entry up to {@code index}, which a snapshot now covers (§7); the entry at
   * {@code index} becomes the base. Entries after it stay.
   */
  void compact(long index) {
    if (index <= baseIndex) return;
    if (index > lastIndex) throw new IllegalStateException("compact beyond the log: " + index);
    long term = term(index);
    if (index > stableIndex) {
      // The snapshot covers unsynced entries too (an install): they are no longer the log's.
      int n = (int) (index - stableIndex);
      for (int k = 0; k < n; k++) unstableBytes -= unstable.get(k).sizeBytes();
      unstable.subList(0, n).clear();
      stableIndex = index;
    }
    cache.compact(index);
    runs.compact(index);
    configs.headMap(index, true).clear();
    baseIndex = index;
    baseTerm = term;
  }

  /** Discards the whole log; it restarts empty after a snapshot ending at (index, term). */
  void reset(long index, long term) {
    unstable.clear();
    unstableBytes = 0;
    cache.clear();
    runs.clear();
    configs.clear();
    baseIndex = index;
    baseTerm = term;
    lastIndex = index;
    stableIndex = index;
  }

  /** First index of the term that the entry at {@code index} belongs to (for the §5.3 backup hint). */
  long firstIndexOfTermAt(long index) {
    if (index <= baseIndex) return index;
    return runs.firstIndexOfRun(index, baseIndex + 1);
  }

  /** The newest CONFIG entry in the log, or null if there is none after the base. */
  LogEntry lastConfigEntry() {
    Map.Entry<Long, LogEntry> last = configs.lastEntry();
    return last == null ? null : last.getValue();
  }

  /** Bytes of entries held on the heap: the cache plus the unsynced tail. */
  long bytesInMemory() {
    return cache.bytes() + unstableBytes;
  }

  int cachedEntries() {
    return cache.size();
  }

  long stableIndex() {
    return stableIndex;
  }
}
