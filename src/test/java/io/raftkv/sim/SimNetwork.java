package io.raftkv.sim;

import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import io.raftkv.raft.core.RaftMessage.InstallSnapshot;
import io.raftkv.raft.core.RaftMessage.InstallSnapshotResponse;
import io.raftkv.raft.core.RaftMessage.RequestVote;
import io.raftkv.raft.core.RaftMessage.RequestVoteResponse;
import io.raftkv.raft.core.RaftMessage.TimeoutNow;
import io.raftkv.raft.core.RaftMessage.TimeoutNowResponse;
import io.raftkv.storage.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The simulated network between nodes, with a firewall. Every link is directed and has its own
 * drop probability and block flag; delays are random, so reordering comes for free; Raft messages
 * may be duplicated. Client traffic crosses the same network but is never duplicated, because a
 * real client talks over TCP and a duplicated write would be a second write, not a network fault.
 */
final class SimNetwork {
  /** A link that is blocked during every other period: a flapping connection. */
  private record Flap(int from, int to, long periodMs) {}

  private final Simulation sim;
  private final int nodes;
  private final boolean[][] blocked;
  private final double[][] dropProbability;
  private final ArrayList<Flap> flaps = new ArrayList<>();
  double duplicateProbability;
  double clientDropProbability;
  /** Probability that a message takes the long tail; chosen per seed. */
  private final double longTailProbability;
  /** How long the long tail reaches beyond its first 50 ms; chosen per seed. */
  private final int longTailSpanMs;
  /** While the network is whole (a calm stretch, the heal phase) nothing takes the long tail. */
  private boolean whole;

  /**
   * Most seeds delay a message by up to 20 ms and one in fifty by up to half a second. The
   * reordering mode sends many more into a tail reaching past a second, longer than two elections
   * (each 150-300 ms), so a response can arrive at a node that has since lost and won leadership
   * again, or a vote request after the voter has moved on two terms.
   */
  SimNetwork(Simulation sim, int nodes, boolean reordering) {
    this.sim = sim;
    this.nodes = nodes;
    this.blocked = new boolean[nodes + 1][nodes + 1];
    this.dropProbability = new double[nodes + 1][nodes + 1];
    this.longTailProbability = reordering ? 0.05 + sim.random().nextDouble() * 0.2 : 0.02;
    this.longTailSpanMs = reordering ? 300 + sim.random().nextInt(800) : 400;
  }

  // ------------------------------------------------------------------ firewall

  void healAll() {
    for (int a = 1; a <= nodes; a++) {
      for (int b = 1; b <= nodes; b++) {
        blocked[a][b] = false;
        dropProbability[a][b] = 0;
      }
    }
    flaps.clear();
    duplicateProbability = 0;
    clientDropProbability = 0;
    whole = true;
  }

  /** After a calm stretch: the seed's long tail of delays comes back. */
  void resumeFaults() {
    whole = false;
  }

  void healPartitions() {
    for (int a = 1; a <= nodes; a++) {
      for (int b = 1; b <= nodes; b++) blocked[a][b] = false;
    }
    flaps.clear();
  }

  /** Cuts both directions between every node of {@code side} and every node outside it. */
  void partition(boolean[] side) {
    for (int a = 1; a <= nodes; a++) {
      for (int b = 1; b <= nodes; b++) {
        if (side[a] != side[b]) blocked[a][b] = true;
      }
    }
  }

  void block(int a, int b) {
    blocked[a][b] = true;
    blocked[b][a] = true;
  }

  void flap(int a, int b, long periodMs) {
    flaps.add(new Flap(a, b, periodMs));
    flaps.add(new Flap(b, a, periodMs));
  }

  void setDrop(int a, int b, double p) {
    dropProbability[a][b] = p;
  }

