package io.raftkv.raft.core;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;

/**
 * The receiving half of log replication (§5.3): checks that an AppendEntries fits the log at
 * {@code prevLogIndex}, replaces whatever conflicts with it, and advances the commit index as far
 * as the message vouches for. The core applies the term rules first and changes its log through
 * {@link RaftCore#appendLocal} and {@link RaftCore#truncateLocal}, which keep its bookkeeping.
 */
final class LogReceiver {
  private final RaftCore core;
  private final RaftLog log;

  LogReceiver(RaftCore core, RaftLog log) {
    this.core = core;
    this.log = log;
  }

  /**
   * True when {@code m} carries an entry whose term differs from one of our committed entries,
   * which a legitimate leader's log never does (Leader Completeness, §5.4).
   */
  boolean conflictsWithCommitted(AppendEntries m) {
    for (LogEntry e : m.entries()) {
      if (e.index() > core.commitIndex()) return false;
      if (e.index() < log.firstIndex()) continue;
      long existing = log.term(e.index());
      if (existing != -1 && existing != e.term()) return true;
    }
    return false;
  }

  /** Takes the entries of an AppendEntries from the current leader of the current term. */
  AppendEntriesResponse append(AppendEntries m) {
    if (m.prevLogIndex() > log.lastIndex()) {
      return reject(m, log.lastIndex() + 1);
    }
    if (m.prevLogIndex() >= log.firstIndex() - 1 && !log.matches(m.prevLogIndex(), m.prevLogTerm())) {
      // Skip back over the whole conflicting term, but never below what we know is committed.
      long hint = Math.max(log.firstIndexOfTermAt(m.prevLogIndex()), core.commitIndex() + 1);
      return reject(m, Math.min(hint, m.prevLogIndex()));
    }
    for (LogEntry e : m.entries()) {
      if (e.index() < log.firstIndex()) continue;
      long existing = log.term(e.index());
      if (existing == e.term()) continue; // already have it: a duplicate or reordered message
      if (existing != -1) {
        // §5.3: a conflicting entry and all that follow it are deleted. conflictsWithCommitted
        // has already refused any message that would reach a committed one.
        core.truncateLocal(e.index());
      }
      core.appendLocal(e);
    }
    long lastNew = m.lastIndex();
    // Only up to the last entry this message vouches for: beyond it our log may still differ.
    core.commitTo(Math.min(m.leaderCommit(), lastNew));
    return new AppendEntriesResponse(core.id(), m.from(), core.term(), true, lastNew, 0, m.prevLogIndex(), m.readSeq());
  }

  /** Refuses {@code m}, telling the leader to look for a match at {@code conflictIndex} or below. */
  AppendEntriesResponse reject(AppendEntries m, long conflictIndex) {
    return new AppendEntriesResponse(
        core.id(), m.from(), core.term(), false, 0, conflictIndex, m.prevLogIndex(), m.readSeq());
  }
}
