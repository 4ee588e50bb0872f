package io.raftkv.sim;

import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.ConfChange;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.driver.DriverPorts;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.RaftDriver;
import io.raftkv.raft.driver.ReadPermit;
import io.raftkv.raft.driver.SnapshotBacklog;
import io.raftkv.raft.driver.StartingPoint;
import io.raftkv.raft.driver.StatusBoard;
import io.raftkv.raft.driver.TimerPort;
import io.raftkv.sim.ClientMessages.ClientReply;
import io.raftkv.sim.ClientMessages.ClientRequest;
import io.raftkv.sim.ClientMessages.Status;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.storage.Recovered;
import io.raftkv.storage.SnapshotMeta;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.helpers.NOPLogger;

/**
 * One simulated server: the production {@link RaftDriver} over a {@link RaftCore}, with the
 * in-memory storage twin behind a simulated disk ({@link SimStorage}: requests served in order,
 * each taking virtual time, unsynced work lost in a crash), the simulated network behind its
 * peer port ({@link SimPeers}) and virtual-time timers. Everything the driver decides (what to
 * persist, send, apply and answer, and in which order) is the production code's decision.
 *
 * <p>For the checkers it mirrors what its state machine has applied ({@link #appliedIndex},
 * {@link #stateMachine}) and exposes its disk ({@link #disk}).
 */
final class SimNode {
  final long id;
  private final Simulation sim;
  private final RaftConfig config;
  private final NodeSettings settings;
  /** The node's storage; a crash replaces it with what was durable. */
  private InMemoryStorage storage;
  final SimDisk disk;

  boolean up;
  /** Bumped by every crash, so events scheduled for an earlier life of this node are ignored. */
  int incarnation;
  RaftCore core;
  RaftDriver driver;
  private SimStorage storagePort;
  private SimPeers peersPort;
  /** The applied state as storage holds it, mirrored after every apply for the checkers. */
  TreeMap<String, String> stateMachine;
  long appliedIndex;
  long appliedTerm;

  SimNode(long id, Simulation sim, RaftConfig config) {
    this.id = id;
    this.sim = sim;
    this.config = config;
    this.settings = sim.nodeSettings(id, config);
    this.storage = new InMemoryStorage(sim::now);
    this.disk = new SimDisk(() -> storage);
  }

  // ------------------------------------------------------------------ life cycle

  /** Starts from whatever the disk holds; a node with an empty disk and bootstrap set founds the cluster. */
  void start(Membership bootstrapWith) {
    up = true;
    Recovered r = storage.recover();
    // Like a real node, the core loads only the log's shape and reads entries back from storage.
    core = new RaftCore(id, config, sim.random(), r.hardState(), r.storedLog(), storage, r.appliedIndex(),
        r.baseMembership(), sim.logLimits());
    mirrorApplied();
    sim.invariants().onStart(this);
    int life = incarnation;
    storagePort = new SimStorage(sim, this, life);
    peersPort = new SimPeers(sim, this, life);
    StatusBoard board = new StatusBoard(core.membership(), NodeStatus.builder().nodeId(id).currentTerm(core.term())
        .state(core.role().displayName()).lastLogIndex(core.lastIndex()).commitIndex(core.commitIndex())
        .lastAppliedIndex(r.appliedIndex()).lastAppliedTerm(r.appliedTerm()));
    driver = new RaftDriver(
        settings,
        new StartingPoint(core, r.appliedIndex(), r.appliedTerm(),
            new SnapshotBacklog(r.appliedEntriesSinceSnapshot(), r.appliedBytesSinceSnapshot())),
        new DriverPorts(storagePort, peersPort, new SimTimers(life), () -> sim.now() * 1_000_000L,
            NOPLogger.NOP_LOGGER),
        board);
    driver.start();
    // Bootstrapping again is safe only while the disk is empty: then nothing this node said
    // before can have reached anyone, because messages leave only after their state is synced.
    if (bootstrapWith != null && r.isEmpty() && storage.latestSnapshot().isEmpty()) driver.bootstrap(bootstrapWith);
    sim.invariants().observe(this);
    scheduleTick(sim.random().nextInt((int) sim.tickMs()) + 1);
  }

