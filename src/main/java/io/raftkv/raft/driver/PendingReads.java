package io.raftkv.raft.driver;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads that hold a confirmed read index and wait for the state machine to reach it (thesis
 * §6.4, last step). Released in index order as entries are applied.
 */
final class PendingReads {
  /** A read ready to be served, or timed out. */
  interface Waiter {
    void serve();

    void timeout();

    long deadlineNanos();
  }

  private final TreeMap<Long, List<Waiter>> byIndex = new TreeMap<>();

  /** Serves at once if already applied, else waits. */
  void add(long readIndex, long appliedIndex, Waiter w) {
    if (readIndex <= appliedIndex) {
      w.serve();
      return;
    }
    byIndex.computeIfAbsent(readIndex, k -> new ArrayList<>()).add(w);
  }

  void onApplied(long appliedIndex) {
    while (!byIndex.isEmpty() && byIndex.firstKey() <= appliedIndex) {
      for (Waiter w : byIndex.pollFirstEntry().getValue()) w.serve();
    }
  }

  void expire(long nowNanos) {
    Iterator<Map.Entry<Long, List<Waiter>>> it = byIndex.entrySet().iterator();
    while (it.hasNext()) {
      List<Waiter> ws = it.next().getValue();
      ws.removeIf(w -> {
        if (nowNanos - w.deadlineNanos() > 0) {
          w.timeout();
          return true;
        }
        return false;
      });
      if (ws.isEmpty()) it.remove();
    }
  }

  void failAll() {
    for (List<Waiter> ws : byIndex.values()) for (Waiter w : ws) w.timeout();
    byIndex.clear();
  }
}
