package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadQuery;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Ready;
import io.raftkv.raft.core.Role;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.storage.StateMachineStore;
import io.raftkv.transport.ReadIndexReply;
import io.raftkv.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The Raft node: a typed actor with one behavior per role ({@link #follower()},
 * {@link #candidate()}, {@link #leader()}) over the pure {@link RaftCore}. Handlers translate
 * messages into core inputs and carry out the core's Ready through a {@link ReadyPipeline};
 * the protocol rules themselves live in the core.
 */
public final class RaftNode {

  public sealed interface Command
      permits ClientWrite, ClientRead, Join, Leave, AdminForwardDone, TriggerSnapshot, PurgeLog, BeginInstall,
          InstallReceived, SnapshotTaken, LogPurged, SnapshotOpened, SnapshotSendFailed, SnapshotRetry, PeerRequest, PeerReadIndex, Bootstrap, GetStatus, Tick, Flush, RetryReadIndex, PeerResponse,
          PeerUnreachable, Persisted, Applied, ForwardDone, LeaderReadIndex {}

  /** A client write. {@code forwarded} marks one a follower sent here; it is never forwarded again. */
  public record ClientWrite(KvCommand command, boolean forwarded, ActorRef<WriteOutcome> replyTo)
      implements Command {}

  /** A linearizable read. */
  public record ClientRead(ReadQuery query, ActorRef<ReadOutcome> replyTo) implements Command {}

  /** Adds a node (learner first, then voter). {@code forwarded}: sent here by a follower. */
  public record Join(Member member, boolean forwarded, ActorRef<AdminOutcome> replyTo) implements Command {}

  /** Removes a node; the leader hands its leadership over first if it is the one leaving. */
  public record Leave(long nodeId, boolean forwarded, ActorRef<AdminOutcome> replyTo) implements Command {}

  record AdminForwardDone(AdminOutcome outcome, ActorRef<AdminOutcome> replyTo) implements Command {}

  /** Snapshot the applied state now (and compact the log behind it as configured). */
  public record TriggerSnapshot(ActorRef<SnapshotMeta> replyTo) implements Command {}

  /** Compact the log up to {@code uptoIndex}, which a snapshot must already cover. */
  public record PurgeLog(long uptoIndex, ActorRef<AdminOutcome> replyTo) implements Command {}

  /** Prepare to receive a snapshot from the leader (handed to the storage actor). */
  public record BeginInstall(SnapshotMeta meta, ActorRef<SnapshotSink> replyTo) implements Command {}

  /** A snapshot fully received into {@code sink}; the core decides whether to install it. */
  public record InstallReceived(
      RaftMessage.InstallSnapshot header, SnapshotSink sink, ActorRef<RaftMessage.Response> replyTo)
      implements Command {}

  public record SnapshotTaken(SnapshotMeta meta, long purgedTo) implements Command {}

  public record LogPurged(long uptoIndex, SnapshotMeta snapshot, String error) implements Command {}

  public record SnapshotOpened(long peer, SnapshotSource source) implements Command {}

  record SnapshotSendFailed(long peer, String reason) implements Command {}

  record SnapshotRetry(long peer) implements Command {}

  /** A RequestVote or AppendEntries from a peer; the response goes to {@code replyTo} once durable. */
  public record PeerRequest(RaftMessage.Request request, ActorRef<RaftMessage.Response> replyTo)
      implements Command {}

  /** A follower asks this node, as leader, for a confirmed read index. */
  public record PeerReadIndex(ActorRef<ReadIndexReply> replyTo) implements Command {}

  /** Found a new cluster with this membership, if this node has never had any state. */
  public record Bootstrap(Membership membership, ActorRef<Boolean> replyTo) implements Command {}

  /**
   * The node's status, answered in mailbox order: the reply also tells the asker that every
   * message sent to the node before it has been handled.
   */
  public record GetStatus(ActorRef<NodeStatus> replyTo) implements Command {}

  enum Tick implements Command {
    INSTANCE
  }

  /** Collects the core's output once per mailbox run, so queued proposals share one append. */
  enum Flush implements Command {
    INSTANCE
  }

  /** A follower's ReadIndex call failed; try again (reads are idempotent). */
  enum RetryReadIndex implements Command {
    INSTANCE
  }

  record PeerResponse(RaftMessage.Response response) implements Command {}

  record PeerUnreachable(long peerId, String reason) implements Command {}

  public record Persisted(long seq) implements Command {}

  public record Applied(List<LogEntry> entries, List<KvResult> results) implements Command {}

  record ForwardDone(WriteOutcome outcome, ActorRef<WriteOutcome> replyTo) implements Command {}

  record LeaderReadIndex(ReadIndexReply reply, Throwable failure) implements Command {}

  private static final long EXPIRY_SWEEP_NANOS = 200_000_000L;
  private static final java.time.Duration SNAPSHOT_RETRY = java.time.Duration.ofMillis(500);
  /** Joins wait for the learner to catch up, which takes as long as the log is big. */
  private static final java.time.Duration ADMIN_TIMEOUT = java.time.Duration.ofSeconds(110);
  private static final java.time.Duration READ_INDEX_RETRY = java.time.Duration.ofMillis(50);

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final NodeSettings settings;
  private final RaftCore core;
  private final ActorRef<StorageActor.Command> storage;
  private final StateMachineStore stateMachine;
  private final Transport transport;
  private final StatusBoard statusBoard;
  private final ReadyPipeline pipeline;
  private final PendingWrites pendingWrites = new PendingWrites();
  private final PendingReads pendingReads = new PendingReads();
  /** Reads on this leader waiting for their ReadState, by request id. */
  private final TreeMap<Long, PendingReads.Waiter> awaitingReadIndex = new TreeMap<>();
  /** Followers' ReadIndex requests waiting for their ReadState, by request id. */
  private final TreeMap<Long, ActorRef<ReadIndexReply>> remoteReadIndex = new TreeMap<>();
  /** On a follower: reads covered by the ReadIndex call in flight, and reads for the next call. */
  private List<PendingReads.Waiter> followerReadsInFlight = null;
  private List<PendingReads.Waiter> followerReadsQueued = new ArrayList<>();

  private final MembershipChanges membershipChanges = new MembershipChanges();
  /** Requests for this node to leave, waiting for leadership to move elsewhere. */
  private final List<Leave> selfLeaves = new ArrayList<>();
  private final List<Long> selfLeaveDeadlines = new ArrayList<>();
  private long nextReadId = 1;
  /** A received snapshot waiting for the core's Ready to make it live. */
  private SnapshotSink stagedSnapshot;
  private long appliedSinceSnapshot;
  private boolean snapshotRunning;
  private final List<ActorRef<SnapshotMeta>> snapshotWaiters = new ArrayList<>();
  private final List<PurgeLog> purgeWaiters = new ArrayList<>();
  private long appliedIndex;
  private long appliedTerm;
  private boolean flushScheduled;
  private int proposalsSinceFlush;
  private long lastSweepNanos = System.nanoTime();
  private Role behaviorRole;
  private Membership peersMembership;

  public static Behavior<Command> create(
      NodeSettings settings,
      RaftCore core,
      long appliedIndex,
      long appliedTerm,
      Behavior<StorageActor.Command> storageBehavior,
      StateMachineStore stateMachine,
      Transport transport,
      StatusBoard statusBoard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      // Log under this class's name, not Pekko's ActorCell, which logback.xml quiets.
      ctx.setLoggerName(RaftNode.class);
      ActorRef<StorageActor.Command> storage = ctx.spawn(
          storageBehavior,
          "storage",
          org.apache.pekko.actor.typed.DispatcherSelector.fromConfig("raftkv-storage-dispatcher"));
      ctx.watch(storage);
      RaftNode node = new RaftNode(
          ctx, timers, settings, core, appliedIndex, appliedTerm, storage, stateMachine, transport, statusBoard);
      return node.behaviorFor(core.role());
    }));
  }

  private RaftNode(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      NodeSettings settings,
      RaftCore core,
      long appliedIndex,
      long appliedTerm,
      ActorRef<StorageActor.Command> storage,
      StateMachineStore stateMachine,
      Transport transport,
      StatusBoard statusBoard) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.core = core;
    this.appliedIndex = appliedIndex;
    this.appliedTerm = appliedTerm;
    this.storage = storage;
    this.stateMachine = stateMachine;
    this.transport = transport;
    this.statusBoard = statusBoard;
    this.pipeline = new ReadyPipeline(new PipelineEffects());
    this.behaviorRole = core.role();
    timers.startTimerAtFixedRate("tick", Tick.INSTANCE, settings.tick());
    syncPeers();
    publishStatus();
  }

  // ---------------------------------------------------------------- role behaviors

  private Behavior<Command> behaviorFor(Role role) {
    switch (role) {
      case LEADER:
        return leader();
      case CANDIDATE:
      case PRE_CANDIDATE:
        return candidate();
      default:
        return follower();
    }
  }

  /** Follows a leader: forwards writes to it and asks it for read indices. */
  private Behavior<Command> follower() {
    return common(Behaviors.receive(Command.class)
            .onMessage(ClientWrite.class, this::writeViaLeader)
            .onMessage(ClientRead.class, this::readViaLeader)
            .onMessage(PeerReadIndex.class, this::refuseReadIndex)
            .onMessage(Join.class, this::joinViaLeader)
            .onMessage(Leave.class, this::leaveViaLeader))
        .build();
  }

  /** Campaigns: no leader is known, so client requests are refused with a hint to retry. */
  private Behavior<Command> candidate() {
    return common(Behaviors.receive(Command.class)
            .onMessage(ClientWrite.class, w -> {
              w.replyTo().tell(noLeaderWrite());
              return Behaviors.same();
            })
            .onMessage(ClientRead.class, r -> {
              r.replyTo().tell(new ReadOutcome.NoLeader(noLeaderText()));
              return Behaviors.same();
            })
            .onMessage(PeerReadIndex.class, this::refuseReadIndex)
            .onMessage(Join.class, j -> {
              j.replyTo().tell(new AdminOutcome.Unavailable(noLeaderText()));
              return Behaviors.same();
            })
            .onMessage(Leave.class, l -> {
              l.replyTo().tell(new AdminOutcome.Unavailable(noLeaderText()));
              return Behaviors.same();
            }))
        .build();
  }

  /** Leads: proposes writes and confirms read indices. */
  private Behavior<Command> leader() {
    return common(Behaviors.receive(Command.class)
            .onMessage(ClientWrite.class, this::propose)
            .onMessage(ClientRead.class, this::readAsLeader)
            .onMessage(PeerReadIndex.class, this::readIndexForPeer)
            .onMessage(Join.class, j -> {
              membershipChanges.join(j.member(), j.replyTo(), adminDeadline());
              return afterInput(null);
            })
            .onMessage(Leave.class, l -> {
              if (l.nodeId() == settings.nodeId()) {
                selfLeaves.add(l);
                selfLeaveDeadlines.add(adminDeadline());
              } else {
                membershipChanges.leave(l.nodeId(), l.replyTo(), adminDeadline());
              }
              return afterInput(null);
            }))
        .build();
  }

  private BehaviorBuilder<Command> common(BehaviorBuilder<Command> b) {
    return b.onMessage(Tick.class, t -> onTick())
        .onMessage(Flush.class, f -> {
          flushScheduled = false;
          return afterInput(null);
        })
        .onMessage(PeerRequest.class, this::onPeerRequest)
        .onMessage(PeerResponse.class, r -> {
          core.step(r.response());
          return afterInput(null);
        })
        .onMessage(PeerUnreachable.class, u -> {
          ctx.getLog().debug("peer {} unreachable: {}", u.peerId(), u.reason());
          return Behaviors.same();
        })
        .onMessage(Persisted.class, p -> {
          pipeline.onPersisted(p.seq());
          return afterInput(null);
        })
        .onMessage(Applied.class, this::onApplied)
        .onMessage(AdminForwardDone.class, f -> {
          f.replyTo().tell(f.outcome());
          return Behaviors.same();
        })
        .onMessage(ForwardDone.class, f -> {
          f.replyTo().tell(f.outcome());
          return Behaviors.same();
        })
        .onMessage(LeaderReadIndex.class, this::onLeaderReadIndex)
        .onMessage(TriggerSnapshot.class, t -> {
          snapshotWaiters.add(t.replyTo());
          startSnapshot();
          return Behaviors.same();
        })
        .onMessage(SnapshotTaken.class, this::onSnapshotTaken)
        .onMessage(PurgeLog.class, p -> {
          purgeWaiters.add(p);
          storage.tell(new StorageActor.PurgeLog(p.uptoIndex(), ctx.getSelf()));
          return Behaviors.same();
        })
        .onMessage(LogPurged.class, this::onLogPurged)
        .onMessage(BeginInstall.class, begin -> {
          storage.tell(new StorageActor.BeginInstall(begin.meta(), begin.replyTo()));
          return Behaviors.same();
        })
        .onMessage(InstallReceived.class, this::onInstallReceived)
        .onMessage(SnapshotOpened.class, this::onSnapshotOpened)
        .onMessage(SnapshotSendFailed.class, f -> {
          ctx.getLog().warn("sending a snapshot to node {} failed: {}; retrying in {} ms",
              f.peer(), f.reason(), SNAPSHOT_RETRY.toMillis());
          // The peer stays marked as receiving a snapshot until then, so a peer that is down
          // costs one attempt per interval rather than one per heartbeat.
          timers.startSingleTimer("snapshot-retry-" + f.peer(), new SnapshotRetry(f.peer()), SNAPSHOT_RETRY);
          return Behaviors.same();
        })
        .onMessage(SnapshotRetry.class, r -> {
          core.snapshotFailed(r.peer());
          return afterInput(null);
        })
        .onMessage(RetryReadIndex.class, r -> onRetryReadIndex())
        .onMessage(Bootstrap.class, this::onBootstrap)
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(statusBoard.get());
          return Behaviors.same();
        })
        .onSignal(Terminated.class, t -> {
          // Only the storage actor is watched: it stops when a write or fsync failed.
          ctx.getLog().error("storage failed; stopping the node so that nothing unsynced is acknowledged");
          throw new IllegalStateException("storage actor stopped");
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          String reason = "the node is shutting down; the outcome of this request is unknown";
          pendingWrites.failAll(reason);
          pendingReads.failAll();
          membershipChanges.failAll();
          return Behaviors.same();
        });
  }

  // ---------------------------------------------------------------- handlers

  private Behavior<Command> onTick() {
    core.tick();
    long now = System.nanoTime();
    if (now - lastSweepNanos > EXPIRY_SWEEP_NANOS) {
      lastSweepNanos = now;
      pendingWrites.expire(now);
      pendingReads.expire(now);
      expireAwaitingReadIndex(now);
    }
    return afterInput(null);
  }

  private Behavior<Command> onPeerRequest(PeerRequest r) {
    transport.peerSeen(r.request().from());
    RaftMessage.Response response = core.step(r.request());
    return afterInput(() -> r.replyTo().tell(response));
  }

  private Behavior<Command> propose(ClientWrite w) {
    ProposeResult result = core.propose(LogEntry.Kind.COMMAND, KvCommandCodec.encode(w.command()));
    if (result instanceof ProposeResult.Accepted a) {
      pendingWrites.add(a.index(), a.term(), w.replyTo(), deadline());
      if (++proposalsSinceFlush >= settings.maxBatchEntries()) return afterInput(null);
      scheduleFlush();
      return Behaviors.same();
    }
    w.replyTo().tell(result instanceof ProposeResult.Rejected rej
        ? new WriteOutcome.Rejected(rej.reason())
        : noLeaderWrite());
    return afterInput(null);
  }

  private Behavior<Command> writeViaLeader(ClientWrite w) {
    long leader = core.leaderId();
    if (leader == 0 || leader == settings.nodeId()) {
      w.replyTo().tell(noLeaderWrite());
    } else if (w.forwarded() || !settings.forwardWrites()) {
      w.replyTo().tell(new WriteOutcome.NotLeader(leader, httpOf(leader)));
    } else {
      ctx.pipeToSelf(transport.forward(leader, w.command()), (outcome, failure) -> new ForwardDone(
          failure == null
              ? outcome
              : new WriteOutcome.Timeout("the leader (node " + leader + ") did not answer the forwarded write: "
                  + failure.getMessage() + "; its outcome is unknown"),
          w.replyTo()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> joinViaLeader(Join j) {
    forwardAdmin(j.forwarded(), j.replyTo(), addr -> transport.join(addr, j.member(), true));
    return Behaviors.same();
  }

  private Behavior<Command> leaveViaLeader(Leave l) {
    if (l.nodeId() == settings.nodeId() && !core.membership().contains(l.nodeId())) {
      l.replyTo().tell(new AdminOutcome.Done("Node " + l.nodeId() + " left the cluster successfully"));
      return Behaviors.same();
    }
    forwardAdmin(l.forwarded(), l.replyTo(), addr -> transport.leave(addr, l.nodeId(), true));
    return Behaviors.same();
  }

  private void forwardAdmin(
      boolean forwarded,
      ActorRef<AdminOutcome> replyTo,
      java.util.function.Function<String, java.util.concurrent.CompletionStage<AdminOutcome>> call) {
    long leader = core.leaderId();
    Member m = leader == 0 ? null : core.membership().member(leader);
    if (forwarded || m == null || leader == settings.nodeId()) {
      replyTo.tell(new AdminOutcome.Unavailable(noLeaderText()));
      return;
    }
    ctx.pipeToSelf(call.apply(m.raftAddr()), (outcome, failure) -> new AdminForwardDone(
        failure == null
            ? outcome
            : new AdminOutcome.Timeout("the leader (node " + leader + ") did not answer: " + failure.getMessage()
                + "; the change may still happen, check GET /members"),
        replyTo));
  }

  /**
   * A leader asked to remove itself hands leadership to the most caught-up voter first; once
   * another node leads, the request goes to it like any other.
   */
  private void driveSelfLeaves() {
    if (selfLeaves.isEmpty()) return;
    long now = System.nanoTime();
    for (int i = selfLeaves.size() - 1; i >= 0; i--) {
      if (now - selfLeaveDeadlines.get(i) > 0) {
        selfLeaves.remove(i).replyTo().tell(new AdminOutcome.Unavailable(
            "leadership could not be handed over in time; retry"));
        selfLeaveDeadlines.remove(i);
      }
    }
    if (selfLeaves.isEmpty()) return;
    if (core.isLeader()) {
      if (core.leadTransferee() != 0) return;
      long target = core.mostCaughtUpVoter();
      if (target == 0) {
        for (Leave l : selfLeaves) {
          l.replyTo().tell(new AdminOutcome.Invalid(
              "node " + settings.nodeId() + " is the last voter; a cluster cannot remove its last voter"));
        }
        selfLeaves.clear();
        selfLeaveDeadlines.clear();
        return;
      }
      ctx.getLog().info("handing leadership to node {} before leaving the cluster", target);
      core.transferLeadership(target);
    } else if (core.leaderId() != 0) {
      for (Leave l : selfLeaves) leaveViaLeader(new Leave(l.nodeId(), false, l.replyTo()));
      selfLeaves.clear();
      selfLeaveDeadlines.clear();
    }
  }

  private long adminDeadline() {
    return System.nanoTime() + ADMIN_TIMEOUT.toNanos();
  }

  private Behavior<Command> readAsLeader(ClientRead r) {
    long id = nextReadId++;
    awaitingReadIndex.put(id, readWaiter(r));
    core.requestRead(id);
    scheduleFlush();
    return Behaviors.same();
  }

  private Behavior<Command> readIndexForPeer(PeerReadIndex r) {
    long id = nextReadId++;
    remoteReadIndex.put(id, r.replyTo());
    core.requestRead(id);
    scheduleFlush();
    return Behaviors.same();
  }

  private Behavior<Command> refuseReadIndex(PeerReadIndex r) {
    ReadIndexReply.Status status = core.leaderId() == 0 ? ReadIndexReply.Status.NO_LEADER : ReadIndexReply.Status.NOT_LEADER;
    r.replyTo().tell(new ReadIndexReply(status, 0, core.leaderId()));
    return Behaviors.same();
  }

  /**
   * A follower gets its read index from the leader. Reads that arrive while a request is in
   * flight wait for the next one: the index must be fixed after the read arrived.
   */
  private Behavior<Command> readViaLeader(ClientRead r) {
    if (core.leaderId() == 0) {
      r.replyTo().tell(new ReadOutcome.NoLeader(noLeaderText()));
      return Behaviors.same();
    }
    followerReadsQueued.add(readWaiter(r));
    if (followerReadsInFlight == null) askLeaderForReadIndex();
    return Behaviors.same();
  }

  private Behavior<Command> onRetryReadIndex() {
    if (followerReadsInFlight == null && !followerReadsQueued.isEmpty()) askLeaderForReadIndexOrWait();
    return Behaviors.same();
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
      timers.startSingleTimer("read-index-retry", RetryReadIndex.INSTANCE, READ_INDEX_RETRY);
    }
  }

  private void askLeaderForReadIndex() {
    followerReadsInFlight = followerReadsQueued;
    followerReadsQueued = new ArrayList<>();
    ctx.pipeToSelf(transport.readIndex(core.leaderId()), LeaderReadIndex::new);
  }

  private Behavior<Command> onLeaderReadIndex(LeaderReadIndex m) {
    List<PendingReads.Waiter> batch = followerReadsInFlight;
    followerReadsInFlight = null;
    if (batch != null) {
      if (m.failure() == null && m.reply().status() == ReadIndexReply.Status.OK) {
        for (PendingReads.Waiter w : batch) pendingReads.add(m.reply().readIndex(), appliedIndex, w);
      } else {
        // Reads are safe to retry: they go back in the queue until their own deadline, and the
        // next attempt asks whoever leads by then.
        batch.addAll(followerReadsQueued);
        followerReadsQueued = batch;
        timers.startSingleTimer("read-index-retry", RetryReadIndex.INSTANCE, READ_INDEX_RETRY);
        return Behaviors.same();
      }
    }
    if (!followerReadsQueued.isEmpty()) askLeaderForReadIndexOrWait();
    return Behaviors.same();
  }

  private Behavior<Command> onApplied(Applied a) {
    for (int i = 0; i < a.entries().size(); i++) {
      LogEntry e = a.entries().get(i);
      pendingWrites.onApplied(e, a.results().get(i));
      appliedIndex = Math.max(appliedIndex, e.index());
      appliedTerm = e.term();
    }
    pendingReads.onApplied(appliedIndex);
    appliedSinceSnapshot += a.entries().size();
    if (settings.snapshotIntervalEntries() > 0 && appliedSinceSnapshot >= settings.snapshotIntervalEntries()) {
      startSnapshot();
    }
    publishStatus();
    return Behaviors.same();
  }

  // ---------------------------------------------------------------- snapshots (§7)

  private void startSnapshot() {
    if (snapshotRunning) return;
    snapshotRunning = true;
    storage.tell(new StorageActor.CreateSnapshot(settings.snapshotKeepLogEntries(), ctx.getSelf()));
  }

  private Behavior<Command> onSnapshotTaken(SnapshotTaken t) {
    snapshotRunning = false;
    appliedSinceSnapshot = 0;
    statusBoard.publishSnapshot(t.meta());
    if (t.purgedTo() > 0) core.compact(t.purgedTo(), t.meta().membership());
    ctx.getLog().info("snapshot at index {} (term {}), {} bytes; log compacted up to {}",
        t.meta().index(), t.meta().term(), t.meta().sizeBytes(), t.purgedTo());
    for (ActorRef<SnapshotMeta> w : snapshotWaiters) w.tell(t.meta());
    snapshotWaiters.clear();
    return afterInput(null);
  }

  private Behavior<Command> onLogPurged(LogPurged p) {
    if (p.error() == null) core.compact(p.uptoIndex(), p.snapshot().membership());
    for (var it = purgeWaiters.iterator(); it.hasNext(); ) {
      PurgeLog w = it.next();
      if (w.uptoIndex() != p.uptoIndex()) continue;
      it.remove();
      w.replyTo().tell(p.error() == null
          ? new AdminOutcome.Done("Log purged up to index " + p.uptoIndex())
          : new AdminOutcome.Invalid(p.error()));
      break;
    }
    return afterInput(null);
  }

  private Behavior<Command> onInstallReceived(InstallReceived r) {
    if (stagedSnapshot != null) stagedSnapshot.abort();
    stagedSnapshot = r.sink();
    RaftMessage.Response response = core.step(r.header());
    Ready ready = core.ready();
    if (ready.install() == null) {
      // Refused or already covered: nothing of it goes live.
      stagedSnapshot.abort();
      stagedSnapshot = null;
    }
    pipeline.submit(ready, () -> r.replyTo().tell(response));
    return afterInput(null);
  }

  /** A received snapshot is durable and live: the state machine now stands at its index. */
  private void onSnapshotInstalled(Ready.SnapshotInstall install) {
    appliedIndex = Math.max(appliedIndex, install.index());
    appliedTerm = install.term();
    appliedSinceSnapshot = 0;
    statusBoard.publishSnapshot(new SnapshotMeta(
        install.index(), install.term(), install.membership(), 0, System.currentTimeMillis()));
    ctx.getLog().info("installed the leader's snapshot at index {} (term {})", install.index(), install.term());
    pendingReads.onApplied(appliedIndex);
  }

  /** Streams the latest snapshot to a follower the core says is behind the compacted log. */
  private Behavior<Command> onSnapshotOpened(SnapshotOpened o) {
    if (o.source() == null || !core.isLeader()) {
      if (o.source() != null) o.source().close();
      core.snapshotFailed(o.peer());
      return afterInput(null);
    }
    SnapshotSource source = o.source();
    SnapshotMeta meta = source.meta();
    RaftMessage.InstallSnapshot header = new RaftMessage.InstallSnapshot(
        settings.nodeId(), o.peer(), core.term(), meta.index(), meta.term(), meta.membership());
    int chunkBytes = settings.snapshotChunkBytes();
    org.apache.pekko.stream.javadsl.Source<byte[], org.apache.pekko.NotUsed> chunks =
        org.apache.pekko.stream.javadsl.Source.<SnapshotSource, byte[]>unfold(source, s -> nextChunk(s, chunkBytes))
            .watchTermination((mat, done) -> {
              done.whenComplete((d, e) -> source.close());
              return mat;
            })
            // Reading the snapshot blocks on disk: keep it off the node's dispatcher.
            .withAttributes(org.apache.pekko.stream.ActorAttributes.dispatcher("raftkv-snapshot-dispatcher"));
    ctx.getLog().info("sending snapshot at index {} to node {}", meta.index(), o.peer());
    long peer = o.peer();
    ctx.pipeToSelf(transport.installSnapshot(peer, header, chunks), (resp, failure) ->
        failure == null ? new PeerResponse(resp) : new SnapshotSendFailed(peer, String.valueOf(failure.getMessage())));
    return Behaviors.same();
  }

  private static java.util.Optional<org.apache.pekko.japi.Pair<SnapshotSource, byte[]>> nextChunk(
      SnapshotSource source, int maxBytes) {
    byte[] chunk = source.nextChunk(maxBytes);
    return chunk == null ? java.util.Optional.empty() : java.util.Optional.of(org.apache.pekko.japi.Pair.create(source, chunk));
  }

  private Behavior<Command> onBootstrap(Bootstrap b) {
    boolean fresh = core.lastIndex() == 0 && core.term() == 0;
    if (fresh) {
      core.bootstrap(b.membership());
      ctx.getLog().info("bootstrapped a new cluster with voters {}", b.membership().voters().keySet());
    }
    b.replyTo().tell(fresh);
    return afterInput(null);
  }

  // ---------------------------------------------------------------- driving the core

  /** Collects the core's output, hands it to the pipeline, and switches behavior if the role changed. */
  private Behavior<Command> afterInput(Runnable reply) {
    proposalsSinceFlush = 0;
    if (core.isLeader()) {
      membershipChanges.drive(core, System.nanoTime());
    } else if (!membershipChanges.isEmpty()) {
      membershipChanges.failAll();
    }
    driveSelfLeaves();
    pipeline.submit(core.ready(), reply);
    syncPeers();
    publishStatus();
    Role role = core.role();
    if (sameBehavior(role, behaviorRole)) return Behaviors.same();
    ctx.getLog().info("node {} is now {} in term {}", settings.nodeId(), role.displayName(), core.term());
    behaviorRole = role;
    return behaviorFor(role);
  }

  private static boolean sameBehavior(Role a, Role b) {
    return a == b || (a != Role.LEADER && a != Role.FOLLOWER && b != Role.LEADER && b != Role.FOLLOWER);
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.getSelf().tell(Flush.INSTANCE);
    }
  }

  private final class PipelineEffects implements ReadyPipeline.Effects {
    @Override
    public void persist(long seq, PersistBatch batch, Ready ready) {
      SnapshotSink install = null;
      boolean keep = false;
      if (ready.install() != null) {
        install = stagedSnapshot;
        keep = ready.install().keepLogAfterIndex();
        stagedSnapshot = null;
      }
      storage.tell(new StorageActor.Persist(seq, batch, install, keep, ctx.getSelf()));
    }

    @Override
    public void release(Ready ready, List<Runnable> replies, LogEntry lastPersisted) {
      if (lastPersisted != null) core.persisted(lastPersisted.index(), lastPersisted.term());
      if (ready.install() != null) onSnapshotInstalled(ready.install());
      for (RaftMessage m : ready.messages()) send((RaftMessage.Request) m);
      for (Runnable r : replies) r.run();
      if (!ready.committed().isEmpty()) storage.tell(new StorageActor.Apply(ready.committed(), ctx.getSelf()));
      for (ReadState rs : ready.readStates()) onReadState(rs);
      for (long peer : ready.sendSnapshotTo()) storage.tell(new StorageActor.OpenSnapshot(peer, ctx.getSelf()));
    }
  }

  private void send(RaftMessage.Request request) {
    long peer = request.to();
    ctx.pipeToSelf(transport.send(peer, request), (resp, failure) ->
        failure == null ? new PeerResponse(resp) : new PeerUnreachable(peer, String.valueOf(failure.getMessage())));
  }

  private void onReadState(ReadState rs) {
    PendingReads.Waiter local = awaitingReadIndex.remove(rs.requestId());
    if (local != null) {
      if (rs.failed()) {
        local.timeout();
      } else {
        pendingReads.add(rs.readIndex(), appliedIndex, local);
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

  private void expireAwaitingReadIndex(long now) {
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

  private PendingReads.Waiter readWaiter(ClientRead r) {
    long deadline = deadline();
    return new PendingReads.Waiter() {
      @Override
      public void serve() {
        r.replyTo().tell(r.query().runOn(stateMachine));
      }

      @Override
      public void timeout() {
        r.replyTo().tell(core.leaderId() == 0
            ? new ReadOutcome.NoLeader(noLeaderText())
            : new ReadOutcome.Timeout("the read could not be confirmed with the leader in time; retry"));
      }

      @Override
      public long deadlineNanos() {
        return deadline;
      }
    };
  }

  private long deadline() {
    return System.nanoTime() + settings.requestTimeout().toNanos();
  }

  private WriteOutcome noLeaderWrite() {
    return new WriteOutcome.NoLeader(noLeaderText());
  }

  private String noLeaderText() {
    return "no leader is known right now (an election may be in progress); retry in a moment";
  }

  private String httpOf(long nodeId) {
    Member m = core.membership().member(nodeId);
    return m == null ? "" : m.httpAddr();
  }

  /** Keeps the transport's connections in line with the membership the core uses. */
  private void syncPeers() {
    Membership m = core.membership();
    if (m.equals(peersMembership)) return;
    peersMembership = m;
    Map<Long, String> addrs = new TreeMap<>();
    for (Member member : m.all().values()) {
      if (member.id() != settings.nodeId()) addrs.put(member.id(), member.raftAddr());
    }
    transport.updatePeers(addrs);
  }

  private void publishStatus() {
    long leader = core.leaderId();
    statusBoard.publish(new NodeStatus(
        settings.nodeId(),
        leader,
        leader == 0 ? "" : (leader == settings.nodeId() ? settings.httpAddr() : httpOf(leader)),
        core.term(),
        core.role().displayName(),
        core.lastIndex(),
        core.commitIndex(),
        appliedIndex,
        appliedTerm,
        core.membership()));
  }
}
