package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.api.NodeStatus;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaderContactTest {
  private static final Membership FIVE = Membership.ofVoters(List.of(
      new Member(1, "r1", "h1"), new Member(2, "r2", "h2"), new Member(3, "r3", "h3"),
      new Member(4, "r4", "h4"), new Member(5, "r5", "h5")));

  private static NodeStatus follower(long leader) {
    return NodeStatus.builder().nodeId(2).currentLeader(leader).currentLeaderHttp("h" + leader).currentTerm(7)
        .state("Follower").lastLogIndex(10).commitIndex(10).lastAppliedIndex(10).lastAppliedTerm(7)
        .membership(ClientViews.members(FIVE)).build();
  }

  private static NodeStatus leader(long term) {
    return leaderOf(FIVE, term);
  }

  @Test
  void aFollowerCountsFromTheLastTimeItHeardFromItsLeader() {
    LeaderContact c = new LeaderContact();
    assertEquals(LeaderContact.NEVER, c.ageNanos(follower(1), 1_000));
    c.heardFromLeader(1_000);
    assertEquals(500, c.ageNanos(follower(1), 1_500));
    c.heardFromLeader(2_000);
    assertEquals(0, c.ageNanos(follower(1), 2_000));
  }

  @Test
  void aLeaderCountsFromTheNewestAcknowledgementOfAMajority() {
    LeaderContact c = new LeaderContact();
    // Itself and one peer are not a majority of five.
    c.acknowledged(2, 7, 900);
    assertEquals(LeaderContact.NEVER, c.ageNanos(leader(7), 1_000));
    c.acknowledged(3, 7, 400);
    // Majority of five is three: itself (now), node 2 at 900, node 3 at 400.
    assertEquals(600, c.ageNanos(leader(7), 1_000));
    c.acknowledged(4, 7, 800);
    // A newer third acknowledgement (node 4 at 800) makes the majority younger.
    assertEquals(200, c.ageNanos(leader(7), 1_000));
  }

  @Test
  void acknowledgementsOfAnEarlierTermDoNotCount() {
    LeaderContact c = new LeaderContact();
    c.acknowledged(2, 6, 900);
    c.acknowledged(3, 6, 900);
    assertEquals(LeaderContact.NEVER, c.ageNanos(leader(7), 1_000));
    assertEquals(100, c.ageNanos(leader(6), 1_000));
  }

  @Test
  void aSingleVoterLeaderIsItsOwnMajority() {
    Membership one = Membership.ofVoters(List.of(new Member(1, "r1", "h1")));
    assertEquals(0, new LeaderContact().ageNanos(leaderOf(one, 2), 5_000));
  }

  private static NodeStatus leaderOf(Membership m, long term) {
    return NodeStatus.builder().nodeId(1).currentLeader(1).currentLeaderHttp("h1").currentTerm(term).state("Leader")
        .lastLogIndex(10).commitIndex(10).lastAppliedIndex(10).lastAppliedTerm(term)
        .membership(ClientViews.members(m)).build();
  }
}
