package io.raftkv.raft.core;

import static io.raftkv.raft.core.RaftCoreTest.committedLeader;
import static io.raftkv.raft.core.RaftCoreTest.sent;
import static io.raftkv.raft.core.RaftCoreTest.tick;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leader's guards around membership changes and follower reports: the strict
 * reconfiguration check, the force rule below three voters, and the clamp of a reported
 * matchIndex to what was actually sent.
 */
class ReconfigurationSafetyTest {
  static final Membership FOUR = RaftCoreTest.THREE.withLearner(new Member(4, "n4:1", "n4:2")).promote(4);

  /** committedLeader() has heard from node 2 (at its last tick); this makes node 3 answer too. */
  static void hearFrom3(RaftCore c) {
    c.step(new AppendEntriesResponse(3, 1, 4, true, 2, 0, 1, 0));
    c.ready();
  }

  /** committedLeader(), having led for an election timeout with node 2 answering and node 3 silent. */
  static RaftCore settledLeaderWith3Silent() {
    RaftCore c = committedLeader();
    for (int i = 0; i < RaftCoreTest.CONFIG.electionTicksMin(); i++) {
      tick(c, 1);
      c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 2, 0));
    }
    assertEquals(Role.LEADER, c.role());
    return c;
  }

  @Test
  void aLeaderTooYoungToKnowWhoIsDownAsksToRetry() {
    RaftCore c = committedLeader(); // elected moments ago; node 3 has not answered yet
    assertInstanceOf(ProposeResult.Rejected.class, c.proposeConfChange(new ConfChange.Remove(2), true),
        "node 3 may only be slow to answer a new leader: not a final refusal");
  }

  @Test
  void removingAHealthyVoterIsRefusedWhileAnotherVoterIsSilent() {
    RaftCore c = settledLeaderWith3Silent();
    long last = c.lastIndex();
    ProposeResult r = c.proposeConfChange(new ConfChange.Remove(2), true);
    ProposeResult.Refused refused = assertInstanceOf(ProposeResult.Refused.class, r);
    assertEquals(ProposeResult.Refused.Rule.VOTERS_UNREACHABLE, refused.rule());
    assertTrue(refused.reason().contains("[3]"), "names the silent voter: " + refused.reason());
    assertEquals(last, c.lastIndex(), "nothing was appended");
    assertEquals(Role.LEADER, c.role(), "a refusal costs the leader nothing");
    assertInstanceOf(ProposeResult.Accepted.class, c.propose(LogEntry.Kind.COMMAND, new byte[] {7}),
        "and it still takes writes");
  }

  @Test
  void removingTheSilentVoterItselfIsAllowed() {
    RaftCore c = committedLeader();
    // Nodes 1 and 2 answer, and are all of the new configuration: it can commit.
    assertInstanceOf(ProposeResult.Accepted.class, c.proposeConfChange(new ConfChange.Remove(3), true));
  }

  @Test
  void theSameRemovalIsAllowedOnceEveryVoterAnswers() {
    RaftCore c = committedLeader();
    hearFrom3(c);
    assertInstanceOf(ProposeResult.Accepted.class, c.proposeConfChange(new ConfChange.Remove(2), true));
  }

  @Test
  void aVoterHeardLongerAgoThanAnElectionTimeoutCountsAsDown() {
    RaftCore c = committedLeader();
    hearFrom3(c);
    // Node 2 keeps answering; node 3 falls silent for a whole election timeout.
    for (int i = 0; i < RaftCoreTest.CONFIG.electionTicksMin(); i++) {
      tick(c, 1);
      c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 2, 0));
    }
    assertEquals(Role.LEADER, c.role());
    assertTrue(c.ledForAnElectionTimeout());
    ProposeResult r = c.proposeConfChange(new ConfChange.Remove(2), true);
    assertEquals(ProposeResult.Refused.Rule.VOTERS_UNREACHABLE, assertInstanceOf(ProposeResult.Refused.class, r).rule());
  }

  @Test
  void goingBelowThreeVotersNeedsForce() {
    RaftCore c = committedLeader();
    hearFrom3(c);
    ProposeResult r = c.proposeConfChange(new ConfChange.Remove(3));
    ProposeResult.Refused refused = assertInstanceOf(ProposeResult.Refused.class, r);
    assertEquals(ProposeResult.Refused.Rule.NEEDS_FORCE, refused.rule());
    assertTrue(refused.reason().contains("\"force\": true"), refused.reason());
    assertInstanceOf(ProposeResult.Accepted.class, c.proposeConfChange(new ConfChange.Remove(3), true));
  }

  @Test
  void forceRuleOnlyGuardsVoterRemovalsBelowThree() {
    ConfChange removeFour = new ConfChange.Remove(4);
    assertNull(ReconfigurationRules.forceRefusal(removeFour, FOUR, false), "4 -> 3 voters keeps fault tolerance");
    Membership withLearner = RaftCoreTest.THREE.withLearner(new Member(4, "n4:1", "n4:2"));
    assertNull(ReconfigurationRules.forceRefusal(removeFour, withLearner, false), "a learner's removal keeps 3 voters");
    assertTrue(ReconfigurationRules.forceRefusal(new ConfChange.Remove(1), RaftCoreTest.THREE, false).contains("force"));
    assertNull(ReconfigurationRules.forceRefusal(new ConfChange.Remove(1), RaftCoreTest.THREE, true));
  }

  @Test
  void theLastVoterCannotBeRemovedEvenWithForce() {
    Membership one = Membership.ofVoters(List.of(new Member(1, "n1:1", "n1:2")));
    RaftCore c = new RaftCore(1, RaftCoreTest.CONFIG, new java.util.Random(1), new HardState(0, 0), 0, 0, List.of(), 0,
        Membership.EMPTY);
    c.bootstrap(one);
    tick(c, 1);
    c.ready();
    c.persisted(1, 1);
    tick(c, 1);
    c.ready();
    c.persisted(2, c.term());
    assertTrue(c.isLeader());
    assertTrue(c.hasCommittedInTerm());
    ProposeResult r = c.proposeConfChange(new ConfChange.Remove(1), true);
    assertEquals(ProposeResult.Refused.Rule.INVALID, assertInstanceOf(ProposeResult.Refused.class, r).rule());
  }

  @Test
  void strictCheckCountsTheLeaderOnlyIfItStaysAVoter() {
    // The leader removes itself from {1, 2, 3} while node 3 is silent: {2, 3} has one voter that answers.
    String refusal = ReconfigurationRules.unreachableVotersRefusal(
        RaftCoreTest.THREE.without(1), 1, voter -> voter == 2);
    assertTrue(refusal != null && refusal.contains("[3]"), String.valueOf(refusal));
    assertNull(ReconfigurationRules.unreachableVotersRefusal(RaftCoreTest.THREE.without(3), 1, voter -> voter == 2));
  }

  @Test
  void aMatchIndexBeyondWhatWasSentCannotAdvanceCommit() {
    RaftCore c = committedLeader(); // entries up to 2 were sent to both followers
    c.propose(LogEntry.Kind.COMMAND, new byte[] {1}); // index 3, appended but not yet sent
    c.persisted(3, 4);
    c.step(new AppendEntriesResponse(3, 1, 4, true, 3, 0, 2, 0));
    assertEquals(2, c.matchIndexOf(3), "node 3 was never sent index 3");
    assertEquals(2, c.commitIndex(), "a lie does not make a majority");
    c.step(new AppendEntriesResponse(2, 1, 4, true, 1_000_000, 0, 2, 0));
    assertEquals(2, c.matchIndexOf(2));
    assertEquals(2, c.commitIndex());
    Ready r = c.ready();
    assertTrue(sent(r, AppendEntries.class).stream().anyMatch(a -> a.to() == 3 && a.lastIndex() == 3));
    c.step(new AppendEntriesResponse(3, 1, 4, true, 50, 0, 2, 0));
    assertEquals(3, c.matchIndexOf(3), "clamped to the last index sent");
    assertEquals(3, c.commitIndex(), "once really sent, the acknowledgement counts");
  }

  @Test
  void aSnapshotAnswerIsBelievedOnlyUpToTheSnapshotSent() {
    RaftCore c = committedLeader();
    for (int i = 0; i < 3; i++) c.propose(LogEntry.Kind.COMMAND, new byte[] {(byte) i});
    c.ready();
    c.persisted(5, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 5, 0, 2, 0));
    c.ready();
    c.compact(4, RaftCoreTest.THREE);
    c.step(new AppendEntriesResponse(3, 1, 4, false, 0, 1, 2, 0));
    assertEquals(List.of(3L), c.ready().sendSnapshotTo());
    c.snapshotSent(3, 4);
    c.step(new RaftMessage.InstallSnapshotResponse(3, 1, 4, true, 99));
    assertEquals(4, c.matchIndexOf(3), "the snapshot covered index 4, not 99");
  }

  @Test
  void aTransferGoesToTheMostCaughtUpVoterThatAnswers() {
    RaftCore c = committedLeader();
    hearFrom3(c);
    c.propose(LogEntry.Kind.COMMAND, new byte[] {1});
    c.ready();
    c.persisted(3, 4);
    c.step(new AppendEntriesResponse(3, 1, 4, true, 3, 0, 2, 0)); // node 3 holds more than node 2
    assertEquals(3, c.mostCaughtUpVoter());
    // Node 3 then falls silent for an election timeout while node 2 keeps answering.
    for (int i = 0; i < RaftCoreTest.CONFIG.electionTicksMin(); i++) {
      tick(c, 1);
      c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 2, 0));
    }
    assertEquals(2, c.mostCaughtUpVoter(), "a voter that is down cannot take over");
  }

  @Test
  void silentTicksCountFromWhenALearnerWasAddedUntilItAnswers() {
    RaftCore c = committedLeader();
    hearFrom3(c);
    assertInstanceOf(ProposeResult.Accepted.class,
        c.proposeConfChange(new ConfChange.AddLearner(new Member(4, "n4:1", "n4:2"))));
    c.ready();
    tick(c, 5);
    assertEquals(5, c.silentTicks(4));
    c.step(new AppendEntriesResponse(4, 1, 4, false, 0, 1, 3, 0));
    assertEquals(0, c.silentTicks(4), "a rejection is still an answer");
  }
}
