package io.raftkv.raft.driver;

import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * Clients waiting for their proposals, by log index. When the entry at an index is applied, its
 * client is answered: with the result if the entry is the one it proposed (same term), or with
 * a rejection if another leader's entry took that index, which proves the proposal was never
 * committed (Log Matching, §5.3).
 */
final class PendingWrites {
  private record Waiter(long term, Reply<WriteOutcome> replyTo, long deadlineNanos) {}

  private final TreeMap<Long, Waiter> byIndex = new TreeMap<>();

  void add(long index, long term, Reply<WriteOutcome> replyTo, long deadlineNanos) {
    byIndex.put(index, new Waiter(term, replyTo, deadlineNanos));
  }

  /**
   * The indices among {@code entries} whose result a client here waits for: the entry there is
   * the one it proposed (same term). The answer is a copy, safe to read on the storage thread,
   * so the applier builds results (previous values and the like) only for these.
   */
  LongPredicate waitingFor(List<LogEntry> entries) {
    Set<Long> wanted = new HashSet<>();
    for (LogEntry e : entries) {
      Waiter w = byIndex.get(e.index());
      if (w != null && w.term == e.term()) wanted.add(e.index());
    }
    if (wanted.isEmpty()) return index -> false;
    return wanted::contains;
  }

  void onApplied(LogEntry entry, KvResult result) {
    Waiter w = byIndex.remove(entry.index());
    if (w == null) return;
    if (w.term == entry.term()) {
      w.replyTo.tell(new WriteOutcome.Applied(result));
    } else {
      w.replyTo.tell(new WriteOutcome.Rejected(
          "leadership changed before the write committed; it was not applied, retry it"));
    }
  }

  /** Gives up on waiters past their deadline: their entry may still commit, so the outcome is unknown. */
  void expire(long nowNanos) {
    Iterator<Map.Entry<Long, Waiter>> it = byIndex.entrySet().iterator();
    while (it.hasNext()) {
      Waiter w = it.next().getValue();
      if (nowNanos - w.deadlineNanos > 0) {
        w.replyTo.tell(new WriteOutcome.Timeout("the write did not commit in time; its outcome is unknown"));
        it.remove();
      }
    }
  }

  void failAll(String reason) {
    for (Waiter w : byIndex.values()) w.replyTo.tell(new WriteOutcome.Timeout(reason));
    byIndex.clear();
  }
}
