package io.raftkv.sim;

import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Ready;
import io.raftkv.sim.ClientMessages.ClientReply;
import io.raftkv.sim.ClientMessages.ClientRequest;
import io.raftkv.sim.ClientMessages.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/**
 * One simulated server: a RaftCore driven exactly as production drives it, a disk with crash
 * semantics, and an in-memory key-value state machine. The driver's order is the contract of
 * {@link Ready}: persist, then send, then apply, then answer reads; while a write is on the disk,
 * later Readies wait and are merged into the next write (group commit), except that a Ready
 * carrying a snapshot install is never merged with another.
 *
 * <p>Snapshots: every {@code snapshotEvery} applied entries (a per-seed choice) the node snapshots
 * its state machine, durably, and compacts its log behind it, keeping a small margin. A leader
 * sends its latest snapshot to the followers its Ready names; a follower stages a received one,
 * steps the InstallSnapshot into its core, and makes the install durable before the response
 * leaves.
 */
final class SimNode {
  private record PendingWrite(ClientRequest request, long term) {}

  private record WaitingRead(ClientRequest request, long readIndex) {}

  final long id;
  private final Simulation sim;
  private final RaftConfig config;
  final DurableStore disk = new DurableStore();

  boolean up;
  /** Bumped by every crash, so events scheduled for an earlier life of this node are ignored. */
  int incarnation;
  RaftCore core;
  TreeMap<String, String> stateMachine;
  long appliedIndex;
  long appliedTerm;
  Membership appliedMembership;
  private long lastSnapshotIndex;

  /** The Ready whose persistent part is on its way to disk, or null. */
  private Ready writing;
  /**
   * Readies produced while the disk was busy, in order; neighbours are merged (they go out with
   * the next write) unless one of them installs a snapshot.
   */
  private final ArrayDeque<Ready> waiting = new ArrayDeque<>();
  /** Received snapshots waiting for the core's install, by last included index. */
  private final TreeMap<Long, DurableStore.Snapshot> staged = new TreeMap<>();
  /** Per peer, the number of the latest snapshot transfer this node started to it. */
  private final TreeMap<Long, Long> latestTransfer = new TreeMap<>();
  private long transfers;
  private final TreeMap<Long, PendingWrite> pendingWrites = new TreeMap<>();
  private final TreeMap<Long, ClientRequest> pendingReads = new TreeMap<>();
  private final ArrayList<WaitingRead> waitingReads = new ArrayList<>();
  private long nextReadId;

  SimNode(long id, Simulation sim, RaftConfig config) {
    this.id = id;
    this.sim = sim;
    this.config = config;
  }

  // ------------------------------------------------------------------ life cycle

  /** Starts from whatever the disk holds; a node with an empty disk and bootstrap set founds the cluster. */
  void start(Membership bootstrapWith) {
    up = true;
    writing = null;
    clearVolatile();
    DurableStore.Snapshot snap = disk.snapshot;
    if (snap != null && snap.index() > disk.appliedIndex) {
      // The state machine on disk is older than the snapshot (which may already have compacted
      // the entries in between): start from the snapshot.
      stateMachine = new TreeMap<>(snap.kv());
      appliedIndex = snap.index();
      appliedTerm = snap.term();
      appliedMembership = snap.membership();
    } else {
      stateMachine = new TreeMap<>(disk.stateMachine);
      appliedIndex = disk.appliedIndex;
      appliedTerm = disk.appliedTerm;
      appliedMembership = disk.appliedMembership;
    }
    lastSnapshotIndex = snap == null ? 0 : snap.index();
    // The membership at the log base: the snapshot's, since any CONFIG entry between the base
    // and the snapshot index is still in the log and overrides it.
    Membership base = snap == null ? Membership.EMPTY : snap.membership();
    // Like a real node, the core loads only the log's shape and reads entries back from the disk.
    core = new RaftCore(id, config, sim.random(), disk.hardState, disk.shape(), disk, appliedIndex, base,
        sim.logLimits());
    sim.invariants().onStart(this);
    // Bootstrapping again is safe only while the disk is empty: then nothing this node said
    // before can have reached anyone, because messages leave only after their state is synced.
    if (bootstrapWith != null && disk.isEmpty()) core.bootstrap(bootstrapWith);
    afterInput(null);
    scheduleTick(sim.random().nextInt((int) sim.tickMs()) + 1);
  }

