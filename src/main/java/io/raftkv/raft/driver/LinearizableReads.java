package io.raftkv.raft.driver;

import io.raftkv.api.ReadOutcome;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Role;
import io.raftkv.transport.ReadIndexReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Linearizable reads through ReadIndex (thesis §6.4), kept apart from {@link RaftDriver} because
 * the bookkeeping is the same whichever role handles the read and is independent of writes. On
 * the leader a read asks the core for a read index and waits for its ReadState; a follower asks
 * the leader for one, batching the reads that arrive while a call is in flight. Either way the
 * read then waits in {@link PendingReads} until the state machine has applied that index, and
 * its caller is granted the read: the query itself runs on the caller's thread, never the
 * driver's, so a long scan cannot delay heartbeats, votes or appends.
 */
final class LinearizableReads {
  static final Duration READ_INDEX_RETRY = Duration.ofMillis(50);

  private final NodeSettings settings;
  private final RaftCore core;
  private final PeerPort peers;
  private final TimerPort timers;
  private final LongSupplier clock;
  private final PendingReads pendingReads = new PendingReads();
  /** The node's applied index, which moves as entries are applied or a snapshot installed. */
  private final LongSupplier appliedIndex;

  /** Reads on this leader waiting for their ReadState, by request id. */
  private final TreeMap<Long, PendingReads.Waiter> awaitingReadIndex = new TreeMap<>();
  /** Followers' ReadIndex requests waiting for their ReadState, by request id. */
  private final TreeMap<Long, Reply<ReadIndexReply>> remoteReadIndex = new TreeMap<>();
  /** On a follower: reads covered by the ReadIndex call in flight, and reads for the next call. */
  private List<PendingReads.Waiter> followerReadsInFlight = null;
  private List<PendingReads.Waiter> followerReadsQueued = new ArrayList<>();
  private long nextReadId = 1;

  LinearizableReads(
      NodeSettings settings, RaftCore core, PeerPort peers, TimerPort timers, LongSupplier clock,
      LongSupplier appliedIndex) {
    this.settings = settings;
    this.core = core;
    this.peers = peers;
    this.timers = timers;
    this.clock = clock;
    this.appliedIndex = appliedIndex;
  }

  // ---------------------------------------------------------------- on the leader

  /** Asks the core for a read index; the caller collects the core's Ready (soon, batched). */
  void readAsLeader(Reply<ReadPermit> replyTo) {
    long id = nextReadId++;
    awaitingReadIndex.put(id, readWaiter(replyTo));
    core.requestRead(id);
  }

  void readIndexForPeer(Reply<ReadIndexReply> replyTo) {
    long id = nextReadId++;
    remoteReadIndex.put(id, replyTo);
    core.requestRead(id);
  }

  void refuseReadIndex(Reply<ReadIndexReply> replyTo) {
    ReadIndexReply.Status status = core.leaderId() == 0 ? ReadIndexReply.Status.NO_LEADER : ReadIndexReply.Status.NOT_LEADER;
    replyTo.tell(new ReadIndexReply(status, 0, core.leaderId()));
  }

  /** The core confirmed (or gave up on) a read index it was asked for. */
  void onReadState(ReadState rs) {
    PendingReads.Waiter local = awaitingReadIndex.remove(rs.requestId());
    if (local != null) {
      if (rs.failed()) {
        local.timeout();
      } else {
        pendingReads.add(rs.readIndex(), appliedIndex.getAsLong(), local);
      }
      return;
    }
    Reply<ReadIndexReply> remote = remoteReadIndex.remove(rs.requestId());
    if (remote != null) {
      remote.tell(rs.failed()
          ? new ReadIndexReply(ReadIndexReply.Status.NOT_LEADER, 0, core.leaderId())
          : new ReadIndexReply(ReadIndexReply.Status.OK, rs.readIndex(), settings.nodeId()));
    }
  }

  // ---------------------------------------------------------------- on a follower

  /**
   * A follower gets its read index from the leader. Reads that arrive while a request is in
   * flight wait for the next one: the index must be fixed after the read arrived.
   */
  void readViaLeader(Reply<ReadPermit> replyTo) {
    if (core.leaderId() == 0) {
      replyTo.tell(ReadPermit.refused(new ReadOutcome.NoLeader(RaftDriver.NO_LEADER)));
      return;
    }
    followerReadsQueued.add(readWaiter(replyTo));
    if (followerReadsInFlight == null) askLeaderForReadIndex();
  }

