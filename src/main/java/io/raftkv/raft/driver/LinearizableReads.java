package io.raftkv.raft.node;

import io.raftkv.api.ReadOutcome;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Role;
import io.raftkv.transport.ReadIndexReply;
import io.raftkv.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Linearizable reads through ReadIndex (thesis §6.4), kept apart from {@link RaftNode} because
 * the bookkeeping is the same whichever role handles the read and is independent of writes. On
 * the leader a read asks the core for a read index and waits for its ReadState; a follower asks
 * the leader for one, batching the reads that arrive while a call is in flight. Either way the
 * read then waits in {@link PendingReads} until the state machine has applied that index, and
 * its caller is granted the read: the query itself runs on the caller's read executor, never on
 * this actor's thread, so a long scan cannot delay heartbeats, votes or appends. Runs only on the
 * node actor's thread.
 */
final class LinearizableReads {
  private static final Duration READ_INDEX_RETRY = Duration.ofMillis(50);

  private final ActorContext<RaftNode.Command> ctx;
  private final TimerScheduler<RaftNode.Command> timers;
  private final NodeSettings settings;
  private final RaftCore core;
  private final Transport transport;
  private final PendingReads pendingReads;
  /** The node's applied index, which moves as entries are applied or a snapshot installed. */
  private final LongSupplier appliedIndex;
  /** Asks the node to collect the core's Ready once this mailbox run is over. */
  private final Runnable scheduleFlush;

  /** Reads on this leader waiting for their ReadState, by request id. */
  private final TreeMap<Long, PendingReads.Waiter> awaitingReadIndex = new TreeMap<>();
  /** Followers' ReadIndex requests waiting for their ReadState, by request id. */
  private final TreeMap<Long, ActorRef<ReadIndexReply>> remoteReadIndex = new TreeMap<>();
  /** On a follower: reads covered by the ReadIndex call in flight, and reads for the next call. */
  private List<PendingReads.Waiter> followerReadsInFlight = null;
  private List<PendingReads.Waiter> followerReadsQueued = new ArrayList<>();
  private long nextReadId = 1;

  LinearizableReads(
      ActorContext<RaftNode.Command> ctx,
      TimerScheduler<RaftNode.Command> timers,
      NodeSettings settings,
      RaftCore core,
      Transport transport,
      PendingReads pendingReads,
      LongSupplier appliedIndex,
      Runnable scheduleFlush) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.core = core;
    this.transport = transport;
    this.pendingReads = pendingReads;
    this.appliedIndex = appliedIndex;
    this.scheduleFlush = scheduleFlush;
  }

  // ---------------------------------------------------------------- on the leader

  void readAsLeader(RaftNode.ClientRead r) {
    long id = nextReadId++;
    awaitingReadIndex.put(id, readWaiter(r));
    core.requestRead(id);
    scheduleFlush.run();
  }

  void readIndexForPeer(RaftNode.PeerReadIndex r) {
    long id = nextReadId++;
    remoteReadIndex.put(id, r.replyTo());
    core.requestRead(id);
    scheduleFlush.run();
  }

  void refuseReadIndex(RaftNode.PeerReadIndex r) {
    ReadIndexReply.Status status = core.leaderId() == 0 ? ReadIndexReply.Status.NO_LEADER : ReadIndexReply.Status.NOT_LEADER;
    r.replyTo().tell(new ReadIndexReply(status, 0, core.leaderId()));
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
    ActorRef<ReadIndexReply> remote = remoteReadIndex.remove(rs.requestId());
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
  void readViaLeader(RaftNode.ClientRead r) {
    if (core.leaderId() == 0) {
      r.replyTo().tell(ReadPermit.refused(new ReadOutcome.NoLeader(RaftNode.noLeaderText())));
      return;
    }
    followerReadsQueued.add(readWaiter(r));
    if (followerReadsInFlight == null) askLeaderForReadIndex();
  }

  void onRetryReadIndex() {
    if (followerReadsInFlight == null && !followerReadsQueued.isEmpty()) askLeaderForReadIndexOrWait();
  }

  void onLeaderReadIndex(RaftNode.LeaderReadIndex m) {
    List<PendingReads.Waiter> batch = followerReadsInFlight;
    followerReadsInFlight = null;
    if (batch != null) {
      if (m.failure() == null && m.reply().status() == ReadIndexReply.Status.OK) {
        for (PendingReads.Waiter w : batch) pendingReads.add(m.reply().readIndex(), appliedIndex.getAsLong(), w);
      } else {
        // Reads are safe to retry: they go back in the queue until their own deadline, and the
        // next attempt asks whoever leads by then.
        batch.addAll(followerReadsQueued);
        followerReadsQueued = batch;
        timers.startSingleTimer("read-index-retry", RaftNode.RetryReadIndex.INSTANCE, READ_INDEX_RETRY);
        return;
      }
    }
    if (!followerReadsQueued.isEmpty()) askLeaderForReadIndexOrWait();
  }

  private void askLeaderForReadIndexOrWait() {
    long now = System.nanoTime();
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
      timers.startSingleTimer("read-index-retry", RaftNode.RetryReadIndex.INSTANCE, READ_INDEX_RETRY);
    }
  }

  private void askLeaderForReadIndex() {
    followerReadsInFlight = followerReadsQueued;
    followerReadsQueued = new ArrayList<>();
    ctx.pipeToSelf(transport.readIndex(core.leaderId()), RaftNode.LeaderReadIndex::new);
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

  /** The node is stopping: reads that hold a read index learn they will not be served. */
  void failAll() {
    pendingReads.failAll();
  }

  private PendingReads.Waiter readWaiter(RaftNode.ClientRead r) {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    return new PendingReads.Waiter() {
      @Override
      public void serve() {
        r.replyTo().tell(ReadPermit.GRANTED);
      }

      @Override
      public void timeout() {
        r.replyTo().tell(ReadPermit.refused(core.leaderId() == 0
            ? new ReadOutcome.NoLeader(RaftNode.noLeaderText())
            : new ReadOutcome.Timeout("the read could not be confirmed with the leader in time; retry")));
      }

      @Override
      public long deadlineNanos() {
        return deadline;
      }
    };
  }
}
