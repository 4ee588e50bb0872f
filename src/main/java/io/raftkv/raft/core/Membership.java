package io.raftkv.raft.core;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster configuration: voters decide elections and commitment; learners receive the log
 * but are not counted (§4.2.1 of the Raft thesis). Sorted maps keep every iteration order
 * deterministic, which the simulator relies on.
 */
public record Membership(SortedMap<Long, Member> voters, SortedMap<Long, Member> learners) {
  public static final Membership EMPTY = new Membership(new TreeMap<>(), new TreeMap<>());

  public Membership {
    voters = Collections.unmodifiableSortedMap(new TreeMap<>(voters));
    learners = Collections.unmodifiableSortedMap(new TreeMap<>(learners));
    for (Long id : learners.keySet()) {
      if (voters.containsKey(id)) throw new IllegalArgumentException("node " + id + " is both voter and learner");
    }
  }

  public static Membership ofVoters(Iterable<Member> members) {
    TreeMap<Long, Member> v = new TreeMap<>();
    for (Member m : members) v.put(m.id(), m);
    return new Membership(v, new TreeMap<>());
  }

  public boolean isEmpty() {
    return voters.isEmpty() && learners.isEmpty();
  }

  public boolean isVoter(long id) {
    return voters.containsKey(id);
  }

  public boolean contains(long id) {
    return voters.containsKey(id) || learners.containsKey(id);
  }

  public Member member(long id) {
    Member m = voters.get(id);
    return m != null ? m : learners.get(id);
  }

  /** Every member, voters first, each group in id order. */
  public Set<Long> allIds() {
    TreeSet<Long> ids = new TreeSet<>(voters.keySet());
    ids.addAll(learners.keySet());
    return ids;
  }

  /** How many voters make a majority; learners never count. */
  public int quorum() {
    return MajorityConfig.of(this).quorum();
  }

  public Membership withLearner(Member m) {
    TreeMap<Long, Member> l = new TreeMap<>(learners);
    l.put(m.id(), m);
    TreeMap<Long, Member> v = new TreeMap<>(voters);
    v.remove(m.id());
    return new Membership(v, l);
  }

  public Membership promote(long id) {
    Member m = learners.get(id);
    if (m == null) throw new IllegalArgumentException("node " + id + " is not a learner");
    TreeMap<Long, Member> l = new TreeMap<>(learners);
    l.remove(id);
    TreeMap<Long, Member> v = new TreeMap<>(voters);
    v.put(id, m);
    return new Membership(v, l);
  }

  public Membership without(long id) {
    TreeMap<Long, Member> l = new TreeMap<>(learners);
    l.remove(id);
    TreeMap<Long, Member> v = new TreeMap<>(voters);
    v.remove(id);
    return new Membership(v, l);
  }

  public Map<Long, Member> all() {
    TreeMap<Long, Member> all = new TreeMap<>(voters);
    all.putAll(learners);
    return all;
  }
}
