package io.raftkv.sim;

import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Ready;
import io.raftkv.sim.ClientMessages.ClientReply;
import io.raftkv.sim.ClientMessages.ClientRequest;
import io.raftkv.sim.ClientMessages.Status;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/**
 * One simulated server: a RaftCore driven exactly as production drives it, a disk with crash
 * semantics, and an in-memory key-value state machine. The driver's order is the contract of
 * {@link Ready}: persist, then send, then apply, then answer reads; while a write is on the disk,
 * later Readies wait and are merged into the next write (group commit).
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

  /** The Ready whose persistent part is on its way to disk, or null. */
  private Ready writing;
  /** Readies produced while the disk was busy, merged; they go out with the next write. */
  private Ready queued;
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
    queued = null;
    pendingWrites.clear();
    pendingReads.clear();
    waitingReads.clear();
    stateMachine = new TreeMap<>(disk.stateMachine);
    appliedIndex = disk.appliedIndex;
    appliedTerm = disk.appliedTerm;
    core = new RaftCore(id, config, sim.random(), disk.hardState, 0, 0, disk.logCopy(), appliedIndex,
        Membership.EMPTY);
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
    queued = null;
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
    if (r.install() != null || !r.sendSnapshotTo().isEmpty()) {
      // The simulator never compacts, so a snapshot can only come from a core bug.
      throw new IllegalStateException("snapshot activity without compaction on node " + id);
    }
    if (writing != null) {
      // Even a Ready with nothing to persist must wait: its messages may promise state (a vote,
      // an append) that is still on its way to disk in the write ahead of it.
      queued = queued == null ? r : queued.then(r);
      return;
    }
    if (r.needsPersist()) {
      startWrite(r);
    } else {
      execute(r);
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
    disk.persist(r);
    disk.saveStateMachine(stateMachine, appliedIndex, appliedTerm);
    sim.invariants().onPersisted(this);
    execute(r);
    if (!r.entries().isEmpty()) {
      LogEntry last = r.entries().get(r.entries().size() - 1);
      core.persisted(last.index(), last.term());
    }
    sim.invariants().observe(this);
    Ready next = core.ready();
    Ready waiting = queued;
    queued = null;
    submit(waiting == null ? next : waiting.then(next));
  }

  /** Everything after the sync: send, then apply, then answer reads. */
  private void execute(Ready r) {
    for (RaftMessage m : r.messages()) sim.network().send(m);
    for (LogEntry e : r.committed()) apply(e);
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
      result = KvApplier.apply(KvCommandCodec.decode(e.data()), view);
    }
    appliedIndex = e.index();
    appliedTerm = e.term();
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

  private final KvWriteView view = new KvWriteView() {
    @Override
    public String get(String key) {
      return stateMachine.get(key);
    }

    @Override
    public void put(String key, String value) {
      stateMachine.put(key, value);
    }

    @Override
    public void delete(String key) {
      stateMachine.remove(key);
    }
  };

  /** Asks this node, if it leads, to hand leadership to {@code target} (thesis §3.10). */
  void transferLeadership(long target) {
    if (!up) return;
    core.transferLeadership(target);
    afterInput(null);
  }

  boolean diskIdle() {
    return writing == null && queued == null;
  }
}
