package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.MajorityConfig.VoteResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MajorityConfigTest {
  @Test
  void committedIsWhatAMajorityHasWithOddAndEvenVoterCounts() {
    Map<Long, Long> match = Map.of(1L, 9L, 2L, 7L, 3L, 5L, 4L, 3L, 5L, 1L);
    // Three voters at 9, 7, 5: two have 7.
    assertEquals(7, new MajorityConfig(List.of(1L, 2L, 3L)).committed(match::get));
    // Four voters at 9, 7, 5, 3: three have 5 (a tie of two is no majority).
    assertEquals(5, new MajorityConfig(List.of(1L, 2L, 3L, 4L)).committed(match::get));
    // Five voters: three have 5.
    assertEquals(5, new MajorityConfig(List.of(1L, 2L, 3L, 4L, 5L)).committed(match::get));
    assertEquals(9, new MajorityConfig(List.of(1L)).committed(match::get));
    assertEquals(0, new MajorityConfig(List.of()).committed(match::get), "no voters commit nothing");
  }

  @Test
  void learnersAreNeverCounted() {
    Member a = new Member(1, "a", "");
    Member b = new Member(2, "b", "");
    Member c = new Member(3, "c", "");
    Membership m = Membership.ofVoters(List.of(a, b)).withLearner(c);
    MajorityConfig voters = MajorityConfig.of(m);
    assertEquals(2, voters.size());
    assertFalse(voters.contains(3));
    // The learner is far ahead, yet only what both voters have is committed.
    Map<Long, Long> match = Map.of(1L, 4L, 2L, 2L, 3L, 100L);
    assertEquals(2, voters.committed(match::get));
    // Nor does a learner's granted vote win an election.
    assertEquals(VoteResult.PENDING, voters.voteResult(Map.of(1L, true, 3L, true)::get));
  }

  @Test
  void aVoteIsWonLostOrPending() {
    MajorityConfig three = new MajorityConfig(List.of(1L, 2L, 3L));
    assertEquals(VoteResult.PENDING, three.voteResult(Map.of(1L, true)::get));
    assertEquals(VoteResult.WON, three.voteResult(Map.of(1L, true, 3L, true)::get));
    assertEquals(VoteResult.PENDING, three.voteResult(Map.of(1L, true, 2L, false)::get), "3 may still grant");
    assertEquals(VoteResult.LOST, three.voteResult(Map.of(1L, true, 2L, false, 3L, false)::get));

    MajorityConfig four = new MajorityConfig(List.of(1L, 2L, 3L, 4L));
    assertEquals(VoteResult.PENDING, four.voteResult(Map.of(1L, true, 2L, true)::get), "two of four is no majority");
    assertEquals(VoteResult.LOST, four.voteResult(Map.of(1L, true, 2L, false, 3L, false)::get),
        "with two refusals, three grants are out of reach");
    assertEquals(VoteResult.WON, four.voteResult(Map.of(1L, true, 2L, true, 4L, true)::get));

    assertEquals(VoteResult.LOST, new MajorityConfig(List.of()).voteResult(v -> null), "no voters grant nothing");
  }

  @Test
  void checkQuorumNeedsAnActiveMajority() {
    MajorityConfig five = new MajorityConfig(List.of(1L, 2L, 3L, 4L, 5L));
    assertTrue(five.isActive(v -> v <= 3));
    assertFalse(five.isActive(v -> v <= 2));
  }
}
