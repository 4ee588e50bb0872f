package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.driver.DriverPorts;
import io.raftkv.raft.driver.JoinRequest;
import io.raftkv.raft.driver.JoinVerdict;
import io.raftkv.raft.driver.LeaveRequest;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.RaftDriver;
import io.raftkv.raft.driver.ReadPermit;
import io.raftkv.raft.driver.RoleBehavior;
import io.raftkv.raft.driver.StartingPoint;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.transport.ReadIndexReply;
import io.raftkv.transport.Transport;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The Raft node as a typed actor: a thin adapter over the Pekko-free {@link RaftDriver}, which
 * makes every Raft decision. One behavior per role ({@link #follower()}, {@link #candidate()},
 * {@link #leader()}) says who handles a client request; every message becomes one driver call;
 * the driver's effects go out through {@link ActorPorts} (the storage actor, the transport,
 * Pekko timers). The simulator runs the same driver on simulated storage and network.
 */
public final class RaftNode {

  /** Everything the node actor handles, grouped by who sends it. */
  public sealed interface Command permits ClientCommand, AdminCommand, PeerCommand, StorageEvent, Internal {}

  /** From this node's clients, through the HTTP API. */
  public sealed interface ClientCommand extends Command permits ClientWrite, ClientRead {}

  /** From operators and the node's own life cycle. */
  public sealed interface AdminCommand extends Command
      permits Join, Leave, TransferLeader, HandOffLeadership, TriggerSnapshot, PurgeLog, Bootstrap, GetStatus {}

  /** From other nodes (through the gRPC service), and the answers to what this node sent them. */
  public sealed interface PeerCommand extends Command
      permits PeerRequest, PeerReadIndex, BeginInstall, InstallReceived, PeerResponse, PeerUnreachable,
          SnapshotSendFailed, LeaderReadIndex, JoinVetted {}

  /** Completions from the storage actor. */
  public sealed interface StorageEvent extends Command
      permits Persisted, Applied, SnapshotTaken, LogPurged, SnapshotOpened {}

  /** The node's own timers. */
  sealed interface Internal extends Command permits Tick, Run {}

  /** A client write, an encoded command. {@code forwarded}: a follower sent it here; never forwarded again. */
  public record ClientWrite(byte[] command, boolean forwarded, ActorRef<WriteOutcome> replyTo) implements ClientCommand {}

  /**
   * A linearizable read: {@code replyTo} hears {@link ReadPermit#GRANTED} once this node has
   * applied a confirmed read index, and the caller then runs the query off this actor.
   */
  public record ClientRead(ActorRef<ReadPermit> replyTo) implements ClientCommand {}

  /** Adds a node (learner first, then voter). {@code forwarded}: sent here by a follower. */
  public record Join(Member member, boolean forwarded, ActorRef<AdminOutcome> replyTo) implements AdminCommand {}

  /**
   * Removes a node; the leader hands its leadership over first if it is the one leaving.
   * {@code force}: the operator confirmed a removal that leaves fewer than three voters.
   */
  public record Leave(long nodeId, boolean force, boolean forwarded, ActorRef<AdminOutcome> replyTo)
      implements AdminCommand {}

  /** Moves leadership to voter {@code nodeId} (0: the most caught-up one); {@code forwarded}: sent here by a follower. */
  public record TransferLeader(long nodeId, boolean forwarded, ActorRef<AdminOutcome> replyTo) implements AdminCommand {}

  /**
   * Before a shutdown: a leader hands its leadership to the most caught-up voter and answers with
   * the new leader's id once another node leads (0 if none did within {@code within}); any other
   * node answers at once.
   */
  public record HandOffLeadership(Duration within, ActorRef<Long> replyTo) implements AdminCommand {}

  /** Snapshot the applied state now (and compact the log behind it as configured). */
  public record TriggerSnapshot(ActorRef<SnapshotMeta> replyTo) implements AdminCommand {}

  /** Compact the log up to {@code uptoIndex}, which a snapshot must already cover. */
  public record PurgeLog(long uptoIndex, ActorRef<AdminOutcome> replyTo) implements AdminCommand {}

  /** Found a new cluster with this membership, if this node has never had any state. */
  public record Bootstrap(Membership membership, ActorRef<Boolean> replyTo) implements AdminCommand {}

  /**
   * The node's status, answered in mailbox order: the reply also tells the asker that every
   * message sent to the node before it has been handled.
   */
  public record GetStatus(ActorRef<NodeStatus> replyTo) implements AdminCommand {}

  /** A RequestVote, AppendEntries or TimeoutNow from a peer; the response goes to {@code replyTo} once durable. */
  public record PeerRequest(RaftMessage.Request request, ActorRef<RaftMessage.Response> replyTo)
      implements PeerCommand {}

  /** A follower asks this node, as leader, for a confirmed read index. */
  public record PeerReadIndex(ActorRef<ReadIndexReply> replyTo) implements PeerCommand {}

  /**
   * Prepare to receive a snapshot from the leader of {@code leaderTerm}, resuming an unfinished
   * install of the same snapshot from the same term (handed to the storage actor).
   */
  public record BeginInstall(SnapshotMeta meta, long leaderTerm, ActorRef<SnapshotSink> replyTo)
      implements PeerCommand {}

  /** A snapshot fully received into {@code sink}; the core decides whether to install it. */
  public record InstallReceived(
      RaftMessage.InstallSnapshot header, SnapshotSink sink, ActorRef<RaftMessage.Response> replyTo)
      implements PeerCommand {}

  record PeerResponse(RaftMessage.Response response) implements PeerCommand {}

  record PeerUnreachable(long peerId, String reason) implements PeerCommand {}

  record SnapshotSendFailed(long peer, String reason) implements PeerCommand {}

  record LeaderReadIndex(ReadIndexReply reply, Throwable failure) implements PeerCommand {}

  /** The leader's Hello to a joining node's endpoint answered (or failed): {@link JoinVetting}. */
  record JoinVetted(JoinRequest join, JoinVerdict verdict) implements PeerCommand {}

  /**
   * A persist is durable. {@code installed} is the snapshot it made live, as storage describes
   * it (with its size on disk), or null.
   */
  public record Persisted(long seq, SnapshotMeta installed) implements StorageEvent {}

  public record Applied(List<LogEntry> entries, List<KvResult> results) implements StorageEvent {}

  public record SnapshotTaken(SnapshotMeta meta, long purgedTo) implements StorageEvent {}

  public record LogPurged(long uptoIndex, SnapshotMeta snapshot, String error) implements StorageEvent {}

  public record SnapshotOpened(long peer, SnapshotSource source) implements StorageEvent {}

  enum Tick implements Internal {
    INSTANCE
  }

  /** A driver timer fired, or the driver asked to run something after the queued messages. */
  record Run(Runnable action) implements Internal {}

  private final RaftDriver driver;
  private RoleBehavior behavior;

  /**
   * The node's behavior. With {@code identity} set, the leader vets every join by a Hello to the
   * joining node's endpoint and records the member with the incarnation it reports.
   */
  public static Behavior<Command> create(
      NodeSettings settings,
      StartingPoint start,
      Behavior<StorageActor.Command> storageBehavior,
      Transport transport,
      StatusBoard statusBoard,
      NodeIdentity identity) {
    JoinVetting vetting = identity == null ? null : new JoinVetting(transport, identity::clusterId);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      // Log under this class's name, not Pekko's ActorCell, which logback.xml quiets.
      ctx.setLoggerName(RaftNode.class);
      ActorRef<StorageActor.Command> storage = ctx.spawn(
          storageBehavior, "storage", DispatcherSelector.fromConfig("raftkv-storage-dispatcher"));
      ctx.watch(storage);
      ActorPorts ports = new ActorPorts(ctx, timers, storage, transport, vetting, settings);
      RaftDriver driver = new RaftDriver(
          settings, start, new DriverPorts(ports, ports, ports, System::nanoTime, ctx.getLog()), statusBoard);
      timers.startTimerAtFixedRate("tick", Tick.INSTANCE, settings.tick());
      driver.start();
      return new RaftNode(driver).behaviorFor(driver.role());
    }));
  }

  private RaftNode(RaftDriver driver) {
    this.driver = driver;
  }

  // ---------------------------------------------------------------- role behaviors

  private Behavior<Command> behaviorFor(io.raftkv.raft.core.Role role) {
    behavior = RoleBehavior.of(role);
    return switch (behavior) {
      case LEADER -> leader();
      case CANDIDATE -> candidate();
      case FOLLOWER -> follower();
    };
  }

  /** Follows a leader: forwards writes and admin requests to it and asks it for read indices. */
  private Behavior<Command> follower() {
    return common(Behaviors.receive(Command.class)
            .onMessage(ClientWrite.class, w -> then(() -> driver.forwardWrite(w.command(), w.forwarded(), w.replyTo()::tell)))
            .onMessage(ClientRead.class, r -> then(() -> driver.readViaLeader(r.replyTo()::tell)))
            .onMessage(PeerReadIndex.class, r -> then(() -> driver.refuseReadIndex(r.replyTo()::tell)))
            .onMessage(Join.class, j -> then(() -> driver.joinViaLeader(joinRequest(j))))
            .onMessage(Leave.class, l -> then(() -> driver.leaveViaLeader(leaveRequest(l)))))
        .build();
  }

  /** Campaigns: no leader is known, so client requests are refused with a hint to retry. */
  private Behavior<Command> candidate() {
    return common(Behaviors.receive(Command.class)
            .onMessage(ClientWrite.class, w -> then(() -> driver.refuseWrite(w.replyTo()::tell)))
            .onMessage(ClientRead.class, r -> then(() -> driver.refuseRead(r.replyTo()::tell)))
            .onMessage(PeerReadIndex.class, r -> then(() -> driver.refuseReadIndex(r.replyTo()::tell)))
            .onMessage(Join.class, j -> then(() -> driver.refuseAdmin(j.replyTo()::tell)))
            .onMessage(Leave.class, l -> then(() -> driver.refuseAdmin(l.replyTo()::tell))))
        .build();
  }

  /** Leads: proposes writes, confirms read indices and carries out membership changes. */
  private Behavior<Command> leader() {
    return common(Behaviors.receive(Command.class)
            .onMessage(ClientWrite.class, w -> then(() -> driver.proposeWrite(w.command(), w.replyTo()::tell)))
            .onMessage(ClientRead.class, r -> then(() -> driver.readAsLeader(r.replyTo()::tell)))
            .onMessage(PeerReadIndex.class, r -> then(() -> driver.readIndexForPeer(r.replyTo()::tell)))
            .onMessage(Join.class, j -> then(() -> driver.joinAsLeader(joinRequest(j))))
            .onMessage(Leave.class, l -> then(() -> driver.leaveAsLeader(leaveRequest(l)))))
        .build();
  }

  private BehaviorBuilder<Command> common(BehaviorBuilder<Command> b) {
    return b.onMessage(Tick.class, t -> then(driver::tick))
        .onMessage(Run.class, r -> then(r.action()))
        .onMessage(PeerRequest.class, r -> then(() -> driver.request(r.request(), r.replyTo()::tell)))
        .onMessage(PeerResponse.class, r -> then(() -> driver.response(r.response())))
        .onMessage(PeerUnreachable.class, u -> then(() -> driver.unreachable(u.peerId(), u.reason())))
        .onMessage(LeaderReadIndex.class, m -> then(() -> driver.leaderReadIndex(m.reply(), m.failure())))
        .onMessage(JoinVetted.class, v -> then(() -> driver.joinVetted(v.join(), v.verdict())))
        .onMessage(BeginInstall.class, i -> then(() -> driver.beginInstall(i.meta(), i.leaderTerm(), i.replyTo()::tell)))
        .onMessage(InstallReceived.class, r -> then(() -> driver.installReceived(r.header(), r.sink(), r.replyTo()::tell)))
        .onMessage(SnapshotSendFailed.class, f -> then(() -> driver.snapshotSendFailed(f.peer(), f.reason())))
        .onMessage(Persisted.class, p -> then(() -> driver.persisted(p.seq(), p.installed())))
        .onMessage(Applied.class, a -> then(() -> driver.applied(a.entries(), a.results())))
        .onMessage(SnapshotTaken.class, t -> then(() -> driver.snapshotTaken(t.meta(), t.purgedTo())))
        .onMessage(LogPurged.class, p -> then(() -> driver.logPurged(p.uptoIndex(), p.snapshot(), p.error())))
        .onMessage(SnapshotOpened.class, o -> then(() -> driver.snapshotOpened(o.peer(), o.source())))
        .onMessage(TriggerSnapshot.class, t -> then(() -> driver.triggerSnapshot(t.replyTo()::tell)))
        .onMessage(PurgeLog.class, p -> then(() -> driver.purgeLog(p.uptoIndex(), p.replyTo()::tell)))
        .onMessage(TransferLeader.class, t -> then(() -> driver.transferLeader(t.nodeId(), t.forwarded(), t.replyTo()::tell)))
        .onMessage(HandOffLeadership.class, h -> then(() -> driver.handOffLeadership(h.within(), h.replyTo()::tell)))
        .onMessage(Bootstrap.class, b2 -> then(() -> b2.replyTo().tell(driver.bootstrap(b2.membership()))))
        .onMessage(GetStatus.class, g -> then(() -> g.replyTo().tell(driver.status())))
        .onSignal(Terminated.class, t -> {
          // Only the storage actor is watched. It stops when it threw: a failed write, fsync or
          // read (a StorageException), or a bug in it. The node stops with the same cause, so
          // that nothing unsynced is acknowledged and the guardian can tell which it was.
          Throwable cause = t instanceof ChildFailed failed ? failed.getCause() : null;
          driver.storageFailed(cause == null ? new IllegalStateException("the storage actor stopped") : cause);
          throw new IllegalStateException("the storage actor stopped"
              + (cause == null ? " without an error" : ": " + NodeFailure.messages(cause)), cause);
        })
        .onSignal(PostStop.class, s -> {
          driver.stop();
          return Behaviors.same();
        });
  }

  /** Runs one driver call, then switches behavior if the node's role changed. */
  private Behavior<Command> then(Runnable call) {
    call.run();
    if (RoleBehavior.of(driver.role()) == behavior) return Behaviors.same();
    return behaviorFor(driver.role());
  }

  private static JoinRequest joinRequest(Join j) {
    return new JoinRequest(j.member(), j.forwarded(), j.replyTo()::tell);
  }

  private static LeaveRequest leaveRequest(Leave l) {
    return new LeaveRequest(l.nodeId(), l.force(), l.forwarded(), l.replyTo()::tell);
  }
}
