package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the core asks its driver to do after some inputs, in the order it must be done:
 * <ol>
 *   <li>persist {@code hardState} (if not null), truncate the log from {@code truncateFrom} (if
 *       not 0) and append {@code entries}, durably (fsync);
 *   <li>only then send {@code messages} (and any response returned by the step), because a vote
 *       or an acknowledgement promises state that must survive a crash (Figure 2);
 *   <li>then apply {@code committed} to the state machine, in order;
 *   <li>and answer the reads in {@code readStates} once the state machine has reached their
 *       index.
 * </ol>
 */
public record Ready(
    HardState hardState,
    long truncateFrom,
    List<LogEntry> entries,
    List<RaftMessage> messages,
    List<LogEntry> committed,
    List<ReadState> readStates,
    SnapshotInstall install,
    List<Long> sendSnapshotTo) {

  /**
   * A received snapshot to make live (§7), before this Ready's entries are appended: the state
   * machine becomes the snapshot, and the log keeps what follows its last entry only if
   * {@code keepLogAfterIndex}.
   */
  public record SnapshotInstall(long index, long term, Membership membership, boolean keepLogAfterIndex) {}

  public static final Ready EMPTY = new Ready(null, 0, List.of(), List.of(), List.of(), List.of());

  public Ready {
    entries = List.copyOf(entries);
    messages = List.copyOf(messages);
    committed = List.copyOf(committed);
    readStates = List.copyOf(readStates);
    sendSnapshotTo = List.copyOf(sendSnapshotTo);
  }

  public Ready(
      HardState hardState,
      long truncateFrom,
      List<LogEntry> entries,
      List<RaftMessage> messages,
      List<LogEntry> committed,
      List<ReadState> readStates) {
    this(hardState, truncateFrom, entries, messages, committed, readStates, null, List.of());
  }

  public boolean needsPersist() {
    return hardState != null || truncateFrom != 0 || !entries.isEmpty() || install != null;
  }

  public boolean isEmpty() {
    return !needsPersist() && messages.isEmpty() && committed.isEmpty() && readStates.isEmpty()
        && sendSnapshotTo.isEmpty();
  }

  /** Whether {@link #then} can merge {@code next} into this one; never across a snapshot install. */
  public boolean canMerge(Ready next) {
    return install == null && next.install == null;
  }

  /**
   * This Ready followed by {@code next}, as one: the basis of group commit, where the outputs of
   * many steps that arrive while a sync is in progress share the next sync.
   */
  public Ready then(Ready next) {
    if (!canMerge(next)) throw new IllegalArgumentException("a Ready with a snapshot install is never merged");
    HardState hs = next.hardState != null ? next.hardState : hardState;
    long tf = truncateFrom;
    List<LogEntry> es = new ArrayList<>();
    if (next.truncateFrom != 0) {
      for (LogEntry e : entries) if (e.index() < next.truncateFrom) es.add(e);
      tf = tf == 0 ? next.truncateFrom : Math.min(tf, next.truncateFrom);
    } else {
      es.addAll(entries);
    }
    es.addAll(next.entries);
    return new Ready(hs, tf, es, concat(messages, next.messages), concat(committed, next.committed),
        concat(readStates, next.readStates), null, concat(sendSnapshotTo, next.sendSnapshotTo));
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    if (a.isEmpty()) return b;
    if (b.isEmpty()) return a;
    List<T> out = new ArrayList<>(a.size() + b.size());
    out.addAll(a);
    out.addAll(b);
    return out;
  }
}
