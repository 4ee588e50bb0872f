package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The term of every index in the log as runs of equal terms: a run starts where a new leader's
 * entries begin, so there is one per term that wrote to this log, however long the log. Answers
 * {@code term(index)} (the §5.3 consistency check, §5.4.1's up-to-date comparison, the commit
 * rule of §5.4.2) without the entries, which stay in storage.
 */
final class TermRuns {
  // Parallel arrays kept sorted by first index; run i covers [firsts[i], firsts[i+1]).
  private final ArrayList<Long> firsts = new ArrayList<>();
  private final ArrayList<Long> terms = new ArrayList<>();

  TermRuns(List<StoredLog.TermRun> runs) {
    for (StoredLog.TermRun r : runs) {
      firsts.add(r.firstIndex());
      terms.add(r.term());
    }
  }

  boolean isEmpty() {
    return firsts.isEmpty();
  }

  int size() {
    return firsts.size();
  }

  long lastTerm() {
    return terms.get(terms.size() - 1);
  }

  /** Records that the entry at {@code index} (the new last one) has {@code term}. */
  void append(long index, long term) {
    if (firsts.isEmpty() || lastTerm() != term) {
      firsts.add(index);
      terms.add(term);
    }
  }

  /** The term at {@code index}, which the caller knows lies in the covered range. */
  long term(long index) {
    return terms.get(runOf(index));
  }

  /** The first index of the run holding {@code index}, no lower than {@code floor}. */
  long firstIndexOfRun(long index, long floor) {
    return Math.max(firsts.get(runOf(index)), floor);
  }

  /** Forgets every index >= {@code from}. */
  void truncateFrom(long from) {
    while (!firsts.isEmpty() && firsts.get(firsts.size() - 1) >= from) {
      firsts.remove(firsts.size() - 1);
      terms.remove(terms.size() - 1);
    }
  }

  /** Forgets every index <= {@code index}; the run that continues past it now starts after it. */
  void compact(long index) {
    int keepFrom = 0;
    while (keepFrom < firsts.size() && runEnd(keepFrom) <= index) keepFrom++;
    firsts.subList(0, keepFrom).clear();
    terms.subList(0, keepFrom).clear();
    if (!firsts.isEmpty() && firsts.get(0) <= index) firsts.set(0, index + 1);
  }

  void clear() {
    firsts.clear();
    terms.clear();
  }

  /** The last index of run {@code i}, or Long.MAX_VALUE for the last run (it ends with the log). */
  private long runEnd(int i) {
    return i + 1 < firsts.size() ? firsts.get(i + 1) - 1 : Long.MAX_VALUE;
  }

  private int runOf(long index) {
    int lo = 0;
    int hi = firsts.size() - 1;
    // The last run whose first index is <= index.
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (firsts.get(mid) <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
}
