package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.raftkv.api.ClusterMember;
import io.raftkv.api.ClusterMembers;
import io.raftkv.api.NodeStatus;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusBoardTest {
  private static final Membership TWO = Membership.ofVoters(List.of(new Member(1, "r1", "h1", 0xa1)))
      .withLearner(new Member(2, "r2", "", 0xb2));

  @Test
  void clientsSeeTheMembershipWithoutIncarnationsAndTheNodeKeepsThem() {
    StatusBoard board = new StatusBoard(Membership.EMPTY, NodeStatus.builder().nodeId(1));
    assertEquals(ClusterMembers.EMPTY, board.get().membership());

    board.publish(TWO, NodeStatus.builder().nodeId(1).currentLeader(1).state("Leader").currentTerm(3));
    NodeStatus s = board.get();
    assertEquals(List.of(new ClusterMember(1, "r1", "h1")), List.copyOf(s.membership().voters().values()));
    assertEquals(List.of(new ClusterMember(2, "r2", "")), List.copyOf(s.membership().learners().values()));
    assertEquals(TWO, board.membership());
    assertEquals(0xb2, board.membership().member(2).incarnation());
    assertEquals(3, s.currentTerm());
  }

  @Test
  void anUnchangedMembershipKeepsItsClientView() {
    StatusBoard board = new StatusBoard(TWO, NodeStatus.builder().nodeId(1));
    ClusterMembers first = board.get().membership();
    board.publish(TWO, NodeStatus.builder().nodeId(1).currentTerm(4));
    assertSame(first, board.get().membership());
    board.publish(TWO.without(2), NodeStatus.builder().nodeId(1).currentTerm(4));
    assertEquals(1, board.get().membership().voters().size());
    assertEquals(0, board.get().membership().learners().size());
  }

  @Test
  void theIdentityProblemIsLaidOverTheLatestStatus() {
    StatusBoard board = new StatusBoard(TWO, NodeStatus.builder().nodeId(2));
    assertNull(board.get().identityProblem());
    board.identityProblemFrom(() -> "wiped");
    assertEquals("wiped", board.get().identityProblem());
    board.publish(TWO, NodeStatus.builder().nodeId(2).currentTerm(9));
    assertEquals("wiped", board.get().identityProblem());
    assertEquals(9, board.get().currentTerm());
  }
}
