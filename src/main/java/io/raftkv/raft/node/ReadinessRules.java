package io.raftkv.raft.node;

import io.raftkv.api.ClusterMembers;
import io.raftkv.api.NodeStatus;
import io.raftkv.raft.driver.LeaderContact;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * When a node is ready to serve (GET /readyz): it is a member of the cluster, it knows a leader
 * that it (or, as leader, a majority of voters) heard from within an election timeout, no alarm
 * is raised, and its applied index trails the commit index by at most {@code ready_max_apply_lag}
 * entries. Each unmet condition gives one sentence that says what is wrong; all of them are
 * decided here, in one place, so a new condition is one more check in {@link #reasons}.
 */
public final class ReadinessRules {
  private final Duration electionTimeout;
  private final long maxApplyLag;

  public ReadinessRules(Duration electionTimeout, long maxApplyLag) {
    this.electionTimeout = electionTimeout;
    this.maxApplyLag = maxApplyLag;
  }

  /**
   * The reasons {@code s} is not ready; empty when it is.
   *
   * @param contactAgeNanos how long ago the leader was last known alive ({@link LeaderContact}),
   *     or {@link LeaderContact#NEVER}
   * @param alarmReasons one sentence per raised alarm
   */
  public List<String> reasons(NodeStatus s, long contactAgeNanos, List<String> alarmReasons) {
    List<String> reasons = new ArrayList<>();
    ClusterMembers m = s.membership();
    if (s.identityProblem() != null) {
      // A wiped node: whatever else holds, it must not be sent clients until it has rejoined.
      reasons.add(s.identityProblem());
    } else if (!m.contains(s.nodeId())) {
      reasons.add("node " + s.nodeId() + " is not a member of the cluster (not joined yet, or removed);"
          + " add it with POST /join on the leader");
    }
    if (s.currentLeader() == 0) {
      reasons.add("no leader is known (an election is in progress, or a majority of voters is unreachable)");
    } else if (contactAgeNanos == LeaderContact.NEVER || contactAgeNanos > electionTimeout.toNanos()) {
      String age = contactAgeNanos == LeaderContact.NEVER ? "not yet" : "not for " + contactAgeNanos / 1_000_000 + " ms";
      reasons.add(s.isLeader()
          ? "a majority of voters has acknowledged this leader " + age + " (the election timeout is "
              + electionTimeout.toMillis() + " ms); its peers may be down or unreachable"
          : "the leader (node " + s.currentLeader() + ") has been heard from " + age + " (the election timeout is "
              + electionTimeout.toMillis() + " ms); it may be down or unreachable from this node");
    }
    reasons.addAll(alarmReasons);
    long lag = s.commitIndex() - s.lastAppliedIndex();
    if (lag > maxApplyLag) {
      reasons.add("applied index " + s.lastAppliedIndex() + " trails commit index " + s.commitIndex() + " by " + lag
          + " entries, more than ready_max_apply_lag (" + maxApplyLag + "); the node is catching up");
    }
    return reasons;
  }
}
