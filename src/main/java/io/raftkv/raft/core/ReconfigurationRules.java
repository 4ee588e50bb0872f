package io.raftkv.raft.core;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The checks a leader makes before it proposes a well-formed membership change, so that an
 * operator's mistake is refused at once instead of leaving a configuration that cannot commit.
 * Pure functions of the configurations and of which voters were heard from recently.
 */
final class ReconfigurationRules {
  /** The fewest voters that still survive the loss of one of them (quorum 2 of 3). */
  static final int FAULT_TOLERANT_VOTERS = 3;

  private ReconfigurationRules() {}

  /**
   * The strict reconfiguration check (as etcd's {@code --strict-reconfig-check}): once a
   * configuration is in the log it is the one in force (thesis §4.1), so a change that leaves
   * fewer reachable voters than its own quorum would stop every later commit, itself included,
   * until a missing voter returns. {@code leader} counts if it stays a voter; any other voter
   * counts only if {@code recentlyHeard} says it answered within the last election timeout.
   * Returns null if the change may go ahead, else why not and what to do.
   */
  static String unreachableVotersRefusal(Membership next, long leader, LongPredicate recentlyHeard) {
    LongPredicate reachable = voter -> voter == leader || recentlyHeard.test(voter);
    MajorityConfig voters = MajorityConfig.of(next);
    if (voters.isActive(reachable)) return null;
    List<Long> silent = new ArrayList<>();
    for (long voter : next.voters().keySet()) if (!reachable.test(voter)) silent.add(voter);
    int answered = next.voters().size() - silent.size();
    return "refused: the configuration after this change has " + next.voters().size() + " voters and needs "
        + voters.quorum() + " of them to commit, but only " + answered + " answered within the last election"
        + " timeout; voters not answering: " + silent + ". Bring them back (or remove them first) and retry;"
        + " proposing it now would stop the cluster from committing anything until they return";
  }

  /**
   * Why a leader would refuse {@code change} against {@code current}, or null if it would propose
   * it: the change must apply, pass {@link #unreachableVotersRefusal} and, going below three
   * voters, {@link #forceRefusal}.
   */
  static ProposeResult.Refused refusal(
      ConfChange change, Membership current, long leader, LongPredicate recentlyHeard, boolean force) {
    Membership next;
    try {
      next = ConfChange.apply(change, current);
    } catch (IllegalArgumentException e) {
      return new ProposeResult.Refused(ProposeResult.Refused.Rule.INVALID, e.getMessage());
    }
    String unreachable = unreachableVotersRefusal(next, leader, recentlyHeard);
    if (unreachable != null) return new ProposeResult.Refused(ProposeResult.Refused.Rule.VOTERS_UNREACHABLE, unreachable);
    String needsForce = forceRefusal(change, current, force);
    if (needsForce != null) return new ProposeResult.Refused(ProposeResult.Refused.Rule.NEEDS_FORCE, needsForce);
    return null;
  }

  /**
   * Removing a voter from a cluster of three or fewer leaves one that cannot lose any voter and
   * keep committing; it is allowed only when the caller says so with {@code force}. Returns null
   * if allowed, else why not and what to do.
   */
  static String forceRefusal(ConfChange change, Membership current, boolean force) {
    if (force || !(change instanceof ConfChange.Remove r) || !current.isVoter(r.nodeId())) return null;
    int left = current.voters().size() - 1;
    if (left >= FAULT_TOLERANT_VOTERS) return null;
    return "removing node " + r.nodeId() + " would leave " + left + " voter" + (left == 1 ? "" : "s")
        + ", and a cluster of fewer than " + FAULT_TOLERANT_VOTERS + " voters stops committing as soon as"
        + " any one of them is down; pass \"force\": true to remove it anyway";
  }
}
