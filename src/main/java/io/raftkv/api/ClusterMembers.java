package io.raftkv.api;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster's members as a client sees them: voters decide elections and commitment, learners
 * receive the log without being counted (thesis §4.2.1). Each group is in id order, so what
 * /members and /metrics list is stable.
 */
public record ClusterMembers(SortedMap<Long, ClusterMember> voters, SortedMap<Long, ClusterMember> learners) {
  public static final ClusterMembers EMPTY = new ClusterMembers(new TreeMap<>(), new TreeMap<>());

  public ClusterMembers {
    voters = Collections.unmodifiableSortedMap(new TreeMap<>(voters));
    learners = Collections.unmodifiableSortedMap(new TreeMap<>(learners));
  }

  public boolean isEmpty() {
    return voters.isEmpty() && learners.isEmpty();
  }

  /** True when {@code id} is a voter or a learner. */
  public boolean contains(long id) {
    return voters.containsKey(id) || learners.containsKey(id);
  }
}
