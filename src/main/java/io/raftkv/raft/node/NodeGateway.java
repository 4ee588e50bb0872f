package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.AppliedState;
import io.raftkv.api.ClientApi;
import io.raftkv.api.ClusterMember;
import io.raftkv.api.NodeHealth;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.ReadQuery;
import io.raftkv.api.SnapshotInfo;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.driver.ClientViews;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.ReadPermit;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.StateMachineStore;
import io.raftkv.transport.PeerInfo;
import io.raftkv.transport.RaftInbound;
import io.raftkv.transport.ReadIndexReply;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The node as its clients (HTTP) and peers (gRPC) see it: each call becomes a message to the
 * Raft node actor, with a deadline. A deadline that passes is an outcome (504), never an
 * exception, because the request may still take effect. The queries of reads run on the read
 * executor once the actor has granted them, never on the actor's thread.
 */
public final class NodeGateway implements ClientApi, RaftInbound {
  /** The dispatcher (application.conf) whose threads run the queries of reads. */
  public static final String READ_DISPATCHER = "raftkv-read-dispatcher";

  private final ActorRef<RaftNode.Command> node;
  private final Scheduler scheduler;
  private final StatusBoard status;
  private final AppliedState appliedState;
  private final NodeSettings settings;
  private final SnapshotReceiver snapshotReceiver;
  private final DiskQuota quota;
  private final ReadinessRules readiness;
  private final Executor readExecutor;
  private volatile NodeIdentity identity;

  private NodeGateway(Builder b) {
    this.node = Objects.requireNonNull(b.node, "node");
    this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
    this.status = Objects.requireNonNull(b.status, "status");
    this.appliedState = ClientViews.appliedState(Objects.requireNonNull(b.stateMachine, "stateMachine"));
    this.settings = Objects.requireNonNull(b.settings, "settings");
    this.readExecutor = Objects.requireNonNull(b.readExecutor, "readExecutor");
    this.quota = Objects.requireNonNull(b.quota, "quota");
    this.readiness = Objects.requireNonNull(b.readiness, "readiness");
    Duration step = Duration.ofSeconds(30);
    this.snapshotReceiver = new SnapshotReceiver(new SnapshotReceiver.Node() {
      @Override
      public CompletionStage<SnapshotSink> beginInstall(SnapshotMeta meta, long leaderTerm) {
        return AskPattern.ask(node, r -> new RaftNode.BeginInstall(meta, leaderTerm, r), step, scheduler);
      }

      @Override
      public CompletionStage<RaftMessage.Response> installReceived(RaftMessage.InstallSnapshot header, SnapshotSink sink) {
        return AskPattern.ask(node, r -> new RaftNode.InstallReceived(header, sink, r), step, scheduler);
      }
    }, Objects.requireNonNull(b.materializer, "materializer"));
  }

  /** A gateway to {@code node}; every other part is named on the builder, and all are required. */
  public static Builder builder(ActorRef<RaftNode.Command> node) {
    return new Builder(node);
  }

  /** Hello answers report this identity (cluster id, incarnation) from now on. */
  public void useIdentity(NodeIdentity identity) {
    this.identity = identity;
  }

  @Override
  public CompletionStage<WriteOutcome> write(KvCommand command) {
    return writeInternal(command, false);
  }

  /**
   * The quota is checked where a write enters: on the node a client sent it to, and again on the
   * leader when a follower forwards it, so the leader's alarm holds for the whole cluster's
   * writes. A refused write is never proposed.
   */
  private CompletionStage<WriteOutcome> writeInternal(KvCommand command, boolean forwarded) {
    if (!quota.admit(command)) {
      return CompletableFuture.completedFuture(new WriteOutcome.NoSpace(quota.noSpaceMessage(settings.nodeId())));
    }
    return ask(
        replyTo -> new RaftNode.ClientWrite(KvCommandCodec.encode(command), forwarded, replyTo),
        settings.requestTimeout(),
        new WriteOutcome.Timeout("the write was not confirmed within "
            + settings.requestTimeout().toMillis() + " ms; its outcome is unknown, read the key to find out"));
  }

