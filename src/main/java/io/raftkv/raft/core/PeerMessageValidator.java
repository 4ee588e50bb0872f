package io.raftkv.raft.core;

import java.util.List;

/**
 * Checks that a peer's message is well formed before the core acts on it. The core's rules assume
 * what a correct peer always sends (entries numbered on from {@code prevLogIndex}, terms that only
 * grow along the log, nothing beyond the sender's own term); a message that breaks them can only
 * come from a bug, a corrupted frame or a process that is not a raftkv peer, and acting on it could
 * throw inside the core or move its term to a value no real leader reaches again (a term of
 * {@code Long.MAX_VALUE} would leave the cluster unable to elect anyone, since §5.2 elections need
 * a higher term). Such a message is dropped whole.
 *
 * <p>Pure and stateless; {@link #check} answers null for a sound message and otherwise a sentence
 * saying what is wrong with it.
 */
public final class PeerMessageValidator {
  /**
   * Upper bound (exclusive) for every term and index: 2^48. A cluster electing a leader every
   * millisecond would need thousands of years to reach it, while a garbage value (or an unsigned
   * wire value read as a negative long) lands above it with near certainty.
   */
  public static final long MAX_TERM_OR_INDEX = 1L << 48;

  /** Upper bound for a heartbeat round number (readSeq); it grows many times a second. */
  public static final long MAX_READ_SEQ = 1L << 62;

  private PeerMessageValidator() {}

  /** Null when {@code m} is well formed, else why it is not. */
  public static String check(RaftMessage m) {
    if (m == null) return "no message";
    if (m.from() <= 0) return "sender id " + m.from() + " is not a node id";
    if (m.to() <= 0) return "receiver id " + m.to() + " is not a node id";
    if (m.from() == m.to()) return "a node never sends to itself (from = to = " + m.from() + ")";
    if (m.term() < 0 || m.term() >= MAX_TERM_OR_INDEX) return "term " + m.term() + " is out of range";
    if (m instanceof RaftMessage.RequestVote rv) return checkRequestVote(rv);
    if (m instanceof RaftMessage.AppendEntries ae) return checkAppendEntries(ae);
    if (m instanceof RaftMessage.TimeoutNow tn) return tn.term() == 0 ? "TimeoutNow in term 0" : null;
    if (m instanceof RaftMessage.InstallSnapshot is) return checkInstallSnapshot(is);
    if (m instanceof RaftMessage.AppendEntriesResponse r) {
      String bad = index("matchIndex", r.matchIndex());
      if (bad == null) bad = index("conflictIndex", r.conflictIndex());
      if (bad == null) bad = index("prevLogIndex", r.prevLogIndex());
      if (bad == null && (r.readSeq() < 0 || r.readSeq() >= MAX_READ_SEQ)) bad = "readSeq " + r.readSeq() + " is out of range";
      return bad;
    }
    if (m instanceof RaftMessage.InstallSnapshotResponse r) return index("matchIndex", r.matchIndex());
    return null; // RequestVoteResponse, TimeoutNowResponse: the common checks cover them
  }

  /**
   * The answer node {@code self} gives a malformed request: a refusal in its own {@code term},
   * which changes nothing at the sender that reads it. It never echoes a heartbeat round: its
   * term may be one the sender leads by the time it arrives, and the echo would then confirm a
   * read round this node never took part in (thesis §6.4).
   */
  public static RaftMessage.Response refusal(RaftMessage.Request request, long self, long term) {
    long to = request.from();
    if (request instanceof RaftMessage.RequestVote rv) {
      return new RaftMessage.RequestVoteResponse(self, to, term, false, rv.preVote());
    }
    if (request instanceof RaftMessage.AppendEntries) {
      return new RaftMessage.AppendEntriesResponse(self, to, term, false, 0, 0, 0, 0);
    }
    if (request instanceof RaftMessage.TimeoutNow) return new RaftMessage.TimeoutNowResponse(self, to, term, false);
    return new RaftMessage.InstallSnapshotResponse(self, to, term, false, 0);
  }

  private static String checkRequestVote(RaftMessage.RequestVote m) {
    if (m.term() == 0) return "RequestVote in term 0";
    String bad = index("lastLogIndex", m.lastLogIndex());
    if (bad != null) return bad;
    if (m.lastLogTerm() < 0 || m.lastLogTerm() > m.term()) {
      // §5.4.1: a candidate's last entry comes from a term no later than the one it campaigns in.
      return "lastLogTerm " + m.lastLogTerm() + " is beyond the election's term " + m.term();
    }
    if (m.lastLogIndex() == 0 && m.lastLogTerm() != 0) return "an empty log has no last term";
    return null;
  }

  private static String checkAppendEntries(RaftMessage.AppendEntries m) {
    if (m.term() == 0) return "AppendEntries in term 0";
    String bad = index("prevLogIndex", m.prevLogIndex());
    if (bad == null) bad = index("leaderCommit", m.leaderCommit());
    if (bad != null) return bad;
    if (m.readSeq() < 0 || m.readSeq() >= MAX_READ_SEQ) return "readSeq " + m.readSeq() + " is out of range";
    if (m.prevLogTerm() < 0 || m.prevLogTerm() > m.term()) {
      return "prevLogTerm " + m.prevLogTerm() + " is beyond the leader's term " + m.term();
    }
    if (m.prevLogIndex() == 0 && m.prevLogTerm() != 0) return "prevLogIndex 0 has no term, got " + m.prevLogTerm();
    List<LogEntry> entries = m.entries();
    if (m.prevLogIndex() + entries.size() >= MAX_TERM_OR_INDEX) return "the entries run past the index range";
    long previousTerm = m.prevLogTerm();
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      long expected = m.prevLogIndex() + 1 + i;
      if (e.index() != expected) {
        // §5.3: entries follow prevLogIndex without gaps; anything else cannot be placed in a log.
        return "entry " + i + " has index " + e.index() + " where " + expected + " was expected";
      }
      if (e.term() < 1 || e.term() > m.term()) {
        return "entry " + e.index() + " has term " + e.term() + ", outside 1.." + m.term();
      }
      if (e.term() < previousTerm) {
        // Terms never decrease along a log (§5.3, Log Matching).
        return "entry " + e.index() + " has term " + e.term() + ", lower than the term " + previousTerm + " before it";
      }
      previousTerm = e.term();
    }
    return null;
  }

  private static String checkInstallSnapshot(RaftMessage.InstallSnapshot m) {
    if (m.term() == 0) return "InstallSnapshot in term 0";
    if (m.lastIncludedIndex() < 1 || m.lastIncludedIndex() >= MAX_TERM_OR_INDEX) {
      return "lastIncludedIndex " + m.lastIncludedIndex() + " is out of range";
    }
    if (m.lastIncludedTerm() < 1 || m.lastIncludedTerm() > m.term()) {
      return "lastIncludedTerm " + m.lastIncludedTerm() + " is outside 1.." + m.term();
    }
    if (m.membership() == null || m.membership().voters().isEmpty()) {
      return "the snapshot's membership has no voters";
    }
    return null;
  }

  private static String index(String name, long value) {
    return value < 0 || value >= MAX_TERM_OR_INDEX ? name + " " + value + " is out of range" : null;
  }
}
