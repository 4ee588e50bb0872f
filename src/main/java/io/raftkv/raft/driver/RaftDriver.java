package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.ConfChange;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Everything between the pure {@link RaftCore} and the outside world that is not a thread or a
 * socket: the one caller of {@code core.ready()}. It carries out each Ready in the order the core
 * requires through a {@link ReadyPipeline} (persist, then send, apply and answer), batches
 * proposals into one append (group commit), keeps clients waiting for their writes and reads,
 * and drives snapshots, membership changes and leadership hand-off, each in a class of its own.
 *
 * <p>It reaches storage, peers, timers and the clock only through {@link DriverPorts}, so the
 * production node (a Pekko actor, {@code RaftNode}) and the deterministic simulator run this same
 * class. Single-threaded: every method is called on one thread (the actor's, or the simulator's),
 * and the ports never call back into it from inside a call. Each input method leaves the driver
 * consistent: it collects the core's output itself.
 */
public final class RaftDriver {
  /** The answer to any request that needs a leader while none is known. */
  public static final String NO_LEADER =
      "no leader is known right now (an election may be in progress); retry in a moment";

  private static final long EXPIRY_SWEEP_NANOS = 200_000_000L;

  private final NodeSettings settings;
  private final RaftCore core;
  private final StoragePort storage;
  private final PeerPort peers;
  private final TimerPort timers;
  private final LongSupplier clock;
  private final Logger log;
  private final StatusBoard statusBoard;
  private final ReadyPipeline pipeline;
  private final ClientWrites writes;
  private final LinearizableReads reads;
  private final SnapshotCoordinator snapshots;
  private final AdminRequests admin;
  private final LeadershipHandOff handOff;
  private final Transitions transitions;
  private long appliedIndex;
  private long appliedTerm;
  private boolean flushScheduled;
  private int proposalsSinceFlush;
  private long lastSweepNanos;
  private Membership peersMembership;
  /** The snapshot the persist in flight made live, as storage describes it. */
  private SnapshotMeta installedByPersist;
  /** Set once the node must stop (storage failed, or it shuts down): nothing leaves any more. */
  private String halted;

  public RaftDriver(NodeSettings settings, StartingPoint start, DriverPorts ports, StatusBoard statusBoard) {
    this.settings = settings;
    this.core = start.core();
    this.appliedIndex = start.appliedIndex();
    this.appliedTerm = start.appliedTerm();
    this.storage = ports.storage();
    this.peers = ports.peers();
    this.clock = ports.nanoClock();
    this.log = ports.log();
    this.statusBoard = statusBoard;
    // Timer actions step the core, so the driver collects its output after each.
    this.timers = new TimerPort() {
      @Override
      public void startSingle(String key, Duration delay, Runnable action) {
        ports.timers().startSingle(key, delay, () -> afterTimer(action));
      }

      @Override
      public void runSoon(Runnable action) {
        ports.timers().runSoon(() -> afterTimer(action));
      }
    };
    this.pipeline = new ReadyPipeline(new PipelineEffects());
    this.writes = new ClientWrites(settings, core, peers, clock);
    this.reads = new LinearizableReads(settings, core, peers, timers, clock, () -> this.appliedIndex);
    this.snapshots = new SnapshotCoordinator(settings, core, ports, timers, statusBoard, start.sinceSnapshot());
    this.admin = new AdminRequests(settings, core, ports);
    this.handOff = new LeadershipHandOff(core, clock, log);
    this.transitions = new Transitions(settings.nodeId(), core, writes, reads, log);
    this.lastSweepNanos = clock.getAsLong();
  }

  /** Connects to the current members and publishes the first status; call once, before any input. */
  public void start() {
    syncPeers();
    publishStatus();
  }

  // ---------------------------------------------------------------- what the environment reads

  public Role role() {
    return core.role();
  }

  /** The core, for reading its state (the simulator's invariants); drive it only through the driver. */
  public RaftCore core() {
    return core;
  }

