package io.raftkv.sim;

import io.raftkv.sim.ClientMessages.ClientOp;
import io.raftkv.sim.ClientMessages.ClientReply;
import io.raftkv.sim.ClientMessages.ClientRequest;
import io.raftkv.sim.ClientMessages.Status;

/**
 * A client running one operation at a time against a few keys, with values unique across the run
 * so a checker can tell every write apart. It behaves as a careful real client does: a definite
 * "not leader" or "failed" answer is retried as the same operation (it had no effect); silence past
 * the timeout leaves the operation's outcome unknown forever, and the client moves on with a new
 * operation at another node.
 */
final class SimClient {
  private final int id;
  private final Simulation sim;
  private final long timeoutMs;
  private long lastLeader;
  /** With sticky reads: the node that last answered a read, which reads keep going to. */
  private long readNode;
  private HistoryOp current;
  private long currentNode;
  private int attempt;
  private int valueSeq;
  /** Set at the start of the heal phase: finish (or give up on) the current operation, then stop. */
  boolean stopping;

  SimClient(int id, Simulation sim, long timeoutMs) {
    this.id = id;
    this.sim = sim;
    this.timeoutMs = timeoutMs;
  }

  boolean idle() {
    return current == null;
  }

  void begin(long delayMs) {
    sim.schedule(delayMs, Simulation.EV_CLIENT_STEP, id, 0, this::nextOperation);
  }

  private void nextOperation() {
    if (stopping || current != null) return;
    String key = "k" + sim.random().nextInt(sim.keys());
    int r = sim.random().nextInt(100);
    ClientOp op;
    if (r < 45) {
      op = new ClientOp("set", key, "c" + id + "v" + (++valueSeq));
    } else if (r < 60) {
      op = new ClientOp("delete", key, null);
    } else {
      op = new ClientOp("get", key, null);
    }
    startOperation(op, pickNode(op));
  }

  private void startOperation(ClientOp op, long node) {
    current = sim.history().invoke(id, op);
    attempt = 0;
    send(node);
  }

  /**
   * Usually the last known leader. A seed with sticky reads sends reads to the node that last
   * answered one and writes to the newest leader: an isolated leader that has not noticed its
   * deposition keeps getting reads while writes go on elsewhere, and it must not answer them from
   * its stale state.
   */
  private long pickNode(ClientOp op) {
    if (sim.stickyReads()) {
      if (op.isRead() && readNode != 0) return readNode;
      // Writes go where a service registry would send them: to the newest leader, found at once.
      SimNode leader = sim.currentLeader();
      if (!op.isRead() && leader != null) return leader.id;
    }
    if (lastLeader != 0 && sim.random().nextInt(4) != 0) return lastLeader;
    return 1 + sim.random().nextInt(sim.nodeCount());
  }

  private void send(long node) {
    currentNode = node;
    attempt++;
    HistoryOp op = current;
    int a = attempt;
    sim.network().sendToNode(new ClientRequest(id, op.opId, a, node, op.input));
    sim.schedule(timeoutMs, Simulation.EV_CLIENT_TIMEOUT, id, op.opId, () -> {
      if (current == op && attempt == a) timedOut();
    });
  }

  private void timedOut() {
    // Whether it took effect is unknowable now; the history keeps it open forever.
    sim.history().unknown(current);
    ClientOp old = current.input;
    current = null;
    lastLeader = 0;
    if (stopping) return;
    // Retry the intent elsewhere as a new operation; a new value keeps writes distinguishable.
    ClientOp retry = old.kind().equals("set") ? new ClientOp("set", old.key(), "c" + id + "v" + (++valueSeq)) : old;
    long node = 1 + sim.random().nextInt(sim.nodeCount());
    if (node == currentNode) node = 1 + (node % sim.nodeCount());
    startOperation(retry, node);
  }

  void onReply(ClientReply reply) {
    if (current == null || reply.opId() != current.opId || reply.attempt() != attempt) return; // late
    if (reply.status() == Status.OK) {
      if (current.input.isRead() && sim.stickyReads()) {
        readNode = currentNode;
      } else {
        lastLeader = currentNode;
      }
      sim.history().complete(current, reply.value());
      current = null;
      begin(sim.random().nextInt(20));
      return;
    }
    // A definite "no effect": try again with the same operation, at the hinted leader if any.
    lastLeader = reply.leaderHint();
    long node = reply.leaderHint() != 0 && reply.leaderHint() != currentNode
        ? reply.leaderHint()
        : 1 + sim.random().nextInt(sim.nodeCount());
    long backoff = 5 + sim.random().nextInt(20);
    HistoryOp op = current;
    int a = attempt;
    sim.schedule(backoff, Simulation.EV_CLIENT_STEP, id, op.opId, () -> {
      if (current == op && attempt == a) send(node);
    });
  }
}