  private boolean isBlocked(int from, int to) {
    if (blocked[from][to]) return true;
    for (Flap f : flaps) {
      if (f.from == from && f.to == to && (sim.now() / f.periodMs) % 2 == 1) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ delivery

  private long delay() {
    long d = 1 + sim.random().nextInt(20);
    if (!whole && sim.random().nextDouble() < longTailProbability) d += 50 + sim.random().nextInt(longTailSpanMs);
    return d;
  }

  void send(RaftMessage m) {
    int from = (int) m.from();
    int to = (int) m.to();
    if (isBlocked(from, to) || sim.random().nextDouble() < dropProbability[from][to]) return;
    long code = digest(m);
    int copies = sim.random().nextDouble() < duplicateProbability ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      sim.schedule(delay(), Simulation.EV_DELIVER, to, code, () -> deliver(sim.node(to), m));
    }
  }

  /**
   * A snapshot transfer: the data and the request to adopt it travel as one message, which is
   * slower than others (it is large) but is cut, dropped and duplicated like them.
   */
  void sendSnapshot(long from, long to, InstallSnapshot header, SnapshotMeta meta, List<byte[]> chunks,
      Consumer<RaftMessage.Response> answer) {
    int f = (int) from;
    int t = (int) to;
    if (isBlocked(f, t) || sim.random().nextDouble() < dropProbability[f][t]) return;
    Fnv64 code = new Fnv64().add(5).add(from).add(to).add(header.term()).add(meta.index()).add(meta.term());
    for (byte[] c : chunks) code.add(c);
    int copies = sim.random().nextDouble() < duplicateProbability ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      long d = delay() + 5 + sim.random().nextInt(40);
      sim.schedule(d, Simulation.EV_DELIVER, to, code.value(), () -> sim.node(to).receiveSnapshot(header, meta, chunks, answer));
    }
  }

  /** Hands a message to its node, and tells {@link Liveness} what it did to the node's election timer. */
  private void deliver(SimNode n, RaftMessage m) {
    if (!n.up) return;
    long termBefore = n.core.term();
    long voteBefore = n.core.votedFor();
    n.receive(m);
    if (m instanceof RequestVote rv && !rv.preVote()) {
      sim.liveness().voteRequested(n, rv, termBefore, voteBefore);
    } else if (m instanceof AppendEntries ae) {
      sim.liveness().heardLeader(n, ae.from(), ae.term());
    }
  }

  /**
   * One leg of a node-to-node call other than a Raft message (a forwarded write, a ReadIndex
   * request or its answer): delivered once or lost, never duplicated, as a gRPC call is.
   */
  void call(long from, long to, Runnable delivery) {
    int f = (int) from;
    int t = (int) to;
    if (isBlocked(f, t) || sim.random().nextDouble() < dropProbability[f][t]) return;
    sim.schedule(delay(), Simulation.EV_DELIVER, to, new Fnv64().add(10).add(from).add(to).value(), delivery);
  }

  void sendToNode(ClientMessages.ClientRequest req) {
    if (sim.random().nextDouble() < clientDropProbability) return;
    long code = new Fnv64().add(req.opId()).add(req.attempt()).add(req.op().kind()).add(req.op().key()).value();
    int to = (int) req.node();
    sim.schedule(delay(), Simulation.EV_CLIENT_REQUEST, to, code, () -> {
      sim.readFreshness().arrived(req);
      sim.node(to).onClientRequest(req);
    });
  }

  void sendToClient(ClientMessages.ClientReply reply) {
    sim.readFreshness().answered(reply);
    if (sim.random().nextDouble() < clientDropProbability) return;
    long code = new Fnv64().add(reply.opId()).add(reply.attempt()).add(reply.status().ordinal())
        .add(reply.value()).add(reply.leaderHint()).value();
    sim.schedule(delay(), Simulation.EV_CLIENT_REPLY, reply.clientId(), code,
        () -> sim.client(reply.clientId()).onReply(reply));
  }

  /** A hash of every field that matters, so the trace notices any change in message content. */
  static long digest(RaftMessage m) {
    Fnv64 f = new Fnv64().add(m.from()).add(m.to()).add(m.term());
    if (m instanceof RequestVote rv) {
      f.add(1).add(rv.lastLogIndex()).add(rv.lastLogTerm()).add(rv.preVote() ? 1 : 0);
    } else if (m instanceof RequestVoteResponse r) {
      f.add(2).add(r.voteGranted() ? 1 : 0).add(r.preVote() ? 1 : 0);
    } else if (m instanceof AppendEntries ae) {
      f.add(3).add(ae.prevLogIndex()).add(ae.prevLogTerm()).add(ae.leaderCommit()).add(ae.readSeq());
      for (LogEntry e : ae.entries()) f.add(e.index()).add(e.term()).add(e.data());
    } else if (m instanceof AppendEntriesResponse r) {
      f.add(4).add(r.success() ? 1 : 0).add(r.matchIndex()).add(r.conflictIndex()).add(r.prevLogIndex())
          .add(r.readSeq());
    } else if (m instanceof InstallSnapshot is) {
      f.add(6).add(is.lastIncludedIndex()).add(is.lastIncludedTerm());
    } else if (m instanceof InstallSnapshotResponse r) {
      f.add(7).add(r.success() ? 1 : 0).add(r.matchIndex());
    } else if (m instanceof TimeoutNow) {
      f.add(8);
    } else if (m instanceof TimeoutNowResponse r) {
      f.add(9).add(r.accepted() ? 1 : 0);
    }
    return f.value();
  }
}
