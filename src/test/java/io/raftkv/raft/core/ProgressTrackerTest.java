package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTrackerTest {
  @Test
  void aProbeSendsOneBatchAndWaits() {
    Progress pr = new Progress(10, 0);
    assertEquals(Progress.State.PROBE, pr.state);
    assertTrue(pr.canSend(4));
    pr.sent(20);
    assertFalse(pr.canSend(4), "one probe at a time");
    assertEquals(10, pr.nextIndex, "a probe does not move nextIndex before it is answered");
    assertTrue(pr.updateMatch(20));
    pr.becomeReplicate();
    assertEquals(21, pr.nextIndex);
  }

  @Test
  void replicationPipelinesUpToTheWindowAndEachAnswerFreesIt() {
    Progress pr = new Progress(1, 0);
    pr.updateMatch(10);
    pr.becomeReplicate();
    for (long last = 20; last <= 50; last += 10) {
      assertTrue(pr.canSend(4));
      pr.sent(last);
    }
    assertFalse(pr.canSend(4), "four batches in flight fill the window");
    assertEquals(51, pr.nextIndex, "nextIndex runs ahead of what is acknowledged");
    assertTrue(pr.updateMatch(30));
    assertEquals(2, pr.inflight.size(), "the answer for 30 acknowledges the batches up to it");
    assertTrue(pr.canSend(4));
    assertFalse(pr.updateMatch(25), "an older answer moves nothing");
  }

  @Test
  void aRejectDropsBackToProbingNeverBelowTheMatch() {
    Progress pr = new Progress(1, 0);
    pr.updateMatch(10);
    pr.becomeReplicate();
    pr.sent(20);
    pr.sent(30);
    pr.rejected(5);
    assertEquals(Progress.State.PROBE, pr.state);
    assertEquals(11, pr.nextIndex, "the match is confirmed, so probing starts right after it");
    assertTrue(pr.inflight.isEmpty());
    pr.rejected(15);
    assertEquals(15, pr.nextIndex);
  }

  @Test
  void aStalledPipelineGoesBackToProbing() {
    ProgressTracker t = new ProgressTracker(1);
    t.reset(List.of(1L, 2L), 5, 0);
    Progress pr = t.get(2);
    pr.updateMatch(4);
    pr.becomeReplicate();
    pr.sent(8);
    for (int i = 0; i < 9; i++) t.tickStalls(10);
    assertEquals(Progress.State.REPLICATE, pr.state);
    t.tickStalls(10);
    assertEquals(Progress.State.PROBE, pr.state, "ten ticks without an answer: appends were lost");
    assertEquals(5, pr.nextIndex);
  }

  @Test
  void membersComeAndGoAndOnlyVotersCount() {
    ProgressTracker t = new ProgressTracker(1);
    t.reset(List.of(1L, 2L, 3L), 7, 0);
    assertNull(t.get(1), "a leader does not track itself");
    t.get(2).updateMatch(6);
    t.syncMembers(List.of(1L, 2L, 4L), 9, 3);
    assertNull(t.get(3));
    assertEquals(9, t.get(4).nextIndex);
    assertEquals(6, t.matchIndex(2), "a member that stays keeps its progress");
    t.get(4).updateMatch(9);
    MajorityConfig voters = new MajorityConfig(List.of(1L, 2L));
    // Voters 1 (persisted to 8) and 2 (at 6): 6 is on both; learner 4 at 9 does not count.
    assertEquals(6, t.committedIndex(voters, 8));
    assertEquals(2, t.mostCaughtUpVoter(voters, 3, 10));
  }

  @Test
  void checkQuorumSeesWhoAnsweredSinceTheLastCheck() {
    ProgressTracker t = new ProgressTracker(1);
    MajorityConfig voters = new MajorityConfig(List.of(1L, 2L, 3L));
    t.reset(List.of(1L, 2L, 3L), 1, 0);
    assertFalse(t.quorumActive(voters));
    t.get(3).heard(5);
    assertTrue(t.quorumActive(voters));
    assertTrue(t.heardWithin(3, 10, 6));
    assertFalse(t.heardWithin(3, 11, 6));
    assertEquals(11, t.silentTicks(2, 11), "never heard: silent since tracking began");
    t.resetRecentActive();
    assertFalse(t.quorumActive(voters));
  }

  @Test
  void aReadRoundIsConfirmedOnceAMajorityOfVotersAcknowledgedIt() {
    ProgressTracker t = new ProgressTracker(1);
    MajorityConfig voters = new MajorityConfig(List.of(1L, 2L, 3L, 4L, 5L));
    t.reset(List.of(1L, 2L, 3L, 4L, 5L, 6L), 1, 0);
    t.get(2).readAck = 3;
    t.get(6).readAck = 9; // a learner's acknowledgement proves nothing about leadership
    assertEquals(0, t.confirmedReadRound(voters), "the leader and one follower are two of five");
    t.get(3).readAck = 2;
    assertEquals(2, t.confirmedReadRound(voters), "three of five have acknowledged round 2");
    t.get(4).readAck = 3;
    assertEquals(3, t.confirmedReadRound(voters));
  }

  @Test
  void votesCountOnceAndOnlyFromVoters() {
    ProgressTracker t = new ProgressTracker(1);
    MajorityConfig voters = new MajorityConfig(List.of(1L, 2L, 3L));
    t.recordVote(1, true);
    t.recordVote(4, true);
    assertEquals(MajorityConfig.VoteResult.PENDING, t.tallyVotes(voters));
    t.recordVote(2, false);
    t.recordVote(2, true);
    assertEquals(MajorityConfig.VoteResult.PENDING, t.tallyVotes(voters), "a voter's first answer counts");
    t.recordVote(3, true);
    assertEquals(MajorityConfig.VoteResult.WON, t.tallyVotes(voters));
    t.resetVotes();
    assertEquals(MajorityConfig.VoteResult.PENDING, t.tallyVotes(voters));
  }
}
