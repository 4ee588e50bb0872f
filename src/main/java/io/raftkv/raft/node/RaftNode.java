package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.NodeStatus;
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
import io.raftkv.transport.ReadIndexReply;
import io.raftkv.transport.Transport;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The Raft node: a typed actor with one behavior per role ({@link #follower()},
 * {@link #candidate()}, {@link #leader()}) over the pure {@link RaftCore}. Handlers translate
 * messages into core inputs and carry out the core's Ready through a {@link ReadyPipeline};
 * the protocol rules themselves live in the core. The message protocol and the role behaviors
 * are here; linearizable reads ({@link LinearizableReads}), snapshots ({@link
 * SnapshotCoordinator}) and join/leave requests ({@link AdminRequests}) each live in their own
 * class, to which the handlers delegate.
 */
public final class RaftNode {

  public sealed interface Command
      permits ClientWrite, ClientRead, Join, Leave, AdminForwardDone, TriggerSnapshot, PurgeLog, BeginInstall,
          InstallReceived, SnapshotTaken, LogPurged, SnapshotOpened, SnapshotSendFailed, SnapshotRetry, PeerRequest, PeerReadIndex, Bootstrap, GetStatus, Tick, Flush, RetryReadIndex, PeerResponse,
          PeerUnreachable, Persisted, Applied, ForwardDone, LeaderReadIndex, HandOffLeadership, JoinVetted {}

  /** A client write. {@code forwarded} marks one a follower sent here; it is never forwarded again. */
  public record ClientWrite(KvCommand command, boolean forwarded, ActorRef<WriteOutcome> replyTo)
      implements Command {}

  /**
   * A linearizable read: {@code replyTo} hears {@link ReadPermit#GRANTED} once this node has
   * applied a confirmed read index, and the caller then runs the query off this actor.
   */
  public record ClientRead(ActorRef<ReadPermit> replyTo) implements Command {}

  /** Adds a node (learner first, then voter). {@code forwarded}: sent here by a follower. */
  public record Join(Member member, boolean forwarded, ActorRef<AdminOutcome> replyTo) implements Command {}

  /**
   * Removes a node; the leader hands its leadership over first if it is the one leaving.
   * {@code force}: the operator confirmed a removal that leaves fewer than three voters.
   */
  public record Leave(long nodeId, boolean force, boolean forwarded, ActorRef<AdminOutcome> replyTo)
      implements Command {}

  /**
   * Before a shutdown: a leader hands its leadership to the most caught-up voter and answers with
   * the new leader's id once another node leads (0 if none did within {@code within}); any other
   * node answers at once.
   */
  public record HandOffLeadership(java.time.Duration within, ActorRef<Long> replyTo) implements Command {}

  record AdminForwardDone(AdminOutcome outcome, ActorRef<AdminOutcome> replyTo) implements Command {}

  /** The leader's Hello to a joining node's endpoint answered (or failed): {@link JoinVetting}. */
  record JoinVetted(Join join, JoinVetting.Verdict verdict) implements Command {}

  /** Snapshot the applied state now (and compact the log behind it as configured). */
  public record TriggerSnapshot(ActorRef<SnapshotMeta> replyTo) implements Command {}

  /** Compact the log up to {@code uptoIndex}, which a snapshot must already cover. */
  public record PurgeLog(long uptoIndex, ActorRef<AdminOutcome> replyTo) implements Command {}

  /**
   * Prepare to receive a snapshot from the leader of {@code leaderTerm}, resuming an unfinished
   * install of the same snapshot from the same term (handed to the storage actor).
   */
  public record BeginInstall(SnapshotMeta meta, long leaderTerm, ActorRef<SnapshotSink> replyTo) implements Command {}

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

  /**
   * A persist is durable. {@code installed} is the snapshot it made live, as storage describes
   * it (with its size on disk), or null.
   */
  public record Persisted(long seq, SnapshotMeta installed) implements Command {}

  public record Applied(List<LogEntry> entries, List<KvResult> results) implements Command {}

  record ForwardDone(WriteOutcome outcome, ActorRef<WriteOutcome> replyTo) implements Command {}

  record LeaderReadIndex(ReadIndexReply reply, Throwable failure) implements Command {}

  private static final long EXPIRY_SWEEP_NANOS = 200_000_000L;

  private final ActorContext<Command> ctx;
  private final NodeSettings settings;
  private final RaftCore core;
  private final ActorRef<StorageActor.Command> storage;
  private final Transport transport;
  private final StatusBoard statusBoard;
  private final ReadyPipeline pipeline;
  private final PendingWrites pendingWrites = new PendingWrites();
  private final ProposalAdmission admission;
  private final LinearizableReads reads;
  private final SnapshotCoordinator snapshots;
  private final AdminRequests admin;
  private final LeadershipHandOff handOff;
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
      SnapshotBacklog sinceSnapshot,
      Behavior<StorageActor.Command> storageBehavior,
      Transport transport,
      StatusBoard statusBoard) {
    return create(settings, core, appliedIndex, appliedTerm, sinceSnapshot, storageBehavior, transport, statusBoard, null);
  }

  /**
   * As above; with {@code identity} set, the leader vets every join by a Hello to the joining
   * node's endpoint and records the member with the incarnation it reports.
   */
  public static Behavior<Command> create(
      NodeSettings settings,
      RaftCore core,
      long appliedIndex,
      long appliedTerm,
      SnapshotBacklog sinceSnapshot,
      Behavior<StorageActor.Command> storageBehavior,
      Transport transport,
      StatusBoard statusBoard,
      NodeIdentity identity) {
    JoinVetting vetting = identity == null ? null : new JoinVetting(transport, identity::clusterId);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      // Log under this class's name, not Pekko's ActorCell, which logback.xml quiets.
      ctx.setLoggerName(RaftNode.class);
      ActorRef<StorageActor.Command> storage = ctx.spawn(
          storageBehavior,
          "storage",
          org.apache.pekko.actor.typed.DispatcherSelector.fromConfig("raftkv-storage-dispatcher"));
      ctx.watch(storage);
      RaftNode node = new RaftNode(
          ctx, timers, settings, core, appliedIndex, appliedTerm, sinceSnapshot, storage, transport, statusBoard, vetting);
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
      SnapshotBacklog sinceSnapshot,
      ActorRef<StorageActor.Command> storage,
      Transport transport,
      StatusBoard statusBoard,
      JoinVetting vetting) {
    this.ctx = ctx;
    this.settings = settings;
    this.core = core;
    this.appliedIndex = appliedIndex;
    this.appliedTerm = appliedTerm;
    this.storage = storage;
    this.transport = transport;
    this.statusBoard = statusBoard;
    this.pipeline = new ReadyPipeline(new PipelineEffects());
    this.admission = new ProposalAdmission(settings.maxPendingProposals(), settings.maxPendingProposalBytes());
    this.reads = new LinearizableReads(
        ctx, timers, settings, core, transport, new PendingReads(),
        () -> this.appliedIndex, this::scheduleFlush);
    this.snapshots = new SnapshotCoordinator(
        ctx, timers, settings, core, storage, transport, statusBoard, pipeline, sinceSnapshot);
    this.admin = new AdminRequests(ctx, settings, core, transport, vetting);
    this.handOff = new LeadershipHandOff(ctx, core);
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
            .onMessage(ClientRead.class, r -> {
              reads.readViaLeader(r);
              return Behaviors.same();
            })
            .onMessage(PeerReadIndex.class, this::refuseReadIndex)
            .onMessage(Join.class, j -> {
              admin.joinViaLeader(j);
              return Behaviors.same();
            })
            .onMessage(Leave.class, l -> {
              admin.leaveViaLeader(l);
              return Behaviors.same();
            }))
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
              r.replyTo().tell(ReadPermit.refused(new ReadOutcome.NoLeader(noLeaderText())));
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
            .onMessage(ClientRead.class, r -> {
              reads.readAsLeader(r);
              return Behaviors.same();
            })
            .onMessage(PeerReadIndex.class, r -> {
              reads.readIndexForPeer(r);
              return Behaviors.same();
            })
            .onMessage(Join.class, j -> {
              admin.joinAsLeader(j);
              return afterInput(null);
            })
            .onMessage(Leave.class, l -> {
              admin.leaveAsLeader(l);
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
          if (r.response().term() == core.term()) {
            statusBoard.leaderContact().acknowledged(r.response().from(), core.term(), System.nanoTime());
          }
          core.step(r.response());
          return afterInput(null);
        })
        .onMessage(PeerUnreachable.class, u -> {
          ctx.getLog().debug("peer {} unreachable: {}", u.peerId(), u.reason());
          return Behaviors.same();
        })
        .onMessage(Persisted.class, p -> {
          pipeline.onPersisted(p.seq());
          if (p.installed() != null) statusBoard.publishSnapshot(p.installed());
          return afterInput(null);
        })
        .onMessage(Applied.class, this::onApplied)
        .onMessage(JoinVetted.class, v -> {
          admin.onJoinVetted(v);
          return afterInput(null);
        })
        .onMessage(AdminForwardDone.class, f -> {
          f.replyTo().tell(f.outcome());
          return Behaviors.same();
        })
        .onMessage(ForwardDone.class, f -> {
          f.replyTo().tell(f.outcome());
          return Behaviors.same();
        })
        .onMessage(LeaderReadIndex.class, m -> {
          reads.onLeaderReadIndex(m);
          return Behaviors.same();
        })
        .onMessage(TriggerSnapshot.class, t -> {
          snapshots.trigger(t);
          return Behaviors.same();
        })
        .onMessage(SnapshotTaken.class, t -> {
          snapshots.onSnapshotTaken(t);
          return afterInput(null);
        })
        .onMessage(PurgeLog.class, p -> {
          snapshots.purgeLog(p);
          return Behaviors.same();
        })
        .onMessage(LogPurged.class, p -> {
          snapshots.onLogPurged(p);
          return afterInput(null);
        })
        .onMessage(BeginInstall.class, begin -> {
          snapshots.beginInstall(begin);
          return Behaviors.same();
        })
        .onMessage(InstallReceived.class, r -> {
          snapshots.onInstallReceived(r);
          return afterInput(null);
        })
        .onMessage(SnapshotOpened.class, o -> snapshots.onSnapshotOpened(o) ? afterInput(null) : Behaviors.same())
        .onMessage(SnapshotSendFailed.class, f -> {
          snapshots.onSendFailed(f);
          return Behaviors.same();
        })
        .onMessage(SnapshotRetry.class, r -> {
          snapshots.onRetry(r);
          return afterInput(null);
        })
        .onMessage(RetryReadIndex.class, r -> {
          reads.onRetryReadIndex();
          return Behaviors.same();
        })
        .onMessage(Bootstrap.class, this::onBootstrap)
        .onMessage(HandOffLeadership.class, h -> {
          handOff.start(h);
          return afterInput(null);
        })
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(statusBoard.get());
          return Behaviors.same();
        })
        .onSignal(Terminated.class, t -> {
          // Only the storage actor is watched. It stops when it threw: a failed write, fsync or
          // read (a StorageException), or a bug in it. The node stops with the same cause, so
          // that nothing unsynced is acknowledged and the guardian can tell which it was.
          Throwable cause = t instanceof ChildFailed failed ? failed.getCause() : null;
          ctx.getLog().error("the storage actor stopped ({}); stopping the node so that nothing unsynced is acknowledged",
              cause == null ? "without an error" : NodeFailure.messages(cause));
          throw new IllegalStateException("the storage actor stopped", cause);
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          String reason = "the node is shutting down; the outcome of this request is unknown";
          pendingWrites.failAll(reason);
          reads.failAll();
          admin.failAll();
          handOff.failAll();
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
      reads.expire(now);
    }
    return afterInput(null);
  }

  private Behavior<Command> onPeerRequest(PeerRequest r) {
    transport.peerSeen(r.request().from());
    RaftMessage.Response response = core.step(r.request());
    if (!core.isLeader() && core.leaderId() == r.request().from()) {
      statusBoard.leaderContact().heardFromLeader(System.nanoTime());
    }
    return afterInput(() -> r.replyTo().tell(response));
  }

  private Behavior<Command> propose(ClientWrite w) {
    byte[] payload = KvCommandCodec.encode(w.command());
    WriteOutcome.Overloaded overloaded = admission.refusal(payload.length);
    if (overloaded != null) {
      w.replyTo().tell(overloaded);
      return Behaviors.same();
    }
    ProposeResult result = core.propose(LogEntry.Kind.COMMAND, payload);
    if (result instanceof ProposeResult.Accepted a) {
      admission.admitted(a.index(), payload.length);
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

  private Behavior<Command> refuseReadIndex(PeerReadIndex r) {
    reads.refuseReadIndex(r);
    return Behaviors.same();
  }

  private Behavior<Command> onApplied(Applied a) {
    for (int i = 0; i < a.entries().size(); i++) {
      LogEntry e = a.entries().get(i);
      pendingWrites.onApplied(e, a.results().get(i));
      appliedIndex = Math.max(appliedIndex, e.index());
      appliedTerm = e.term();
    }
    admission.applied(appliedIndex);
    reads.onApplied(appliedIndex);
    snapshots.onApplied(a.entries());
    core.appliedTo(appliedIndex);
    // The core hands out a long backlog in bounded batches: ask for the next one now.
    if (core.hasCommittedToHandOut()) return afterInput(null);
    publishStatus();
    return Behaviors.same();
  }

  /** A received snapshot is durable and live: the state machine now stands at its index. */
  private void onSnapshotInstalled(Ready.SnapshotInstall install) {
    appliedIndex = Math.max(appliedIndex, install.index());
    appliedTerm = install.term();
    core.appliedTo(install.index());
    snapshots.onInstalled(install);
    reads.onApplied(appliedIndex);
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
    admin.drive();
    handOff.drive();
    pipeline.submit(core.ready(), reply);
    syncPeers();
    publishStatus();
    Role role = core.role();
    if (sameBehavior(role, behaviorRole)) return Behaviors.same();
    ctx.getLog().info("node {} is now {} in term {}", settings.nodeId(), role.displayName(), core.term());
    // A new role starts with nothing of its own pending: a former leader's proposals are the new
    // leader's to commit or overwrite.
    admission.clear();
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
        install = snapshots.takeStaged();
        keep = ready.install().keepLogAfterIndex();
      }
      storage.tell(new StorageActor.Persist(seq, batch, install, keep, ctx.getSelf()));
    }

    @Override
    public void release(Ready ready, List<Runnable> replies, LogEntry lastPersisted) {
      if (lastPersisted != null) core.persisted(lastPersisted.index(), lastPersisted.term());
      if (ready.install() != null) onSnapshotInstalled(ready.install());
      for (RaftMessage m : ready.messages()) send((RaftMessage.Request) m);
      for (Runnable r : replies) r.run();
      if (!ready.committed().isEmpty()) {
        storage.tell(new StorageActor.Apply(
            ready.committed(), pendingWrites.waitingFor(ready.committed()), ctx.getSelf()));
      }
      for (ReadState rs : ready.readStates()) reads.onReadState(rs);
      for (long peer : ready.sendSnapshotTo()) storage.tell(new StorageActor.OpenSnapshot(peer, ctx.getSelf()));
    }
  }

  private void send(RaftMessage.Request request) {
    long peer = request.to();
    ctx.pipeToSelf(transport.send(peer, request), (resp, failure) ->
        failure == null ? new PeerResponse(resp) : new PeerUnreachable(peer, String.valueOf(failure.getMessage())));
  }

  private long deadline() {
    return System.nanoTime() + settings.requestTimeout().toNanos();
  }

  private WriteOutcome noLeaderWrite() {
    return new WriteOutcome.NoLeader(noLeaderText());
  }

  /** The answer to any request that needs a leader while none is known; shared by the helpers. */
  static String noLeaderText() {
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
    statusBoard.publish(core.membership(), NodeStatus.builder()
        .nodeId(settings.nodeId())
        .currentLeader(leader)
        .currentLeaderHttp(leader == 0 ? "" : (leader == settings.nodeId() ? settings.httpAddr() : httpOf(leader)))
        .currentTerm(core.term())
        .state(core.role().displayName())
        .lastLogIndex(core.lastIndex())
        .commitIndex(core.commitIndex())
        .lastAppliedIndex(appliedIndex)
        .lastAppliedTerm(appliedTerm));
  }
}
