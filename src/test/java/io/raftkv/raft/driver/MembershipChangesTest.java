package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.Ready;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The leader's queue of membership changes over a real core, with time passed in by the test:
 * a join that fails after its learner was added takes the learner out again, and the member
 * cap holds.
 */
class MembershipChangesTest {
  static final RaftConfig RAFT = new RaftConfig(10, 20, 2, 64, 1 << 20, 8, true, true);
  static final Membership THREE = Membership.ofVoters(List.of(
      new Member(1, "mem:1", "h:1"), new Member(2, "mem:2", "h:2"), new Member(3, "mem:3", "h:3")));
  static final Member FOUR = new Member(4, "mem:4", "h:4");
  static final long SECOND = 1_000_000_000L;
  static final long SILENCE_TICKS = 5;

  static ActorTestKit kit;

  @BeforeAll
  static void startKit() {
    kit = ActorTestKit.create();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  /** Node 1 leads THREE and has committed an entry of its term; nodes 2 and 3 answer. */
  static RaftCore leader() {
    RaftCore core = new RaftCore(1, RAFT, new Random(1), new HardState(0, 0), 0, 0, List.of(), 0, Membership.EMPTY);
    core.bootstrap(THREE);
    core.tick();
    core.step(new RaftMessage.RequestVoteResponse(2, 1, core.term() + 1, true, true));
    core.step(new RaftMessage.RequestVoteResponse(2, 1, core.term(), true, false));
    assertTrue(core.isLeader());
    settle(core);
    assertTrue(core.hasCommittedInTerm());
    return core;
  }

  /** Persists what the core appended and has nodes 2 and 3 acknowledge all of it. */
  static void settle(RaftCore core) {
    Ready r = core.ready();
    if (!r.entries().isEmpty()) {
      LogEntry last = r.entries().get(r.entries().size() - 1);
      core.persisted(last.index(), last.term());
    }
    for (long peer = 2; peer <= 3; peer++) {
      core.step(new RaftMessage.AppendEntriesResponse(peer, 1, core.term(), true, core.lastIndex(), 0, 0, 0));
    }
    core.ready();
  }

  static MembershipChanges changes(int maxMembers) {
    return new MembershipChanges(maxMembers, SILENCE_TICKS, 30 * SECOND);
  }

  @Test
  void aJoinThatTimesOutWhileCatchingUpRemovesItsLearner() {
    RaftCore core = leader();
    MembershipChanges changes = changes(9);
    TestProbe<AdminOutcome> client = kit.createTestProbe();
    long now = 0;
    changes.join(FOUR, client.getRef()::tell, now + 10 * SECOND);
    changes.drive(core, now);
    assertTrue(core.membership().learners().containsKey(4L), "added as a learner");
    settle(core);
    changes.drive(core, now);
    client.expectNoMessage(java.time.Duration.ofMillis(50)); // catching up: node 4 has nothing yet
    // Node 4 answers (so it is not silent) but never catches up before the deadline.
    core.step(new RaftMessage.AppendEntriesResponse(4, 1, core.term(), false, 0, 1, core.lastIndex(), 0));
    changes.drive(core, now + 11 * SECOND);
    AdminOutcome.Timeout timeout = assertInstanceOf(AdminOutcome.Timeout.class, client.receiveMessage());
    assertTrue(timeout.reason().contains("did not catch up"), timeout.reason());
    assertTrue(timeout.reason().contains("being removed"), timeout.reason());
    assertFalse(core.membership().contains(4), "the learner's removal is proposed");
    settle(core);
    assertFalse(core.configPending(), "and commits");
    changes.drive(core, now + 11 * SECOND);
    assertTrue(changes.isEmpty(), "the clean-up is done");
    client.expectNoMessage(java.time.Duration.ofMillis(50)); // it answers nobody: the client already has its 504
  }

  @Test
  void aLearnerThatNeverAnswersIsGivenUpBeforeTheDeadline() {
    RaftCore core = leader();
    MembershipChanges changes = changes(9);
    TestProbe<AdminOutcome> client = kit.createTestProbe();
    changes.join(FOUR, client.getRef()::tell, 100 * SECOND);
    changes.drive(core, 0);
    settle(core);
    for (int i = 0; i < SILENCE_TICKS; i++) {
      core.tick();
      changes.drive(core, 0);
    }
    AdminOutcome.Timeout timeout = assertInstanceOf(AdminOutcome.Timeout.class, client.receiveMessage());
    assertTrue(timeout.reason().contains("has not answered"), timeout.reason());
    assertFalse(core.membership().contains(4));
  }

  @Test
  void aSilentLearnerLeftByAnEarlierLeaderIsRemoved() {
    RaftCore core = leader();
    MembershipChanges earlier = changes(9);
    earlier.join(FOUR, kit.<AdminOutcome>createTestProbe().getRef()::tell, 100 * SECOND);
    earlier.drive(core, 0);
    settle(core);
    earlier.failAll(); // as when leadership moved: nobody is waiting for node 4 any more
    MembershipChanges changes = changes(9);
    changes.drive(core, 0);
    assertTrue(core.membership().learners().containsKey(4L), "not silent long enough yet");
    for (int i = 0; i < SILENCE_TICKS; i++) core.tick();
    changes.drive(core, 0);
    changes.drive(core, 0);
    assertFalse(core.membership().contains(4), "an unreachable learner does not stay a member for good");
  }

  @Test
  void aJoinBeyondMaxMembersIsRefusedButARejoinSucceeds() {
    RaftCore core = leader();
    MembershipChanges changes = changes(3);
    TestProbe<AdminOutcome> client = kit.createTestProbe();
    changes.join(FOUR, client.getRef()::tell, 10 * SECOND);
    changes.drive(core, 0);
    AdminOutcome.Invalid refused = assertInstanceOf(AdminOutcome.Invalid.class, client.receiveMessage());
    assertTrue(refused.reason().contains("max_members = 3"), refused.reason());
    assertFalse(core.membership().contains(4));
    changes.join(new Member(2, "mem:2", "h:2"), client.getRef()::tell, 10 * SECOND);
    changes.drive(core, 0);
    assertEquals(new AdminOutcome.Done("Node 2 joined the cluster successfully"), client.receiveMessage());
  }
}
