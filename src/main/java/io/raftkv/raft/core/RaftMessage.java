package io.raftkv.raft.core;

import java.util.List;

/**
 * The messages servers exchange (Figure 2 of the paper). Every message names its sender and
 * receiver and carries the sender's term, so the common term rules (§5.1) apply in one place.
 * Requests get exactly one response from the receiver; the core returns it rather than queueing
 * it so a driver can route it back over the connection the request arrived on.
 */
public sealed interface RaftMessage {
  long from();

  long to();

  long term();

  /** Messages that expect a response. */
  sealed interface Request extends RaftMessage permits RequestVote, AppendEntries, TimeoutNow, InstallSnapshot {}

  /** Responses to {@link Request}s. */
  sealed interface Response extends RaftMessage
      permits RequestVoteResponse, AppendEntriesResponse, TimeoutNowResponse, InstallSnapshotResponse {}

  /**
   * §5.2 RequestVote. With {@code preVote} set it is a PreVote (thesis §9.6): the candidate asks
   * whether it could win an election at {@code term} without disturbing anyone's term or vote.
   */
  record RequestVote(
      long from, long to, long term, long lastLogIndex, long lastLogTerm, boolean preVote, boolean transfer)
      implements Request {
    /**
     * {@code transfer} marks an election the old leader asked for (TimeoutNow): voters then set
     * aside leader stickiness, which would otherwise make them ignore it (thesis §3.10).
     */
    public RequestVote(long from, long to, long term, long lastLogIndex, long lastLogTerm, boolean preVote) {
      this(from, to, term, lastLogIndex, lastLogTerm, preVote, false);
    }
  }

  record RequestVoteResponse(long from, long to, long term, boolean voteGranted, boolean preVote)
      implements Response {}

  /**
   * §5.3 AppendEntries, also used as the heartbeat. {@code readSeq} numbers heartbeat rounds so a
   * leader can tell when a majority has confirmed its leadership for ReadIndex (thesis §6.4).
   */
  record AppendEntries(
      long from,
      long to,
      long term,
      long prevLogIndex,
      long prevLogTerm,
      List<LogEntry> entries,
      long leaderCommit,
      long readSeq)
      implements Request {
    public AppendEntries {
      entries = List.copyOf(entries);
    }

    public long lastIndex() {
      return prevLogIndex + entries.size();
    }
  }

  /**
   * Reply to AppendEntries. On success {@code matchIndex} is the last index known to match the
   * leader's log. On rejection {@code conflictIndex} is where the leader should try next (the
   * first index of the conflicting term, or one past the follower's last entry), which backs up
   * over a whole term per round trip instead of one entry (§5.3, end).
   */
  record AppendEntriesResponse(
      long from,
      long to,
      long term,
      boolean success,
      long matchIndex,
      long conflictIndex,
      long prevLogIndex,
      long readSeq)
      implements Response {}

  /**
   * Leadership transfer (thesis §3.10): the leader tells a caught-up follower to start an
   * election at once, without waiting for its timeout or running a pre-vote.
   */
  record TimeoutNow(long from, long to, long term) implements Request {}

  record TimeoutNowResponse(long from, long to, long term, boolean accepted) implements Response {}

  /**
   * §7 InstallSnapshot, as the core sees it: the snapshot's data has already been received and
   * staged by the driver; this message asks the follower to adopt it.
   */
  record InstallSnapshot(
      long from, long to, long term, long lastIncludedIndex, long lastIncludedTerm, Membership membership)
      implements Request {}

  /** On success {@code matchIndex} is the snapshot's last index, now matching the leader's log. */
  record InstallSnapshotResponse(long from, long to, long term, boolean success, long matchIndex)
      implements Response {}
}