  /** The node's latest status, as published after the last input. */
  public NodeStatus status() {
    return statusBoard.get();
  }

  public long appliedIndex() {
    return appliedIndex;
  }

  public long appliedTerm() {
    return appliedTerm;
  }

  /** True when no persist is in flight or queued: what the node acknowledged is all on disk. */
  public boolean idle() {
    return pipeline.idle();
  }

  // ---------------------------------------------------------------- client writes, by role

  /** Routes a write by role: the leader proposes it, a follower forwards it, a candidate refuses. */
  public void write(byte[] command, boolean forwarded, Reply<WriteOutcome> replyTo) {
    switch (RoleBehavior.of(core.role())) {
      case LEADER -> proposeWrite(command, replyTo);
      case FOLLOWER -> forwardWrite(command, forwarded, replyTo);
      default -> refuseWrite(replyTo);
    }
  }

  /**
   * On the leader: appends the write unless too much is pending (429). Proposals that queue up
   * while this input runs share one Ready, collected once the queued inputs are handled.
   */
  public void proposeWrite(byte[] command, Reply<WriteOutcome> replyTo) {
    if (halted != null) {
      replyTo.tell(new WriteOutcome.Timeout(halted));
    } else if (!writes.propose(command, replyTo)) {
      afterInput(null);
    } else if (++proposalsSinceFlush >= settings.maxBatchEntries()) {
      afterInput(null);
    } else {
      scheduleFlush();
    }
  }

  /** On a follower: hands the write to the leader once; a forwarded write is never forwarded again. */
  public void forwardWrite(byte[] command, boolean forwarded, Reply<WriteOutcome> replyTo) {
    if (halted != null) {
      replyTo.tell(new WriteOutcome.Timeout(halted));
    } else {
      writes.forward(command, forwarded, replyTo);
    }
  }

  /** While no leader is known: a hint to retry. */
  public void refuseWrite(Reply<WriteOutcome> replyTo) {
    replyTo.tell(new WriteOutcome.NoLeader(NO_LEADER));
  }

  // ---------------------------------------------------------------- linearizable reads, by role

  /** Routes a linearizable read by role. */
  public void read(Reply<ReadPermit> replyTo) {
    switch (RoleBehavior.of(core.role())) {
      case LEADER -> readAsLeader(replyTo);
      case FOLLOWER -> readViaLeader(replyTo);
      default -> refuseRead(replyTo);
    }
  }

  /** On the leader: a ReadIndex round (thesis §6.4), shared by the reads that arrive together. */
  public void readAsLeader(Reply<ReadPermit> replyTo) {
    if (refusedWhileHalted(replyTo)) return;
    reads.readAsLeader(replyTo);
    scheduleFlush();
  }

  /** On a follower: asks the leader for a read index, then waits to have applied it. */
  public void readViaLeader(Reply<ReadPermit> replyTo) {
    if (refusedWhileHalted(replyTo)) return;
    reads.readViaLeader(replyTo);
  }

  public void refuseRead(Reply<ReadPermit> replyTo) {
    replyTo.tell(ReadPermit.refused(new ReadOutcome.NoLeader(NO_LEADER)));
  }

  /** Routes a follower's ReadIndex request: only a leader confirms read indices. */
  public void peerReadIndex(Reply<ReadIndexReply> replyTo) {
    if (core.role() == Role.LEADER) {
      readIndexForPeer(replyTo);
    } else {
      refuseReadIndex(replyTo);
    }
  }

  public void readIndexForPeer(Reply<ReadIndexReply> replyTo) {
    if (halted != null) return; // the follower's call times out and it asks again, elsewhere
    reads.readIndexForPeer(replyTo);
    scheduleFlush();
  }

  public void refuseReadIndex(Reply<ReadIndexReply> replyTo) {
    reads.refuseReadIndex(replyTo);
  }

  /** The leader answered this follower's ReadIndex call ({@code failure} set when it did not). */
  public void leaderReadIndex(ReadIndexReply reply, Throwable failure) {
    if (halted != null) return;
    reads.onLeaderReadIndex(reply, failure);
  }

