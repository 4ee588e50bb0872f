package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.InstallSnapshot;
import io.raftkv.raft.core.RaftMessage.RequestVote;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerMessageValidatorTest {
  private static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "a:1", "a:2", 7)));

  private static LogEntry e(long index, long term) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, new byte[] {1});
  }

  private static String check(RaftMessage m) {
    return PeerMessageValidator.check(m);
  }

  @Test
  void aRefusalOfAMalformedAppendNeverEchoesItsHeartbeatRound() {
    // The refusal carries this node's term, which the sender may lead by the time it arrives:
    // echoing readSeq would confirm a read round this node never saw (thesis §6.4).
    RaftMessage.AppendEntriesResponse r = (RaftMessage.AppendEntriesResponse)
        PeerMessageValidator.refusal(new AppendEntries(1, 2, 5, 3, 4, List.of(e(5, 5)), 3, 7), 2, 6);
    org.junit.jupiter.api.Assertions.assertEquals(0, r.readSeq());
    org.junit.jupiter.api.Assertions.assertEquals(6, r.term());
  }

  @Test
  void soundMessagesPass() {
    assertNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(e(4, 4), e(5, 5)), 3, 9)));
    assertNull(check(new AppendEntries(1, 2, 5, 0, 0, List.of(), 0, 0)), "a heartbeat to an empty log");
    assertNull(check(new RequestVote(1, 2, 5, 10, 5, true)));
    assertNull(check(new RequestVote(1, 2, 1, 0, 0, false)));
    assertNull(check(new RaftMessage.TimeoutNow(1, 2, 5)));
    assertNull(check(new InstallSnapshot(1, 2, 5, 100, 4, ONE)));
    assertNull(check(new RaftMessage.AppendEntriesResponse(2, 1, 5, true, 10, 0, 9, 3)));
  }

  @Test
  void entriesMustFollowPrevLogIndexWithoutGaps() {
    String gap = check(new AppendEntries(1, 2, 5, 3, 4, List.of(e(5, 5)), 3, 0));
    assertNotNull(gap);
    assertTrue(gap.contains("index 5 where 4 was expected"), gap);
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(e(4, 5), e(4, 5)), 3, 0)), "a repeated index");
  }

  @Test
  void entryTermsMustNotDecreaseNorExceedTheMessageTermNorFallBelowPrevLogTerm() {
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(e(4, 5), e(5, 4)), 3, 0)), "decreasing");
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(e(4, 6)), 3, 0)), "beyond the message term");
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(e(4, 3)), 3, 0)), "below prevLogTerm");
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 6, List.of(), 3, 0)), "prevLogTerm beyond the term");
    assertNotNull(check(new AppendEntries(1, 2, 5, 0, 2, List.of(), 0, 0)), "index 0 has no term");
  }

  @Test
  void termsAndIndicesOutsideTheSaneRangeAreRefused() {
    long huge = PeerMessageValidator.MAX_TERM_OR_INDEX;
    assertNotNull(check(new AppendEntries(1, 2, Long.MAX_VALUE, 0, 0, List.of(), 0, 0)));
    assertNotNull(check(new AppendEntries(1, 2, huge, 0, 0, List.of(), 0, 0)));
    assertNull(check(new AppendEntries(1, 2, huge - 1, 0, 0, List.of(), 0, 0)), "just below the bound is fine");
    assertNotNull(check(new AppendEntries(1, 2, -1, 0, 0, List.of(), 0, 0)), "an unsigned wire value read as negative");
    assertNotNull(check(new AppendEntries(1, 2, 5, -3, 0, List.of(), 0, 0)));
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(), huge, 0)), "leaderCommit");
    assertNotNull(check(new AppendEntries(1, 2, 5, 3, 4, List.of(), 3, -1)), "readSeq");
    assertNotNull(check(new RequestVote(1, 2, Long.MAX_VALUE, 1, 1, false)));
    assertNotNull(check(new RequestVote(1, 2, 5, 1, 6, false)), "last log term beyond the election's term");
    assertNotNull(check(new RaftMessage.TimeoutNow(1, 2, Long.MAX_VALUE)));
    assertNotNull(check(new RaftMessage.AppendEntriesResponse(2, 1, Long.MAX_VALUE, true, 1, 0, 0, 0)));
    assertNotNull(check(new RaftMessage.AppendEntriesResponse(2, 1, 5, true, -1, 0, 0, 0)));
    assertNotNull(check(new RaftMessage.RequestVoteResponse(2, 1, -7, true, false)));
  }

  @Test
  void senderAndReceiverMustBeNodeIds() {
    assertNotNull(check(new AppendEntries(0, 2, 5, 0, 0, List.of(), 0, 0)));
    assertNotNull(check(new AppendEntries(1, -2, 5, 0, 0, List.of(), 0, 0)));
    assertNotNull(check(new AppendEntries(2, 2, 5, 0, 0, List.of(), 0, 0)), "to itself");
  }

  @Test
  void snapshotHeadersMustBeSane() {
    assertNotNull(check(new InstallSnapshot(1, 2, 5, 0, 4, ONE)), "index 0");
    assertNotNull(check(new InstallSnapshot(1, 2, 5, 10, 6, ONE)), "term beyond the message term");
    assertNotNull(check(new InstallSnapshot(1, 2, 5, 10, 0, ONE)), "term 0");
    assertNotNull(check(new InstallSnapshot(1, 2, 5, 10, 4, Membership.EMPTY)), "no voters");
    assertNotNull(check(new InstallSnapshot(1, 2, 5, Long.MAX_VALUE, 4, ONE)));
  }
}