  /** Loses everything that is not on the disk, including the write in flight. */
  void crash() {
    up = false;
    incarnation++;
    core = null;
    stateMachine = null;
    writing = null;
    clearVolatile();
  }

  private void clearVolatile() {
    waiting.clear();
    staged.clear();
    latestTransfer.clear();
    pendingWrites.clear();
    pendingReads.clear();
    waitingReads.clear();
  }

  private void scheduleTick(long delayMs) {
    int inc = incarnation;
    sim.schedule(delayMs, Simulation.EV_TICK, id, 0, () -> {
      if (!up || inc != incarnation) return;
      core.tick();
      afterInput(null);
      scheduleTick(sim.tickMs());
    });
  }

  // ------------------------------------------------------------------ inputs

  void receive(RaftMessage m) {
    if (!up) return;
    if (m instanceof RaftMessage.Request req) {
      RaftMessage.Response resp = core.step(req);
      afterInput(resp);
    } else {
      core.step((RaftMessage.Response) m);
      afterInput(null);
    }
  }

  /** A snapshot transfer arrived: stage its data, then ask the core to adopt it. */
  void receiveSnapshot(long from, long term, DurableStore.Snapshot snap) {
    if (!up) return;
    staged.put(snap.index(), snap);
    RaftMessage.Response resp = core.step(new RaftMessage.InstallSnapshot(from, id, term, snap.index(), snap.term(),
        snap.membership()));
    afterInput(resp);
  }

  void onClientRequest(ClientRequest req) {
    if (!up) return;
    if (req.op().isRead()) {
      long readId = ++nextReadId;
      if (core.requestRead(readId)) {
        pendingReads.put(readId, req);
      } else {
        reply(req, Status.NOT_LEADER, null);
      }
    } else {
      KvCommand cmd = req.op().kind().equals("set")
          ? new KvCommand.Set(req.op().key(), req.op().value())
          : new KvCommand.Delete(req.op().key());
      ProposeResult result = core.propose(LogEntry.Kind.COMMAND, KvCommandCodec.encode(cmd));
      if (result instanceof ProposeResult.Accepted a) {
        PendingWrite previous = pendingWrites.put(a.index(), new PendingWrite(req, a.term()));
        // Proposing at an index means our older entry there was truncated: a higher-term leader
        // overwrote it, so (Leader Completeness) it was never committed and never will be.
        if (previous != null) reply(previous.request, Status.FAIL, null);
      } else if (result instanceof ProposeResult.Rejected) {
        // A leader refusing for now (e.g. while handing over leadership): nothing was appended.
        reply(req, Status.FAIL, null);
      } else {
        reply(req, Status.NOT_LEADER, null);
      }
    }
    afterInput(null);
  }

  // ------------------------------------------------------------------ the Ready pipeline

  /** Collects the core's output after an input, with the response to a request if there was one. */
  private void afterInput(RaftMessage response) {
    collect(response);
    // The core hands a long backlog out in bounded batches; with the disk idle, take the rest now.
    while (diskIdle() && core.hasCommittedToHandOut()) collect(null);
  }

  private void collect(RaftMessage response) {
    sim.invariants().observe(this);
    Ready r = core.ready();
    if (response != null) {
      List<RaftMessage> messages = new ArrayList<>(r.messages());
      messages.add(response);
      r = new Ready(r.hardState(), r.truncateFrom(), r.entries(), messages, r.committed(), r.readStates(),
          r.install(), r.sendSnapshotTo());
    }
    submit(r);
  }