  void onRetryReadIndex() {
    if (followerReadsInFlight == null && !followerReadsQueued.isEmpty()) askLeaderForReadIndexOrWait();
  }

  /** The leader answered the ReadIndex call in flight ({@code failure} set if it did not). */
  void onLeaderReadIndex(ReadIndexReply reply, Throwable failure) {
    List<PendingReads.Waiter> batch = followerReadsInFlight;
    followerReadsInFlight = null;
    if (batch != null) {
      if (failure == null && reply.status() == ReadIndexReply.Status.OK) {
        for (PendingReads.Waiter w : batch) pendingReads.add(reply.readIndex(), appliedIndex.getAsLong(), w);
      } else {
        // Reads are safe to retry: they go back in the queue until their own deadline, and the
        // next attempt asks whoever leads by then.
        batch.addAll(followerReadsQueued);
        followerReadsQueued = batch;
        timers.startSingle("read-index-retry", READ_INDEX_RETRY, this::onRetryReadIndex);
        return;
      }
    }
    if (!followerReadsQueued.isEmpty()) askLeaderForReadIndexOrWait();
  }

  private void askLeaderForReadIndexOrWait() {
    long now = clock.getAsLong();
    followerReadsQueued.removeIf(w -> {
      if (now - w.deadlineNanos() > 0) {
        w.timeout();
        return true;
      }
      return false;
    });
    if (followerReadsQueued.isEmpty()) return;
    long leader = core.leaderId();
    if (leader != 0 && leader != settings.nodeId()) {
      askLeaderForReadIndex();
    } else {
      timers.startSingle("read-index-retry", READ_INDEX_RETRY, this::onRetryReadIndex);
    }
  }

  private void askLeaderForReadIndex() {
    followerReadsInFlight = followerReadsQueued;
    followerReadsQueued = new ArrayList<>();
    peers.readIndex(core.leaderId());
  }

  // ---------------------------------------------------------------- any role

  /** Serves the reads whose read index the state machine has now reached. */
  void onApplied(long appliedIndex) {
    pendingReads.onApplied(appliedIndex);
  }

  /** Times out reads past their deadline, whether waiting for a read index or for the apply. */
  void expire(long now) {
    pendingReads.expire(now);
    var it = awaitingReadIndex.values().iterator();
    while (it.hasNext()) {
      PendingReads.Waiter w = it.next();
      if (now - w.deadlineNanos() > 0) {
        w.timeout();
        it.remove();
      }
    }
    // Remote callers have their own deadline; forget entries the core will never answer.
    if (core.role() != Role.LEADER) remoteReadIndex.clear();
  }

  /**
   * The follower no longer knows a leader: the reads waiting for a read index are refused now
   * (no leader, 503) rather than at their deadline; a read has no effect, so the client may retry
   * at once. A ReadIndex call still out stays marked as in flight, with no reads left on it, so
   * that its late answer, computed before any newer read arrived, cannot serve one (§6.4).
   */
  void leaderLost() {
    if (followerReadsInFlight != null) {
      followerReadsInFlight.forEach(PendingReads.Waiter::timeout);
      followerReadsInFlight = new ArrayList<>();
    }
    followerReadsQueued.forEach(PendingReads.Waiter::timeout);
    followerReadsQueued.clear();
  }

  /** The node is stopping: every read still waiting learns it will not be served here. */
  void failAll() {
    pendingReads.failAll();
    for (PendingReads.Waiter w : awaitingReadIndex.values()) w.timeout();
    awaitingReadIndex.clear();
    if (followerReadsInFlight != null) followerReadsInFlight.forEach(PendingReads.Waiter::timeout);
    followerReadsInFlight = null;
    followerReadsQueued.forEach(PendingReads.Waiter::timeout);
    followerReadsQueued.clear();
    remoteReadIndex.clear();
  }

  private PendingReads.Waiter readWaiter(Reply<ReadPermit> replyTo) {
    long deadline = clock.getAsLong() + settings.requestTimeout().toNanos();
    return new PendingReads.Waiter() {
      @Override
      public void serve() {
        replyTo.tell(ReadPermit.GRANTED);
      }

      @Override
      public void timeout() {
        replyTo.tell(ReadPermit.refused(core.leaderId() == 0
            ? new ReadOutcome.NoLeader(RaftDriver.NO_LEADER)
            : new ReadOutcome.Timeout("the read could not be confirmed with the leader in time; retry")));
      }

      @Override
      public long deadlineNanos() {
        return deadline;
      }
    };
  }
}
