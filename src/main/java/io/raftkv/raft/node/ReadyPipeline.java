package io.raftkv.raft.node;

import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Ready;
import io.raftkv.storage.PersistBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries out the core's Readies in the order the core requires: persist, then send and apply.
 * At most one persist is in flight; Readies produced meanwhile are merged and share the next
 * fsync (group commit). Nothing of a later Ready overtakes an earlier one's persist, so a
 * message never leaves before the state it depends on is on disk.
 *
 * <p>Used only from the Raft node actor, so it needs no synchronization.
 */
final class ReadyPipeline {

  /** What the pipeline asks the node to do. */
  interface Effects {
    /** Start a durable write; the node calls {@link #onPersisted(long)} when it completes. */
    void persist(long seq, PersistBatch batch);

    /** The Ready's state is durable: send, apply and answer reads. */
    void release(Ready ready, List<Runnable> replies, LogEntry lastPersisted);
  }

  private final Effects effects;
  private long nextSeq = 1;

  private long inFlightSeq;
  private Ready inFlight;
  private List<Runnable> inFlightReplies;

  private Ready queued;
  private List<Runnable> queuedReplies = new ArrayList<>();

  ReadyPipeline(Effects effects) {
    this.effects = effects;
  }

  /** Hands over a Ready and, optionally, a reply that must wait for it (a Raft response). */
  void submit(Ready ready, Runnable reply) {
    if (ready.isEmpty() && reply == null) return;
    queued = queued == null ? ready : queued.then(ready);
    if (reply != null) queuedReplies.add(reply);
    if (inFlight == null) startNext();
  }

  boolean persistInFlight() {
    return inFlight != null;
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
    if (queued != null) startNext();
  }

  private void startNext() {
    Ready next = queued;
    List<Runnable> replies = queuedReplies;
    queued = null;
    queuedReplies = new ArrayList<>();
    if (!next.needsPersist()) {
      effects.release(next, replies, null);
      return;
    }
    inFlight = next;
    inFlightReplies = replies;
    inFlightSeq = nextSeq++;
    effects.persist(inFlightSeq, new PersistBatch(next.hardState(), next.truncateFrom(), next.entries()));
  }

  private static LogEntry lastOf(List<LogEntry> entries) {
    return entries.isEmpty() ? null : entries.get(entries.size() - 1);
  }
}
