package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.NodeStatus;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.driver.ClientViews;
import io.raftkv.raft.driver.LeaderContact;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadinessRulesTest {
  private static final Membership THREE = Membership.ofVoters(List.of(
      new Member(1, "r1", "h1"), new Member(2, "r2", "h2"), new Member(3, "r3", "h3")));
  private static final ReadinessRules RULES = new ReadinessRules(Duration.ofMillis(600), 100);
  private static final long FRESH = Duration.ofMillis(50).toNanos();

  private static NodeStatus follower(long leader, long commit, long applied, Membership m) {
    return NodeStatus.builder().nodeId(2).currentLeader(leader).currentLeaderHttp(leader == 0 ? "" : "h" + leader)
        .currentTerm(5).state(leader == 0 ? "Candidate" : "Follower").lastLogIndex(commit).commitIndex(commit)
        .lastAppliedIndex(applied).lastAppliedTerm(5).membership(ClientViews.members(m)).build();
  }

  private static NodeStatus leader(long index) {
    return NodeStatus.builder().nodeId(1).currentLeader(1).currentLeaderHttp("h1").currentTerm(5).state("Leader")
        .lastLogIndex(index).commitIndex(index).lastAppliedIndex(index).lastAppliedTerm(5)
        .membership(ClientViews.members(THREE)).build();
  }

  @Test
  void aMemberThatHearsItsLeaderAndKeepsUpIsReady() {
    assertEquals(List.of(), RULES.reasons(follower(1, 500, 400, THREE), FRESH, List.of()));
    NodeStatus leader = leader(500);
    assertEquals(List.of(), RULES.reasons(leader, FRESH, List.of()));
  }

  @Test
  void aNodeOutsideTheMembershipIsNotReady() {
    Membership others = Membership.ofVoters(List.of(new Member(1, "r1", "h1"), new Member(3, "r3", "h3")));
    List<String> reasons = RULES.reasons(follower(1, 10, 10, others), FRESH, List.of());
    assertEquals(1, reasons.size(), reasons.toString());
    assertTrue(reasons.get(0).contains("not a member") && reasons.get(0).contains("/join"), reasons.get(0));
  }

  @Test
  void aNodeWhoseStorageWasWipedIsNotReadyAndSaysWhy() {
    String problem = "the cluster knows node 2 as incarnation 5f3c, but this node is incarnation 9a1b";
    NodeStatus wiped = follower(1, 10, 10, THREE).withIdentityProblem(problem);
    assertEquals(List.of(problem), RULES.reasons(wiped, FRESH, List.of()));
  }

  @Test
  void noLeaderIsNotReady() {
    List<String> reasons = RULES.reasons(follower(0, 10, 10, THREE), LeaderContact.NEVER, List.of());
    assertEquals(1, reasons.size(), reasons.toString());
    assertTrue(reasons.get(0).startsWith("no leader is known"), reasons.get(0));
  }

  @Test
  void aLeaderNotHeardFromWithinAnElectionTimeoutIsNotReady() {
    List<String> stale = RULES.reasons(follower(1, 10, 10, THREE), Duration.ofMillis(601).toNanos(), List.of());
    assertEquals(1, stale.size(), stale.toString());
    assertTrue(stale.get(0).contains("node 1") && stale.get(0).contains("601 ms") && stale.get(0).contains("600 ms"),
        stale.get(0));
    List<String> never = RULES.reasons(follower(1, 10, 10, THREE), LeaderContact.NEVER, List.of());
    assertTrue(never.get(0).contains("not yet"), never.toString());
    assertEquals(List.of(), RULES.reasons(follower(1, 10, 10, THREE), Duration.ofMillis(600).toNanos(), List.of()));

    NodeStatus leader = leader(10);
    List<String> alone = RULES.reasons(leader, Duration.ofSeconds(2).toNanos(), List.of());
    assertTrue(alone.get(0).contains("majority of voters"), alone.toString());
  }

  @Test
  void anAlarmIsAReason() {
    List<String> reasons = RULES.reasons(follower(1, 10, 10, THREE), FRESH, List.of("alarm NOSPACE: full"));
    assertEquals(List.of("alarm NOSPACE: full"), reasons);
  }

  @Test
  void applyingMoreThanTheAllowedLagBehindCommitIsNotReady() {
    assertEquals(List.of(), RULES.reasons(follower(1, 600, 500, THREE), FRESH, List.of()), "exactly the limit");
    List<String> reasons = RULES.reasons(follower(1, 601, 500, THREE), FRESH, List.of());
    assertEquals(1, reasons.size(), reasons.toString());
    assertTrue(reasons.get(0).contains("101 entries") && reasons.get(0).contains("ready_max_apply_lag (100)"),
        reasons.get(0));
  }

  @Test
  void everyUnmetConditionIsListed() {
    Membership others = Membership.ofVoters(List.of(new Member(1, "r1", "h1")));
    List<String> reasons = RULES.reasons(follower(0, 1000, 0, others), LeaderContact.NEVER, List.of("alarm NOSPACE"));
    assertEquals(4, reasons.size(), reasons.toString());
  }
}
