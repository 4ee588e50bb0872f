package io.raftkv.sim;

import io.raftkv.sim.ClientMessages.ClientReply;
import io.raftkv.sim.ClientMessages.ClientRequest;
import io.raftkv.sim.ClientMessages.Status;
import java.util.HashMap;

/**
 * ReadIndex safety (thesis §6.4), checked on every read rather than only when a conflicting
 * write happens to expose it: a leader may answer a read only after a majority acknowledged a
 * heartbeat round of its term sent after the read arrived. Once a node has won a higher term, a
 * majority has voted in that term and rejects every lower-term heartbeat, so a read that arrived
 * after a higher-term leader existed can never be confirmed by a correct leader of a lower term.
 * A leader that counts an acknowledgement from an earlier term (an AppendEntriesResponse it was
 * sent as an earlier term's leader) answers such reads; linearizability would notice only if a
 * newer write to the same key had completed first.
 */
final class ReadFreshness {
  private record Attempt(int clientId, long opId, int attempt) {}

  /** A read on its way through a node: where it went, and the highest term led when it arrived. */
  private record Arrival(long node, long highestLeaderTerm) {}

  private final Simulation sim;
  private final HashMap<Attempt, Arrival> arrived = new HashMap<>();

  ReadFreshness(Simulation sim) {
    this.sim = sim;
  }

  void arrived(ClientRequest req) {
    if (!req.op().isRead() || !sim.node(req.node()).up) return;
    arrived.put(new Attempt(req.clientId(), req.opId(), req.attempt()),
        new Arrival(req.node(), sim.liveness().highestLeaderTerm()));
  }

  void answered(ClientReply reply) {
    Arrival a = arrived.remove(new Attempt(reply.clientId(), reply.opId(), reply.attempt()));
    if (a == null || reply.status() != Status.OK) return;
    long term = sim.node(a.node).core.term();
    if (a.highestLeaderTerm > term) {
      throw new SimulationFailure(sim.seed(), sim.now(), "ReadIndex: node " + a.node + " answered a read as leader of term "
          + term + " although a leader of term " + a.highestLeaderTerm + " existed when the read arrived");
    }
  }
}
