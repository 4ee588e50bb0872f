package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The newest synced entries, kept in memory so that the common reads (a follower that keeps up,
 * applying what just committed) never go to storage. Bounded by count and bytes: the oldest
 * entries leave first, and are read back from storage if anyone still needs them. Holds a
 * contiguous run of indices.
 */
final class LogCache {
  private final int maxEntries;
  private final long maxBytes;
  // Entries live in [head, list.size()); evicted ones are nulled and the dead prefix is cut
  // away once it is the larger half, which keeps both eviction and lookup O(1) amortized.
  private final ArrayList<LogEntry> list = new ArrayList<>();
  private int head;
  private long bytes;

  LogCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** Adds the next synced entry and evicts the oldest ones beyond the bounds. */
  void add(LogEntry e) {
    if (size() > 0 && e.index() != lastIndex() + 1) {
      // Only contiguous runs are cached; a gap means the cache restarts from here.
      clear();
    }
    list.add(e);
    bytes += e.sizeBytes();
    while (size() > 0 && (size() > maxEntries || bytes > maxBytes)) {
      bytes -= list.get(head).sizeBytes();
      list.set(head++, null);
    }
    if (head > list.size() / 2) {
      list.subList(0, head).clear();
      head = 0;
    }
  }

  /** The entry at {@code index}, or null if it is not cached. */
  LogEntry get(long index) {
    if (size() == 0 || index < firstIndex() || index > lastIndex()) return null;
    return list.get(head + (int) (index - firstIndex()));
  }

  /** The first cached index, or Long.MAX_VALUE when empty. */
  long firstIndex() {
    return size() == 0 ? Long.MAX_VALUE : list.get(head).index();
  }

  private long lastIndex() {
    return list.get(list.size() - 1).index();
  }

  /** Drops every entry with index >= {@code from}. */
  void truncateFrom(long from) {
    while (size() > 0 && lastIndex() >= from) bytes -= list.remove(list.size() - 1).sizeBytes();
    if (size() == 0) clear();
  }

  /** Drops every entry with index <= {@code index}. */
  void compact(long index) {
    while (size() > 0 && list.get(head).index() <= index) {
      bytes -= list.get(head).sizeBytes();
      list.set(head++, null);
    }
    if (size() == 0) clear();
  }

  void clear() {
    list.clear();
    head = 0;
    bytes = 0;
  }

  int size() {
    return list.size() - head;
  }

  long bytes() {
    return bytes;
  }

  /** The cached entries in order, for tests. */
  List<LogEntry> toList() {
    return new ArrayList<>(list.subList(head, list.size()));
  }
}
