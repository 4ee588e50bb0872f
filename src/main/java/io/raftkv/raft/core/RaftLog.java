package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The core's view of the log: every entry after {@code baseIndex}, whose term is
 * {@code baseTerm}. Index 0 (term 0) is the empty prefix every log shares, which makes the
 * consistency check of §5.3 uniform for the first entry.
 */
final class RaftLog {
  private long baseIndex;
  private long baseTerm;
  private final ArrayList<LogEntry> entries = new ArrayList<>();
  /** Index of the newest CONFIG entry in {@code entries}, or 0: kept so lookups never scan. */
  private long lastConfigIndex;

  RaftLog(long baseIndex, long baseTerm, List<LogEntry> recovered) {
    this.baseIndex = baseIndex;
    this.baseTerm = baseTerm;
    for (LogEntry e : recovered) append(e);
  }

  long lastIndex() {
    return baseIndex + entries.size();
  }

  long lastTerm() {
    return entries.isEmpty() ? baseTerm : entries.get(entries.size() - 1).term();
  }

  long firstIndex() {
    return baseIndex + 1;
  }

  /** The term of the entry at {@code index}, or -1 when the index is beyond the log or compacted. */
  long term(long index) {
    if (index == baseIndex) return baseTerm;
    if (index < baseIndex || index > lastIndex()) return -1;
    return entries.get((int) (index - baseIndex - 1)).term();
  }

  LogEntry get(long index) {
    if (index <= baseIndex || index > lastIndex()) {
      throw new IndexOutOfBoundsException("no entry " + index + " in (" + baseIndex + ", " + lastIndex() + "]");
    }
    return entries.get((int) (index - baseIndex - 1));
  }

  boolean matches(long index, long term) {
    return term(index) == term;
  }

  void append(LogEntry e) {
    if (e.index() != lastIndex() + 1) {
      throw new IllegalStateException("append of " + e.index() + " after " + lastIndex());
    }
    if (e.term() < lastTerm()) {
      throw new IllegalStateException("term went backwards at " + e.index() + ": " + e.term() + " < " + lastTerm());
    }
    entries.add(e);
    if (e.kind() == LogEntry.Kind.CONFIG) lastConfigIndex = e.index();
  }

  /** Removes every entry with index >= {@code from}. */
  void truncateFrom(long from) {
    if (from <= baseIndex) throw new IllegalStateException("truncate below the log base " + baseIndex);
    while (lastIndex() >= from) entries.remove(entries.size() - 1);
    if (lastConfigIndex >= from) {
      lastConfigIndex = 0;
      for (int i = entries.size() - 1; i >= 0; i--) {
        if (entries.get(i).kind() == LogEntry.Kind.CONFIG) {
          lastConfigIndex = entries.get(i).index();
          break;
        }
      }
    }
  }

  /** Entries in [from, to], inclusive, at most maxCount and roughly maxBytes (at least one). */
  List<LogEntry> slice(long from, long to, int maxCount, long maxBytes) {
    List<LogEntry> out = new ArrayList<>();
    long bytes = 0;
    for (long i = from; i <= to && out.size() < maxCount; i++) {
      LogEntry e = get(i);
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
    if (index > lastIndex()) throw new IllegalStateException("compact beyond the log: " + index);
    long term = term(index);
    entries.subList(0, (int) (index - baseIndex)).clear();
    baseIndex = index;
    baseTerm = term;
    if (lastConfigIndex <= index) lastConfigIndex = 0;
  }

  /** Discards the whole log; it restarts empty after a snapshot ending at (index, term). */
  void reset(long index, long term) {
    entries.clear();
    baseIndex = index;
    baseTerm = term;
    lastConfigIndex = 0;
  }

  /** First index of the term that the entry at {@code index} belongs to (for the §5.3 backup hint). */
  long firstIndexOfTermAt(long index) {
    long t = term(index);
    long i = index;
    while (i - 1 > baseIndex && term(i - 1) == t) i--;
    return i;
  }

  /** The newest CONFIG entry in the log, or null if there is none after the base. */
  LogEntry lastConfigEntry() {
    return lastConfigIndex == 0 ? null : get(lastConfigIndex);
  }
}
