package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The output a core accumulates between two {@link Ready}s: whether the hard state changed, which
 * part of the log is new or was truncated, the messages to send, the reads answered, a received
 * snapshot to install, the peers that need a snapshot, and the committed entries not yet handed
 * out for applying. Handing those out is bounded by an {@link ApplyWindow}, so a long backlog
 * reaches the state machine in batches rather than all at once.
 */
final class ReadyBuilder {
  private final RaftLog log;
  private final ApplyWindow applying;
  private boolean hardStateDirty;
  /** The lowest log index appended (or rewritten) since the last Ready. */
  private long dirtyFrom = Long.MAX_VALUE;
  private boolean truncated;
  private final ArrayList<RaftMessage> messages = new ArrayList<>();
  private final ArrayList<ReadState> readStates = new ArrayList<>();
  private Ready.SnapshotInstall install;
  private final ArrayList<Long> snapshotTo = new ArrayList<>();
  /** The highest index handed to the driver for applying. */
  private long handedToApply;

  ReadyBuilder(RaftLog log, long appliedIndex, LogLimits limits) {
    this.log = log;
    this.applying = new ApplyWindow(limits.maxApplyingBytes());
    this.handedToApply = appliedIndex;
  }

  void hardStateChanged() {
    hardStateDirty = true;
  }

  /** The entry at {@code index} was appended to the log and must be persisted. */
  void appended(long index) {
    dirtyFrom = Math.min(dirtyFrom, index);
  }

  /** The log was cut from {@code from} on: storage must drop what it holds there. */
  void truncatedFrom(long from) {
    dirtyFrom = Math.min(dirtyFrom, from);
    truncated = true;
  }

  void send(RaftMessage m) {
    messages.add(m);
  }

  /** Where answered (or failed) reads go. */
  List<ReadState> readStates() {
    return readStates;
  }

  void sendSnapshotTo(long peer) {
    snapshotTo.add(peer);
  }

  /**
   * A received snapshot replaces everything up to its index. If the log after it is kept, only
   * entries beyond it remain to persist; otherwise nothing earlier does, and the install itself
   * clears the stored log. What was handed out for applying is applied (or overtaken) ahead of it.
   */
  void snapshotInstalled(Ready.SnapshotInstall snapshot) {
    if (snapshot.keepLogAfterIndex()) {
      dirtyFrom = Math.max(dirtyFrom, snapshot.index() + 1);
    } else {
      dirtyFrom = Long.MAX_VALUE;
      truncated = false;
    }
    handedToApply = snapshot.index();
    applying.clear();
    install = snapshot;
  }

  long handedToApply() {
    return handedToApply;
  }

  /** Whether committed entries wait to be handed out (the apply window was full). */
  boolean hasCommittedToHandOut(long commitIndex) {
    return commitIndex > handedToApply && !applying.isFull();
  }

  /** The driver applied every entry up to {@code index}: those bytes leave the apply window. */
  void appliedTo(long index) {
    applying.appliedTo(index);
  }

  /** Collects everything accumulated into a Ready and starts afresh. */
  Ready build(long term, long votedFor, long commitIndex) {
    HardState hs = hardStateDirty ? new HardState(term, votedFor) : null;
    List<LogEntry> newEntries = List.of();
    if (dirtyFrom <= log.lastIndex()) {
      newEntries = log.slice(Math.max(dirtyFrom, log.firstIndex()), log.lastIndex(), Integer.MAX_VALUE, Long.MAX_VALUE);
    }
    long truncateFrom = truncated ? Math.max(dirtyFrom, log.firstIndex()) : 0;
    List<LogEntry> committed = nextToApply(commitIndex);
    Ready r = new Ready(hs, truncateFrom, newEntries, messages, committed, readStates, install, snapshotTo);
    install = null;
    snapshotTo.clear();
    hardStateDirty = false;
    dirtyFrom = Long.MAX_VALUE;
    truncated = false;
    messages.clear();
    readStates.clear();
    return r;
  }

  /**
   * The next committed entries to apply, read in one batch bounded by what is still free of the
   * apply window (its first entry always goes, so the window is exceeded by at most one entry and
   * a larger entry never stalls applying), so that applying a long backlog never materializes it whole.
   */
  private List<LogEntry> nextToApply(long commitIndex) {
    if (commitIndex <= handedToApply || applying.isFull()) return List.of();
    List<LogEntry> batch = log.slice(handedToApply + 1, commitIndex, Integer.MAX_VALUE, applying.room());
    if (batch.isEmpty()) {
      // Storage compacts only what the state machine applied, so this entry must still be there.
      throw new IllegalStateException("committed entry " + (handedToApply + 1) + " is missing from storage");
    }
    long bytes = 0;
    for (LogEntry e : batch) bytes += e.sizeBytes();
    handedToApply = batch.get(batch.size() - 1).index();
    applying.handedOut(handedToApply, bytes);
    return batch;
  }
}
