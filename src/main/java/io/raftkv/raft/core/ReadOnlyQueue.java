package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A leader's ReadIndex requests (thesis §6.4) waiting for a heartbeat round to confirm that no
 * newer leader exists. Each read waits for the round after the one in progress when it arrived,
 * so a heartbeat sent before the read cannot vouch for it; it is released, in arrival order, once
 * a majority has acknowledged that round and the leader knows its read index, and fails if the
 * leader steps down first.
 */
final class ReadOnlyQueue {
  /** A read that may be answered at {@code index} (-1 while unknown) once {@code round} is acknowledged. */
  private record PendingRead(long requestId, long index, long round) {}

  private final ArrayList<PendingRead> pending = new ArrayList<>();
  /** The newest heartbeat round this leader started in its term; followers echo it back. */
  private long round;
  private boolean roundWanted;

  /** A new term of leadership: rounds count from zero again, as followers acknowledge them per term. */
  void reset() {
    pending.clear();
    round = 0;
    roundWanted = false;
  }

  /** The newest heartbeat round started, to be carried by every AppendEntries. */
  long round() {
    return round;
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }

  /**
   * Queues a read for the next round. {@code index} is the commit index to read at, or -1 while
   * this leader has not committed an entry of its term and so does not know it yet.
   */
  void add(long requestId, long index) {
    pending.add(new PendingRead(requestId, index, round + 1));
    roundWanted = true;
  }

  /** Starts the round that queued reads wait for; true if the leader must now broadcast heartbeats. */
  boolean startRoundIfWanted() {
    if (!roundWanted) return false;
    roundWanted = false;
    round++;
    return true;
  }

  /** The leader committed its first entry of the term: reads that waited for it read at {@code commitIndex}. */
  void indexKnown(long commitIndex) {
    for (int i = 0; i < pending.size(); i++) {
      PendingRead r = pending.get(i);
      if (r.index < 0) pending.set(i, new PendingRead(r.requestId, commitIndex, r.round));
    }
  }

  /** Moves every read whose round a majority acknowledged, up to {@code confirmedRound}, to {@code out}. */
  void release(long confirmedRound, List<ReadState> out) {
    Iterator<PendingRead> it = pending.iterator();
    while (it.hasNext()) {
      PendingRead r = it.next();
      if (r.index >= 0 && r.round <= confirmedRound) {
        out.add(new ReadState(r.requestId, r.index));
        it.remove();
      }
    }
  }

  /** The leader stepped down: every waiting read fails (index -1), so its client retries elsewhere. */
  void failAll(List<ReadState> out) {
    for (PendingRead r : pending) out.add(new ReadState(r.requestId, -1));
    pending.clear();
    roundWanted = false;
  }
}