  // ---------------------------------------------------------------- membership, by role

  public void join(JoinRequest j) {
    switch (RoleBehavior.of(core.role())) {
      case LEADER -> joinAsLeader(j);
      case FOLLOWER -> joinViaLeader(j);
      default -> refuseAdmin(j.replyTo());
    }
  }

  public void leave(LeaveRequest l) {
    switch (RoleBehavior.of(core.role())) {
      case LEADER -> leaveAsLeader(l);
      case FOLLOWER -> leaveViaLeader(l);
      default -> refuseAdmin(l.replyTo());
    }
  }

  public void joinAsLeader(JoinRequest j) {
    admin.joinAsLeader(j);
    afterInput(null);
  }

  public void leaveAsLeader(LeaveRequest l) {
    admin.leaveAsLeader(l);
    afterInput(null);
  }

  public void joinViaLeader(JoinRequest j) {
    if (halted != null) {
      refuseAdmin(j.replyTo());
      return;
    }
    admin.joinViaLeader(j);
  }

  public void leaveViaLeader(LeaveRequest l) {
    if (halted != null) {
      refuseAdmin(l.replyTo());
      return;
    }
    admin.leaveViaLeader(l);
  }

  public void refuseAdmin(Reply<AdminOutcome> replyTo) {
    replyTo.tell(new AdminOutcome.Unavailable(halted != null ? halted : NO_LEADER));
  }

  /** Refuses a read once the node has halted: its state machine is no longer trusted. */
  private boolean refusedWhileHalted(Reply<ReadPermit> replyTo) {
    if (halted == null) return false;
    replyTo.tell(ReadPermit.refused(new ReadOutcome.Timeout(halted)));
    return true;
  }

  /** The joining node's endpoint was checked ({@link PeerPort#vetJoin}). */
  public void joinVetted(JoinRequest j, JoinVerdict verdict) {
    admin.onJoinVetted(j, verdict);
    afterInput(null);
  }

  /**
   * An operator's single-server change proposed directly (thesis §4.1), as the simulator's
   * operator does; production goes through {@link #join} and {@link #leave}, which wait for a
   * learner to catch up first.
   */
  public ProposeResult proposeConfChange(ConfChange change) {
    ProposeResult r = core.proposeConfChange(change);
    afterInput(null);
    return r;
  }

  /** Hands leadership to {@code target} (thesis §3.10), if this node leads. */
  public void transferLeadership(long target) {
    core.transferLeadership(target);
    afterInput(null);
  }

  /** An operator's transfer to voter {@code nodeId} (0: any): the leader moves it, a follower asks the leader. */
  public void transferLeader(long nodeId, boolean forwarded, Reply<AdminOutcome> replyTo) {
    if (halted != null || RoleBehavior.of(core.role()) == RoleBehavior.CANDIDATE) refuseAdmin(replyTo);
    else admin.transferLeader(nodeId, forwarded, replyTo);
    afterInput(null);
  }

  /**
   * Before a shutdown: a leader hands its leadership to the most caught-up voter and {@code
   * replyTo} hears the new leader's id once another node leads (0 if none did within {@code
   * within}); any other node answers at once.
   */
  public void handOffLeadership(Duration within, Reply<Long> replyTo) {
    handOff.start(within, replyTo);
    afterInput(null);
  }

  /** Founds a new cluster with {@code membership} if this node has never had any state. */
  public boolean bootstrap(Membership membership) {
    boolean fresh = core.lastIndex() == 0 && core.term() == 0;
    if (fresh) {
      core.bootstrap(membership);
      log.info("bootstrapped a new cluster with voters {}", membership.voters().keySet());
    }
    afterInput(null);
    return fresh;
  }

  // ---------------------------------------------------------------- snapshots

  /** Snapshot the applied state now (compacting the state machine first, as an operator asks). */
  public void triggerSnapshot(Reply<SnapshotMeta> replyTo) {
    if (halted != null) return; // the operator's call times out: the node is stopping
    snapshots.trigger(replyTo);
  }