  private void submit(Ready r) {
    if (r.isEmpty()) return;
    if (writing != null || !waiting.isEmpty()) {
      // Even a Ready with nothing to persist must wait: its messages may promise state (a vote,
      // an append, an install) that is still on its way to disk in a write ahead of it.
      enqueue(r);
      return;
    }
    if (r.needsPersist()) {
      startWrite(r);
    } else {
      execute(r);
    }
  }

  private void enqueue(Ready r) {
    if (r.isEmpty()) return;
    Ready last = waiting.peekLast();
    if (last != null && last.canMerge(r)) {
      waiting.pollLast();
      waiting.addLast(last.then(r));
    } else {
      waiting.addLast(r);
    }
  }

  /** With the disk idle: executes waiting Readies in order until one needs a write. */
  private void drain() {
    while (writing == null && !waiting.isEmpty()) {
      Ready r = waiting.pollFirst();
      if (r.needsPersist()) {
        startWrite(r);
      } else {
        execute(r);
      }
    }
  }

  private void startWrite(Ready r) {
    writing = r;
    int inc = incarnation;
    long latency = 1 + sim.random().nextInt(4);
    if (sim.random().nextInt(50) == 0) latency += 10 + sim.random().nextInt(40); // a slow fsync
    sim.schedule(latency, Simulation.EV_DISK, id, r.entries().size(), () -> {
      if (up && inc == incarnation) writeCompleted();
    });
  }

  private void writeCompleted() {
    Ready r = writing;
    writing = null;
    DurableStore.Snapshot installed = r.install() == null ? null : staged.get(r.install().index());
    disk.persist(r, installed);
    sim.hardStatePersisted(this, r.hardState());
    if (installed != null) adoptInstalled(installed);
    disk.saveStateMachine(stateMachine, appliedIndex, appliedTerm, appliedMembership);
    sim.invariants().onPersisted(this);
    execute(r);
    if (!r.entries().isEmpty()) {
      LogEntry last = r.entries().get(r.entries().size() - 1);
      core.persisted(last.index(), last.term());
    }
    sim.invariants().observe(this);
    enqueue(core.ready());
    drain();
  }

  /**
   * The install is durable: the live state machine becomes the snapshot. Writes this node
   * proposed at covered indices are never applied here one by one, so their outcome is unknown
   * to it: their clients time out rather than hear a guess.
   */
  private void adoptInstalled(DurableStore.Snapshot s) {
    stateMachine = new TreeMap<>(s.kv());
    appliedIndex = s.index();
    appliedTerm = s.term();
    appliedMembership = s.membership();
    lastSnapshotIndex = s.index();
    pendingWrites.headMap(s.index(), true).clear();
    staged.headMap(s.index(), true).clear();
    sim.invariants().onSnapshot(this, s, true);
  }

  /** Everything after the sync: send, then apply, then answer reads. */
  private void execute(Ready r) {
    for (RaftMessage m : r.messages()) sim.network().send(m);
    for (long peer : r.sendSnapshotTo()) sendSnapshot(peer);
    for (LogEntry e : r.committed()) apply(e);
    core.appliedTo(appliedIndex);
    if (sim.snapshotEvery() > 0 && appliedIndex - lastSnapshotIndex >= sim.snapshotEvery()) takeSnapshot();
    for (ReadState rs : r.readStates()) {
      ClientRequest req = pendingReads.remove(rs.requestId());
      if (req == null) continue;
      if (rs.failed()) {
        reply(req, Status.FAIL, null);
      } else {
        waitingReads.add(new WaitingRead(req, rs.readIndex()));
      }
    }
    answerReads();
  }