  @Override
  public CompletionStage<ReadOutcome> read(ReadQuery query, boolean linearizable) {
    if (!linearizable) return CompletableFuture.supplyAsync(() -> query.runOn(appliedState), readExecutor);
    // The node actor only says when the state machine has reached the read index (thesis §6.4);
    // the query runs here, on the read executor, so a scan never occupies the actor's thread.
    CompletionStage<ReadPermit> permit = ask(
        RaftNode.ClientRead::new,
        settings.requestTimeout(),
        ReadPermit.refused(new ReadOutcome.Timeout("the read was not confirmed within "
            + settings.requestTimeout().toMillis() + " ms; retry")));
    return permit.thenApplyAsync(
        p -> p.granted() ? query.runOn(appliedState) : p.refusal(), readExecutor);
  }

  @Override
  public CompletionStage<AdminOutcome> join(ClusterMember member) {
    Member joining = ClientViews.member(member);
    return adminAsk(replyTo -> new RaftNode.Join(joining, false, replyTo));
  }

  @Override
  public CompletionStage<AdminOutcome> leave(long nodeId, boolean force) {
    return adminAsk(replyTo -> new RaftNode.Leave(nodeId, force, false, replyTo));
  }

  @Override
  public CompletionStage<AdminOutcome> transferLeader(long nodeId) {
    return adminAsk(replyTo -> new RaftNode.TransferLeader(nodeId, false, replyTo));
  }

  @Override
  public CompletionStage<AdminOutcome> onTransferLeader(long nodeId, boolean forwarded) {
    return adminAsk(replyTo -> new RaftNode.TransferLeader(nodeId, forwarded, replyTo));
  }

  @Override
  public CompletionStage<AdminOutcome> onJoin(Member member, boolean forwarded) {
    return adminAsk(replyTo -> new RaftNode.Join(member, forwarded, replyTo));
  }

  @Override
  public CompletionStage<AdminOutcome> onLeave(long nodeId, boolean force, boolean forwarded) {
    return adminAsk(replyTo -> new RaftNode.Leave(nodeId, force, forwarded, replyTo));
  }

  private CompletionStage<AdminOutcome> adminAsk(Function<ActorRef<AdminOutcome>, RaftNode.Command> message) {
    return ask(message, settings.adminAskTimeout(), new AdminOutcome.Timeout(
        "the membership change did not complete in time; it may still complete, check GET /members"));
  }

  @Override
  public NodeStatus status() {
    return status.get();
  }

  @Override
  public NodeHealth health() {
    NodeStatus s = status.get();
    long age = status.leaderContact().ageNanos(s, System.nanoTime());
    List<String> alarmReasons = quota.raised() ? List.of(quota.alarmReason()) : List.of();
    return new NodeHealth(quota.alarms(), readiness.reasons(s, age, alarmReasons), quota.usageBytes(), quota.quotaBytes());
  }

  @Override
  public CompletionStage<RaftMessage.Response> onRequest(RaftMessage.Request request) {
    return AskPattern.ask(node, replyTo -> new RaftNode.PeerRequest(request, replyTo), settings.requestTimeout(), scheduler);
  }

  /** Receives a snapshot from the leader, resuming one that broke off (see {@link SnapshotReceiver}). */
  @Override
  public CompletionStage<RaftMessage.Response> onInstallSnapshot(
      RaftMessage.InstallSnapshot header, long firstChunk, Source<byte[], NotUsed> chunks) {
    return snapshotReceiver.receive(header, firstChunk, chunks);
  }

  @Override
  public CompletionStage<Long> onSnapshotProbe(RaftMessage.InstallSnapshot header) {
    return snapshotReceiver.probe(header);
  }