  /** Compact the log up to {@code uptoIndex}, which a snapshot must already cover. */
  public void purgeLog(long uptoIndex, Reply<AdminOutcome> replyTo) {
    if (halted != null) {
      refuseAdmin(replyTo);
      return;
    }
    snapshots.purgeLog(uptoIndex, replyTo);
  }

  /** Prepare to receive a snapshot from the leader of {@code leaderTerm} (or resume one). */
  public void beginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo) {
    if (halted != null) return; // the leader's transfer fails and is retried once the node is back
    snapshots.beginInstall(meta, leaderTerm, replyTo);
  }

  /** A snapshot fully received into {@code sink}: the core decides whether to install it. */
  public void installReceived(RaftMessage.InstallSnapshot header, SnapshotSink sink, Reply<RaftMessage.Response> replyTo) {
    if (halted != null) {
      sink.abort();
      return;
    }
    transportSaw(header.from());
    snapshots.onInstallReceived(header, sink, replyTo, pipeline);
    afterInput(null);
  }

  public void snapshotOpened(long peer, SnapshotSource source) {
    snapshots.onSnapshotOpened(peer, source);
    afterInput(null);
  }

  public void snapshotSendFailed(long peer, String reason) {
    if (halted != null) return;
    snapshots.onSendFailed(peer, reason);
  }

  // ---------------------------------------------------------------- Raft traffic and time

  /** One Raft tick; also gives up on clients past their deadline. */
  public void tick() {
    core.tick();
    long now = clock.getAsLong();
    if (now - lastSweepNanos > EXPIRY_SWEEP_NANOS) {
      lastSweepNanos = now;
      writes.expire(now);
      reads.expire(now);
    }
    afterInput(null);
  }

  /** A RequestVote, AppendEntries or TimeoutNow; its response leaves once what it promises is durable. */
  public void request(RaftMessage.Request request, Reply<RaftMessage.Response> replyTo) {
    if (halted != null) return;
    transportSaw(request.from());
    RaftMessage.Response response = core.step(request);
    if (!core.isLeader() && core.leaderId() == request.from()) {
      statusBoard.leaderContact().heardFromLeader(clock.getAsLong());
    }
    afterInput(() -> replyTo.tell(response));
  }

  public void response(RaftMessage.Response response) {
    if (response.term() == core.term()) {
      statusBoard.leaderContact().acknowledged(response.from(), core.term(), clock.getAsLong());
    }
    core.step(response);
    afterInput(null);
  }

  /** A Raft message to {@code peer} got no answer; Raft treats it as lost. */
  public void unreachable(long peer, String reason) {
    log.debug("peer {} unreachable: {}", peer, reason);
  }

  // ---------------------------------------------------------------- storage completions

  /** A persist is durable; {@code installed} is the snapshot it made live, or null. */
  public void persisted(long seq, SnapshotMeta installed) {
    if (halted != null) return;
    installedByPersist = installed;
    pipeline.onPersisted(seq);
    installedByPersist = null;
    afterInput(null);
  }

  /** Entries were applied; {@code results} holds one per entry. */
  public void applied(List<LogEntry> entries, List<KvResult> results) {
    if (halted != null) return;
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      writes.onApplied(e, results.get(i));
      appliedIndex = Math.max(appliedIndex, e.index());
      appliedTerm = e.term();
    }
    writes.appliedTo(appliedIndex);
    reads.onApplied(appliedIndex);
    snapshots.onApplied(entries);
    core.appliedTo(appliedIndex);
    // The core hands out a long backlog in bounded batches: ask for the next one now.
    if (core.hasCommittedToHandOut()) {
      afterInput(null);
    } else {
      publishStatus();
    }
  }

  public void snapshotTaken(SnapshotMeta meta, long purgedTo) {
    snapshots.onSnapshotTaken(meta, purgedTo);
    afterInput(null);
  }

  public void logPurged(long uptoIndex, SnapshotMeta snapshot, String error) {
    snapshots.onLogPurged(uptoIndex, snapshot, error);
    afterInput(null);
  }

  /**
   * Storage failed (a write, an fsync, a read). What is on disk is now unknown, so nothing more
   * may leave this node: every waiting client learns its outcome is unknown, the pipeline sends
   * and applies nothing more, and the environment stops the node.
   */
  public void storageFailed(Throwable cause) {
    log.error("storage failed ({}); stopping the node so that nothing unsynced is acknowledged", String.valueOf(cause));
    halt("the node stopped after a storage failure; the outcome of this request is unknown");
  }

  /** The node is shutting down: every waiting request is answered, nothing more leaves. */
  public void stop() {
    halt("the node is shutting down; the outcome of this request is unknown");
  }

  public boolean halted() {
    return halted != null;
  }

  private void halt(String reason) {
    if (halted != null) return;
    halted = reason;
    writes.failAll(reason);
    reads.failAll();
    admin.failAll();
    handOff.failAll();
    snapshots.failAll(reason);
  }

  // ---------------------------------------------------------------- driving the core

  /** Collects the core's output and hands it to the pipeline, with a reply that must wait for it. */
  private void afterInput(Runnable reply) {
    if (halted != null) return;
    proposalsSinceFlush = 0;
    admin.drive();
    handOff.drive();
    pipeline.submit(core.ready(), reply);
    syncPeers();
    publishStatus();
    transitions.afterInput();
  }

  private void afterTimer(Runnable action) {
    if (halted != null) return;
    if (action != null) action.run();
    afterInput(null);
  }

  /** The flush queued by {@link TimerPort#runSoon}: collects what the queued proposals appended. */
  private void flush() {
    flushScheduled = false;
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      timers.runSoon(this::flush);
    }
  }

  private final class PipelineEffects implements ReadyPipeline.Effects {
    @Override
    public void persist(long seq, PersistBatch batch, Ready ready) {
      if (ready.install() == null) {
        storage.persist(seq, batch, null, false);
      } else {
        boolean keep = ready.install().keepLogAfterIndex();
        snapshots.persistWithStaged(ready.install(), sink -> storage.persist(seq, batch, sink, keep));
      }
    }

    @Override
    public void release(Ready ready, List<Runnable> replies, LogEntry lastPersisted) {
      if (lastPersisted != null) core.persisted(lastPersisted.index(), lastPersisted.term());
      if (ready.install() != null) onSnapshotInstalled(ready.install());
      for (RaftMessage m : ready.messages()) peers.send((RaftMessage.Request) m);
      for (Runnable r : replies) r.run();
      if (!ready.committed().isEmpty()) {
        storage.apply(ready.committed(), writes.waitingFor(ready.committed()));
      }
      for (ReadState rs : ready.readStates()) reads.onReadState(rs);
      for (long peer : ready.sendSnapshotTo()) storage.openSnapshot(peer);
    }
  }

  /** A received snapshot is durable and live: the state machine now stands at its index. */
  private void onSnapshotInstalled(Ready.SnapshotInstall install) {
    appliedIndex = Math.max(appliedIndex, install.index());
    appliedTerm = install.term();
    core.appliedTo(install.index());
    snapshots.onInstalled(install, installedByPersist);
    reads.onApplied(appliedIndex);
  }

  private void transportSaw(long peer) {
    peers.peerSeen(peer);
  }

  private String httpOf(long nodeId) {
    Member m = core.membership().member(nodeId);
    return m == null ? "" : m.httpAddr();
  }

  /** Keeps the peers' connections in line with the membership the core uses. */
  private void syncPeers() {
    Membership m = core.membership();
    if (m == peersMembership || m.equals(peersMembership)) return;
    peersMembership = m;
    Map<Long, String> addrs = new TreeMap<>();
    for (Member member : m.all().values()) {
      if (member.id() != settings.nodeId()) addrs.put(member.id(), member.raftAddr());
    }
    peers.updatePeers(addrs);
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