  private void apply(LogEntry e) {
    sim.invariants().onApply(this, e);
    KvResult result = KvResult.NONE;
    if (e.kind() == LogEntry.Kind.COMMAND) {
      result = KvApplier.apply(KvCommandCodec.decode(e.data()), KvWriteView.over(stateMachine));
    } else if (e.kind() == LogEntry.Kind.CONFIG) {
      appliedMembership = MembershipCodec.decode(e.data());
    }
    appliedIndex = e.index();
    appliedTerm = e.term();
    sim.invariants().onApplied(this);
    PendingWrite w = pendingWrites.remove(e.index());
    if (w != null) {
      if (w.term == e.term() && result instanceof KvResult.Applied a) {
        reply(w.request, Status.OK, a.previous());
      } else {
        // Another leader's entry took this index, so ours was overwritten: it never happened.
        reply(w.request, Status.FAIL, null);
      }
    }
  }

  private void answerReads() {
    Iterator<WaitingRead> it = waitingReads.iterator();
    while (it.hasNext()) {
      WaitingRead w = it.next();
      if (appliedIndex >= w.readIndex) {
        it.remove();
        reply(w.request, Status.OK, stateMachine.get(w.request.op().key()));
      }
    }
  }

  private void reply(ClientRequest req, Status status, String value) {
    long hint = core == null ? 0 : core.leaderId();
    sim.network().sendToClient(new ClientReply(req.clientId(), req.opId(), req.attempt(), status, value, hint));
  }

  // ------------------------------------------------------------------ snapshots

  /**
   * Snapshots the state machine at the applied index, durably at once, then compacts the log
   * behind it, short of a small margin so that slightly lagging followers still get entries.
   */
  private void takeSnapshot() {
    DurableStore.Snapshot s = new DurableStore.Snapshot(appliedIndex, appliedTerm, appliedMembership, stateMachine);
    sim.invariants().onSnapshot(this, s, false);
    disk.snapshot = s;
    lastSnapshotIndex = s.index();
    if (disk.lastIndex() < appliedIndex) {
      throw new IllegalStateException("node " + id + " applied " + appliedIndex + " beyond its durable log "
          + disk.lastIndex());
    }
    long upTo = appliedIndex - sim.compactionMargin();
    if (upTo > disk.logBase && upTo > core.logBaseIndex()) {
      disk.compact(upTo);
      core.compact(upTo, s.membership());
      sim.countCompaction();
    }
  }

  /**
   * Streams the latest snapshot to a follower. The transfer is one message that the network may
   * delay, duplicate or lose; the core hears of a failure only through the timeout, as a real
   * driver hears of it when the stream breaks or stalls.
   */
  private void sendSnapshot(long peer) {
    if (!core.isLeader()) return; // it stepped down since asking: a snapshot must come from a leader
    DurableStore.Snapshot s = disk.snapshot;
    if (s == null) throw new IllegalStateException("node " + id + " must send a snapshot it does not have");
    long transfer = ++transfers;
    latestTransfer.put(peer, transfer);
    core.snapshotSent(peer, s.index());
    sim.network().sendSnapshot(id, peer, core.term(), s);
    int inc = incarnation;
    sim.schedule(sim.snapshotTimeoutMs(), Simulation.EV_SNAPSHOT_TIMEOUT, id, peer, () -> {
      if (!up || inc != incarnation) return;
      Long latest = latestTransfer.get(peer);
      if (latest == null || latest != transfer) return;
      latestTransfer.remove(peer);
      core.snapshotFailed(peer);
      afterInput(null);
    });
  }

  // ------------------------------------------------------------------ operator actions

  /** Proposes a membership change here; the operator retries on anything but Accepted. */
  ProposeResult proposeConfChange(ConfChange change) {
    if (!up) return new ProposeResult.NotLeader(0);
    ProposeResult r = core.proposeConfChange(change);
    afterInput(null);
    return r;
  }

  /** Asks this node, if it leads, to hand leadership to {@code target} (thesis §3.10). */
  void transferLeadership(long target) {
    if (!up) return;
    core.transferLeadership(target);
    afterInput(null);
  }

  boolean diskIdle() {
    return writing == null && waiting.isEmpty();
  }
}
