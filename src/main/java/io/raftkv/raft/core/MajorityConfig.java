package io.raftkv.raft.core;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;

/**
 * Majority arithmetic over one set of voters, the only place a quorum is counted: how far a
 * majority has acknowledged something (a log index for commitment, §5.3; a heartbeat round for
 * ReadIndex, thesis §6.4) and how an election stands (§5.2). Learners are never in the set, so
 * they are never counted, whatever they acknowledge or vote.
 */
final class MajorityConfig {
  /** The outcome of a vote as far as the answers so far decide it. */
  enum VoteResult {
    /** A majority granted. */
    WON,
    /** So many refused that a majority can no longer grant. */
    LOST,
    /** Neither yet: more answers are needed. */
    PENDING
  }

  private final long[] voters;

  MajorityConfig(Collection<Long> voters) {
    this.voters = voters.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
  }

  static MajorityConfig of(Membership membership) {
    return new MajorityConfig(membership.voters().keySet());
  }

  int size() {
    return voters.length;
  }

  /** The smallest number of voters that is more than half of them. */
  int quorum() {
    return voters.length / 2 + 1;
  }

  boolean contains(long id) {
    return Arrays.binarySearch(voters, id) >= 0;
  }

  /**
   * The highest value that a majority of voters has acknowledged, given each voter's
   * acknowledgement by {@code acked}: sorted ascending, the value a quorum of voters is at or
   * beyond sits {@code quorum} places from the top. Zero for an empty set, which commits nothing.
   */
  long committed(LongUnaryOperator acked) {
    if (voters.length == 0) return 0;
    long[] values = new long[voters.length];
    for (int i = 0; i < voters.length; i++) values[i] = acked.applyAsLong(voters[i]);
    Arrays.sort(values);
    return values[voters.length - quorum()];
  }

  /**
   * Tallies an election: {@code vote} gives each voter's answer, {@code null} for none yet. The
   * vote is lost once more than {@code size - quorum} refused, since the rest cannot make a
   * majority any more. An empty set can grant nothing, so its every vote is lost.
   */
  VoteResult voteResult(LongFunction<Boolean> vote) {
    int granted = 0;
    int refused = 0;
    for (long voter : voters) {
      Boolean v = vote.apply(voter);
      if (v == null) continue;
      if (v) {
        granted++;
      } else {
        refused++;
      }
    }
    if (granted >= quorum()) return VoteResult.WON;
    if (refused > voters.length - quorum()) return VoteResult.LOST;
    return VoteResult.PENDING;
  }

  /** Whether the voters for which {@code active} holds make a majority (CheckQuorum, thesis §6.2). */
  boolean isActive(LongPredicate active) {
    return voteResult(v -> active.test(v) ? Boolean.TRUE : null) == VoteResult.WON;
  }

  @Override
  public String toString() {
    return Arrays.toString(voters);
  }
}