  /** Snapshots the applied state now. */
  @Override
  public CompletionStage<SnapshotInfo> triggerSnapshot() {
    return AskPattern.<RaftNode.Command, SnapshotMeta>ask(
            node, RaftNode.TriggerSnapshot::new, settings.adminAskTimeout(), scheduler)
        .thenApply(ClientViews::snapshot);
  }

  @Override
  public Optional<SnapshotInfo> snapshotStatus() {
    return Optional.ofNullable(status.snapshot()).map(ClientViews::snapshot);
  }

  @Override
  public CompletionStage<AdminOutcome> purgeLog(long uptoIndex) {
    return ask(r -> new RaftNode.PurgeLog(uptoIndex, r), settings.adminAskTimeout(),
        new AdminOutcome.Timeout("the purge did not finish in time; check GET /snapshot_status and /metrics"));
  }

  @Override
  public Duration adminTimeout() {
    return settings.adminAskTimeout();
  }

  @Override
  public CompletionStage<WriteOutcome> onForward(KvCommand command) {
    return writeInternal(command, true);
  }

  @Override
  public CompletionStage<ReadIndexReply> onReadIndex() {
    return ask(
        RaftNode.PeerReadIndex::new,
        settings.requestTimeout(),
        new ReadIndexReply(ReadIndexReply.Status.TIMEOUT, 0, status.get().currentLeader()));
  }

  @Override
  public PeerInfo onHello() {
    NodeStatus s = status.get();
    Membership membership = status.membership();
    NodeIdentity id = identity;
    boolean hasState = s.lastLogIndex() > 0 || s.currentTerm() > 0 || !membership.isEmpty();
    return new PeerInfo(settings.nodeId(), settings.raftAddr(), settings.httpAddr(), membership, s.currentLeader(),
        id == null ? 0 : id.clusterId(), id == null ? 0 : id.incarnation(), hasState);
  }

  private <T> CompletionStage<T> ask(Function<ActorRef<T>, RaftNode.Command> message, Duration timeout, T onTimeout) {
    return AskPattern.<RaftNode.Command, T>ask(node, message::apply, timeout, scheduler)
        .exceptionally(failure -> onTimeout);
  }

  /** Names the parts of a {@link NodeGateway}. */
  public static final class Builder {
    private final ActorRef<RaftNode.Command> node;
    private Scheduler scheduler;
    private StatusBoard status;
    private StateMachineStore stateMachine;
    private NodeSettings settings;
    private Materializer materializer;
    private Executor readExecutor;
    private DiskQuota quota;
    private ReadinessRules readiness;

    private Builder(ActorRef<RaftNode.Command> node) {
      this.node = node;
    }

    /** Times the asks to the node actor. */
    public Builder scheduler(Scheduler v) {
      scheduler = v;
      return this;
    }

    /** Where the node publishes its status, membership and latest snapshot. */
    public Builder status(StatusBoard v) {
      status = v;
      return this;
    }

    /** The applied state that reads query. */
    public Builder stateMachine(StateMachineStore v) {
      stateMachine = v;
      return this;
    }

    public Builder settings(NodeSettings v) {
      settings = v;
      return this;
    }

    /** Runs the streams of received snapshots. */
    public Builder materializer(Materializer v) {
      materializer = v;
      return this;
    }

    /**
     * Runs the queries of reads (the raftkv-read-dispatcher in a node): never the node actor's
     * dispatcher thread, and never the caller's.
     */
    public Builder readExecutor(Executor v) {
      readExecutor = v;
      return this;
    }

    /** Refuses writes that add data while the data directory is over its quota. */
    public Builder quota(DiskQuota v) {
      quota = v;
      return this;
    }

    public Builder readiness(ReadinessRules v) {
      readiness = v;
      return this;
    }

    public NodeGateway build() {
      return new NodeGateway(this);
    }
  }
}
