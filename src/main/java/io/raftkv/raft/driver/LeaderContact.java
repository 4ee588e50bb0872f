package io.raftkv.raft.driver;

import io.raftkv.api.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When this node last knew that its leader was really leading: as a follower or learner, the
 * last time it heard from the leader; as the leader, the last time a majority of voters
 * acknowledged it in its current term (the same evidence check-quorum uses, thesis §6.2). A node
 * that has heard nothing for an election timeout may be cut off from the cluster even though
 * its Raft state still names a leader (a learner, for instance, never starts an election), so
 * readiness looks at this age rather than only at the leader's id.
 *
 * <p>Written by the driver and read by request threads; times are the driver's clock ({@link System#nanoTime()} in production).
 */
public final class LeaderContact {
  /** No contact yet. */
  public static final long NEVER = -1;

  private record Ack(long term, long nanos) {}

  private final Map<Long, Ack> acks = new ConcurrentHashMap<>();
  private volatile long leaderHeardNanos;
  private volatile boolean leaderHeard;

  /** An AppendEntries (or other request) from the current leader arrived. */
  void heardFromLeader(long nanos) {
    leaderHeardNanos = nanos;
    leaderHeard = true;
  }

  /**
   * A peer answered in {@code term}: it recognises that term, so if this node leads in it, the
   * peer acknowledges its leadership. Votes count too, so a new leader is not "out of touch"
   * before its first heartbeat round.
   */
  void acknowledged(long peer, long term, long nanos) {
    acks.put(peer, new Ack(term, nanos));
  }

  /**
   * Nanoseconds since the leader was last known alive as seen from {@code s}, or {@link #NEVER}.
   * For a leader: the age of the newest acknowledgement a majority of voters (itself included,
   * always current) has given in its term.
   */
  public long ageNanos(NodeStatus s, long now) {
    if (s.isLeader()) return quorumAge(s, now);
    return leaderHeard ? Math.max(0, now - leaderHeardNanos) : NEVER;
  }

  private long quorumAge(NodeStatus s, long now) {
    var voters = s.membership().voters().keySet();
    if (voters.isEmpty()) return NEVER;
    List<Long> times = new ArrayList<>();
    for (long voter : voters) {
      if (voter == s.nodeId()) {
        times.add(now);
        continue;
      }
      Ack a = acks.get(voter);
      if (a != null && a.term() == s.currentTerm()) times.add(a.nanos());
    }
    int quorum = voters.size() / 2 + 1;
    if (times.size() < quorum) return NEVER;
    times.sort((a, b) -> Long.compare(b, a)); // newest first
    return Math.max(0, now - times.get(quorum - 1));
  }
}
