package io.raftkv.raft.driver;

import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Ready;
import io.raftkv.storage.PersistBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries out the core's Readies in the order the core requires: persist, then send and apply.
 * At most one persist is in flight; Readies produced meanwhile are merged and share the next
 * fsync (group commit), except across a snapshot install or a truncation. Nothing of a later
 * Ready overtakes an earlier one's persist, so a message never leaves before the state it
 * depends on is on disk.
 *
 * <p>Used only on the driver's thread, so it needs no synchronization.
 */
final class ReadyPipeline {

  /** What the pipeline asks the node to do. */
  interface Effects {
    /**
     * Start a durable write (after making {@code ready.install()} live, if set); the node calls
     * {@link #onPersisted(long)} when it completes.
     */
    void persist(long seq, PersistBatch batch, Ready ready);

    /** The Ready's state is durable: send, apply and answer reads. */
    void release(Ready ready, List<Runnable> replies, LogEntry lastPersisted);
  }

  private final Effects effects;
  private long nextSeq = 1;

  private long inFlightSeq;
  private Ready inFlight;
  private List<Runnable> inFlightReplies;

  /** Readies waiting for the persist in flight; consecutive ones are merged, never across an install. */
  private final java.util.ArrayDeque<Ready> queued = new java.util.ArrayDeque<>();
  private final java.util.ArrayDeque<List<Runnable>> queuedReplies = new java.util.ArrayDeque<>();

  ReadyPipeline(Effects effects) {
    this.effects = effects;
  }

  /** Hands over a Ready and, optionally, a reply that must wait for it (a Raft response). */
  void submit(Ready ready, Runnable reply) {
    if (ready.isEmpty() && reply == null) return;
    Ready last = queued.peekLast();
    // A Ready that truncates the log is never merged into the one before it: that one's replies
    // (an AppendEntries response claiming the entries it appended) must leave while those
    // entries are on disk, not after the truncation has removed them (§5.3).
    if (last != null && last.canMerge(ready) && ready.truncateFrom() == 0) {
      queued.pollLast();
      queued.addLast(last.then(ready));
    } else {
      queued.addLast(ready);
      queuedReplies.addLast(new ArrayList<>());
    }
    if (reply != null) queuedReplies.peekLast().add(reply);
    if (inFlight == null) startNext();
  }

  /** Nothing in flight or waiting: everything submitted so far is durable and released. */
  boolean idle() {
    return inFlight == null && queued.isEmpty();
  }

  void onPersisted(long seq) {
    if (inFlight == null || seq != inFlightSeq) {
      throw new IllegalStateException("persist acknowledgement " + seq + " out of order");
    }
    Ready done = inFlight;
    List<Runnable> replies = inFlightReplies;
    inFlight = null;
    inFlightReplies = null;
    effects.release(done, replies, lastOf(done.entries()));
    startNext();
  }

  private void startNext() {
    while (inFlight == null && !queued.isEmpty()) {
      Ready next = queued.pollFirst();
      List<Runnable> replies = queuedReplies.pollFirst();
      if (!next.needsPersist()) {
        effects.release(next, replies, null);
        continue;
      }
      inFlight = next;
      inFlightReplies = replies;
      inFlightSeq = nextSeq++;
      effects.persist(inFlightSeq, new PersistBatch(next.hardState(), next.truncateFrom(), next.entries()), next);
    }
  }

  private static LogEntry lastOf(List<LogEntry> entries) {
    return entries.isEmpty() ? null : entries.get(entries.size() - 1);
  }
}
