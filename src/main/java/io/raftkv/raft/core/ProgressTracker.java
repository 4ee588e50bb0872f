package io.raftkv.raft.core;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a leader knows about each follower and learner: one {@link Progress} per peer (Figure 2's
 * nextIndex and matchIndex, the replication state and window, when it was last heard from), plus
 * the votes a candidate has collected. Every count of a majority over these goes through a
 * {@link MajorityConfig}. Peers are kept in id order, which keeps the simulator deterministic.
 */
final class ProgressTracker {
  private final long self;
  private final TreeMap<Long, Progress> progress = new TreeMap<>();
  /** Answers in the current (pre-)election, by voter; a voter's first answer counts. */
  private final TreeMap<Long, Boolean> votes = new TreeMap<>();

  ProgressTracker(long self) {
    this.self = self;
  }

  // ---------------------------------------------------------------- progress

  /** A new leader tracks every other member from scratch, probing each from {@code nextIndex}. */
  void reset(Collection<Long> members, long nextIndex, long nowTick) {
    progress.clear();
    for (long peer : members) {
      if (peer != self) progress.put(peer, new Progress(nextIndex, nowTick));
    }
  }

  /** No longer leading: nothing is tracked. */
  void clear() {
    progress.clear();
  }

  /**
   * The configuration changed under a leader: new members are tracked from {@code nextIndex},
   * removed ones are forgotten, the others keep what is known about them.
   */
  void syncMembers(Collection<Long> members, long nextIndex, long nowTick) {
    for (long peer : members) {
      if (peer != self && !progress.containsKey(peer)) progress.put(peer, new Progress(nextIndex, nowTick));
    }
    progress.keySet().retainAll(new TreeSet<>(members));
  }

  /** The peer's progress, or null if it is not tracked. */
  Progress get(long peer) {
    return progress.get(peer);
  }

  /** Every tracked peer, in id order. */
  Iterable<Map.Entry<Long, Progress>> peers() {
    return progress.entrySet();
  }

  long matchIndex(long peer) {
    Progress pr = progress.get(peer);
    return pr == null ? 0 : pr.matchIndex;
  }

  /**
   * §5.3: the highest index stored on a majority of {@code voters}, counting this leader at
   * {@code selfPersisted}, what it has on its own disk.
   */
  long committedIndex(MajorityConfig voters, long selfPersisted) {
    return voters.committed(v -> v == self ? selfPersisted : matchIndex(v));
  }

  /** The newest heartbeat round a majority of {@code voters} acknowledged (this leader always has). */
  long confirmedReadRound(MajorityConfig voters) {
    return voters.committed(v -> {
      if (v == self) return Long.MAX_VALUE;
      Progress pr = progress.get(v);
      return pr == null ? 0 : pr.readAck;
    });
  }

  /**
   * One tick of a leader: a pipeline that made no progress for {@code stallLimit} ticks lost
   * appends or their responses, so its peer goes back to probing from its known match.
   */
  void tickStalls(int stallLimit) {
    for (Progress pr : progress.values()) {
      if (!pr.inflight.isEmpty() && ++pr.stallTicks >= stallLimit) pr.becomeProbe();
    }
  }

  /** CheckQuorum (thesis §6.2): whether a majority of {@code voters} answered since the last check. */
  boolean quorumActive(MajorityConfig voters) {
    return voters.isActive(v -> {
      if (v == self) return true;
      Progress pr = progress.get(v);
      return pr != null && pr.recentActive;
    });
  }

  /** Starts a new CheckQuorum period. */
  void resetRecentActive() {
    for (Progress pr : progress.values()) pr.recentActive = false;
  }

  /** Whether {@code peer} answered within the last {@code window} ticks. */
  boolean heardWithin(long peer, long nowTick, int window) {
    Progress pr = progress.get(peer);
    return pr != null && pr.heardWithin(nowTick, window);
  }

  /** Ticks since {@code peer} last answered (since tracking began, if never), or 0 if untracked. */
  long silentTicks(long peer, long nowTick) {
    Progress pr = progress.get(peer);
    return pr == null ? 0 : pr.silentTicks(nowTick);
  }

  /**
   * The voter whose log matches the most of the leader's, or 0: among those heard from within
   * {@code window} ticks if any, since a transfer to a voter that is down cannot succeed.
   */
  long mostCaughtUpVoter(MajorityConfig voters, long nowTick, int window) {
    long best = mostCaughtUpVoter(voters, nowTick, window, true);
    return best != 0 ? best : mostCaughtUpVoter(voters, nowTick, window, false);
  }

  private long mostCaughtUpVoter(MajorityConfig voters, long nowTick, int window, boolean onlyRecentlyHeard) {
    long best = 0;
    long bestMatch = -1;
    for (var e : progress.entrySet()) {
      long peer = e.getKey();
      if (!voters.contains(peer) || (onlyRecentlyHeard && !e.getValue().heardWithin(nowTick, window))) continue;
      if (e.getValue().matchIndex > bestMatch) {
        best = peer;
        bestMatch = e.getValue().matchIndex;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- votes (§5.2)

  /** A new (pre-)election: no answers yet. */
  void resetVotes() {
    votes.clear();
  }

  /** Records {@code voter}'s answer; a duplicate or changed answer from the same voter is ignored. */
  void recordVote(long voter, boolean granted) {
    votes.putIfAbsent(voter, granted);
  }

  /** Where the election stands among {@code voters}; answers from anyone else do not count. */
  MajorityConfig.VoteResult tallyVotes(MajorityConfig voters) {
    return voters.voteResult(votes::get);
  }
}