  /** Loses everything that is not on the disk, including the storage requests still queued. */
  void crash() {
    up = false;
    incarnation++;
    storage = storage.crashAndRecover();
    driver = null;
    core = null;
    stateMachine = null;
    storagePort = null;
    peersPort = null;
  }

  InMemoryStorage storage() {
    return storage;
  }

  boolean alive(int life) {
    return up && life == incarnation;
  }

  /** Runs one input on the driver of this life of the node, then lets the checkers look. */
  void input(int life, Consumer<RaftDriver> call) {
    if (!alive(life)) return;
    call.accept(driver);
    if (alive(life)) sim.invariants().observe(this);
  }

  void mirrorApplied() {
    appliedIndex = storage.appliedIndex();
    appliedTerm = storage.appliedTerm();
    stateMachine = new TreeMap<>(storage.snapshotOfKv());
  }

  private void scheduleTick(long delayMs) {
    int life = incarnation;
    sim.schedule(delayMs, Simulation.EV_TICK, id, 0, () -> {
      if (!alive(life)) return;
      input(life, RaftDriver::tick);
      scheduleTick(sim.tickMs());
    });
  }

  /** Timers in virtual time; a timer restarted under the same key replaces the pending one. */
  private final class SimTimers implements TimerPort {
    private final int life;
    private final Map<String, Long> generation = new HashMap<>();
    private long next;

    SimTimers(int life) {
      this.life = life;
    }

    @Override
    public void startSingle(String key, Duration delay, Runnable action) {
      long gen = ++next;
      generation.put(key, gen);
      sim.schedule(delay.toMillis(), Simulation.EV_TIMER, id, key.hashCode(), () -> {
        if (generation.get(key) != gen) return;
        generation.remove(key);
        input(life, d -> action.run());
      });
    }

    @Override
    public void runSoon(Runnable action) {
      sim.schedule(0, Simulation.EV_TIMER, id, 0, () -> input(life, d -> action.run()));
    }
  }

  // ------------------------------------------------------------------ inputs from the network

  void receive(RaftMessage m) {
    if (!up) return;
    int life = incarnation;
    if (m instanceof RaftMessage.Request req) {
      if (Simulation.DEBUG) System.out.println(sim.now() + " n" + id + " gets " + req);
      input(life, d -> d.request(req, response -> peersPort.sendResponse(response)));
    } else {
      input(life, d -> d.response((RaftMessage.Response) m));
    }
  }

  /**
   * A snapshot transfer arrived: its chunks are staged (after those an earlier, broken-off
   * transfer of the same snapshot left), then the driver decides whether to install it.
   */
  void receiveSnapshot(RaftMessage.InstallSnapshot header, SnapshotMeta meta, List<byte[]> chunks,
      Consumer<RaftMessage.Response> answer) {
    if (!up) return;
    int life = incarnation;
    if (Simulation.DEBUG) System.out.println(sim.now() + " n" + id + " receives snapshot " + header);
    input(life, d -> d.beginInstall(meta, header.term(), sink -> sim.schedule(0, Simulation.EV_DELIVER, id, meta.index(),
        () -> {
          if (!alive(life)) return;
          try {
            for (long i = sink.stagedChunks(); i < chunks.size(); i++) sink.write(chunks.get((int) i));
          } catch (IllegalStateException superseded) {
            return; // a newer transfer took this install over: this stream fails, as a real one would
          }
          if (Simulation.DEBUG) System.out.println(sim.now() + " n" + id + " received snapshot " + header + " sink " + System.identityHashCode(sink));
          input(life, d2 -> d2.installReceived(header, sink, response -> peersPort.answerTransfer(response, answer)));
        })));
  }

  SimPeers peers() {
    return peersPort;
  }

  SimStorage storagePort() {
    return storagePort;
  }

