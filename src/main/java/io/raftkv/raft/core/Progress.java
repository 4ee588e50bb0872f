package io.raftkv.raft.core;

import java.util.ArrayDeque;

/**
 * The leader's view of one follower or learner (Figure 2's nextIndex and matchIndex), in the
 * states of etcd-io/raft's Progress: probed, one AppendEntries at a time, until the leader finds
 * where their logs match; replicated to, with up to maxInflight full batches pipelined and
 * nextIndex advanced optimistically as each is sent; or sent a snapshot, when the entries it
 * needs are compacted away.
 */
final class Progress {
  enum State {
    PROBE,
    REPLICATE,
    /** The entries this follower needs are compacted: a snapshot is being sent to it. */
    SNAPSHOT
  }

  long matchIndex;
  long nextIndex;
  State state = State.PROBE;
  /** In PROBE: an AppendEntries is outstanding; cleared by its response or the next heartbeat. */
  boolean probeSent;
  /** Last index carried by each outstanding pipelined AppendEntries, oldest first. */
  final ArrayDeque<Long> inflight = new ArrayDeque<>();
  /** Ticks that outstanding appends have gone without any progress; lost messages end the pipeline. */
  int stallTicks;
  /** Heard from since the last check-quorum round. */
  boolean recentActive;
  /** Highest heartbeat round (readSeq) this follower acknowledged in the current term. */
  long readAck;
  /**
   * The highest log index this leader has sent the follower, in AppendEntries or as a snapshot.
   * A follower can only have stored what it was sent, so a reported matchIndex above this is a
   * lie or a bug, and is clamped to it before it can count towards a commit or a promotion.
   */
  long highestSent;
  /** The leader's tick when this follower last answered, or -1 if it has not in this term. */
  long lastHeardTick = -1;
  /** The leader's tick when it started tracking this follower (its election, or the follower's join). */
  final long sinceTick;

  Progress(long nextIndex, long nowTick) {
    this.nextIndex = nextIndex;
    this.sinceTick = nowTick;
  }

  /** The follower answered at {@code nowTick}. */
  void heard(long nowTick) {
    recentActive = true;
    lastHeardTick = nowTick;
  }

  /** Heard from within the last {@code ticks} ticks. */
  boolean heardWithin(long nowTick, int ticks) {
    return lastHeardTick >= 0 && nowTick - lastHeardTick < ticks;
  }

  /** Ticks since the follower last answered, counted from when tracking began if it never did. */
  long silentTicks(long nowTick) {
    return nowTick - Math.max(lastHeardTick, sinceTick);
  }

  /** A matchIndex the follower reported, bounded by what it was actually sent. */
  long clampToSent(long reported) {
    return Math.min(reported, highestSent);
  }

  /** A snapshot up to {@code index} is on its way to the follower. */
  void snapshotSent(long index) {
    highestSent = Math.max(highestSent, index);
  }

  void becomeProbe() {
    state = State.PROBE;
    nextIndex = matchIndex + 1;
    inflight.clear();
    probeSent = false;
    stallTicks = 0;
  }

  /**
   * The peer refused an AppendEntries at a point beyond its known match: back to probing, from
   * {@code hint} (where the peer says our logs may start to differ) but never at or below the
   * match, which the peer already confirmed.
   */
  void rejected(long hint) {
    becomeProbe();
    nextIndex = Math.max(matchIndex + 1, hint);
  }

  void becomeSnapshot() {
    state = State.SNAPSHOT;
    inflight.clear();
    probeSent = false;
    stallTicks = 0;
  }

  void becomeReplicate() {
    state = State.REPLICATE;
    nextIndex = Math.max(nextIndex, matchIndex + 1);
    probeSent = false;
  }

  /** Records a confirmed match; returns true if it moved forward. */
  boolean updateMatch(long index) {
    if (index <= matchIndex) return false;
    matchIndex = index;
    nextIndex = Math.max(nextIndex, index + 1);
    while (!inflight.isEmpty() && inflight.peekFirst() <= index) inflight.pollFirst();
    stallTicks = 0;
    return true;
  }

  boolean canSend(int maxInflight) {
    if (state == State.SNAPSHOT) return false;
    return state == State.PROBE ? !probeSent : inflight.size() < maxInflight;
  }

  void sent(long lastIndex) {
    highestSent = Math.max(highestSent, lastIndex);
    if (state == State.PROBE) {
      probeSent = true;
    } else {
      inflight.addLast(lastIndex);
      nextIndex = lastIndex + 1;
    }
  }
}