  void onClientRequest(ClientRequest req) {
    if (!up) return;
    int life = incarnation;
    if (req.op().isRead()) {
      // Every write acknowledged before this read arrived is committed at or below this index;
      // a linearizable read must see all of them (thesis §6.4).
      long mustCover = sim.invariants().highestCommitted();
      input(life, d -> d.read(permit -> {
        boolean haltedAtGrant = d.halted();
        sim.schedule(0, Simulation.EV_CLIENT_REPLY, id, req.opId(), () -> {
          if (!alive(life)) return;
          answerRead(req, permit, mustCover, haltedAtGrant);
        });
      }));
    } else {
      KvCommand cmd = req.op().kind().equals("set")
          ? new KvCommand.Set(req.op().key(), req.op().value())
          : new KvCommand.Delete(req.op().key());
      input(life, d -> d.write(KvCommandCodec.encode(cmd), false, outcome -> answerWrite(req, outcome)));
    }
  }

  private void answerRead(ClientRequest req, ReadPermit permit, long mustCover, boolean haltedAtGrant) {
    if (permit.granted()) {
      if (haltedAtGrant) {
        // A write this node relays may still succeed (the leader applied it), but a read it
        // serves itself must not: its own state is no longer trusted.
        throw new SimulationFailure(sim.seed(), sim.now(), "node " + id + " served " + req + " after its storage failed");
      }
      if (appliedIndex < mustCover) {
        throw new SimulationFailure(sim.seed(), sim.now(), "node " + id + " served a linearizable read at applied index "
            + appliedIndex + ", below index " + mustCover + " which was committed before the read arrived");
      }
      reply(req, Status.OK, storage.get(req.op().key()));
    } else if (permit.refusal() instanceof ReadOutcome.NoLeader) {
      reply(req, Status.NOT_LEADER, null);
    } else {
      reply(req, Status.FAIL, null); // a read that was not served had no effect
    }
  }

  private void answerWrite(ClientRequest req, WriteOutcome outcome) {
    if (outcome instanceof WriteOutcome.Applied a) {
      if (req.op().kind().equals("set")) sim.invariants().checkAcknowledged(this, req.op().value());
      reply(req, Status.OK, a.result() instanceof KvResult.Applied applied ? applied.previous() : null);
    } else if (outcome instanceof WriteOutcome.NoLeader || outcome instanceof WriteOutcome.NotLeader) {
      reply(req, Status.NOT_LEADER, null);
    } else if (outcome instanceof WriteOutcome.Rejected || outcome instanceof WriteOutcome.Overloaded) {
      reply(req, Status.FAIL, null);
    }
    // A timeout says nothing about the outcome: the client's own timeout records it as unknown.
  }

  private void reply(ClientRequest req, Status status, String value) {
    long hint = core == null ? 0 : core.leaderId();
    sim.network().sendToClient(new ClientReply(req.clientId(), req.opId(), req.attempt(), status, value, hint));
  }

  // ------------------------------------------------------------------ storage failure

  /**
   * A write or fsync failed: the driver must stop everything (nothing unsynced may be
   * acknowledged), and the node goes down soon after, as the production node's guardian stops
   * the process; it restarts later like any crashed node.
   */
  void storageFailed(int life, RuntimeException cause) {
    if (!alive(life)) return;
    driver.storageFailed(cause);
    sim.crashSoon(this);
  }

  // ------------------------------------------------------------------ operator actions

  /** Proposes a membership change here; the operator retries on anything but Accepted. */
  ProposeResult proposeConfChange(ConfChange change) {
    if (!up) return new ProposeResult.NotLeader(0);
    ProposeResult[] r = new ProposeResult[1];
    input(incarnation, d -> r[0] = d.proposeConfChange(change));
    return r[0];
  }

  /** Asks this node, if it leads, to hand leadership to {@code target} (thesis §3.10). */
  void transferLeadership(long target) {
    input(incarnation, d -> d.transferLeadership(target));
  }

  /** Nothing persisted, applied or snapshotted is still on its way: the node is at rest. */
  boolean diskIdle() {
    return up && driver.idle() && storagePort.idle();
  }
}
