package io.raftkv.sim;

import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safety properties of Figure 3 of the Raft paper, checked while the simulation runs. Each
 * check looks at what nodes actually did (roles, commit indices, applied entries, durable logs),
 * never at the core's own claims about correctness.
 */
final class Invariants {
  /** An index known to be committed: its entry's term, and the lowest term any node saw it committed in. */
  private record Committed(long entryTerm, long observedInTerm) {}

  private final Simulation sim;
  /** Election Safety: the one leader of each term. */
  private final TreeMap<Long, Long> leaderOfTerm = new TreeMap<>();
  private final TreeMap<Long, Committed> committed = new TreeMap<>();
  /** State Machine Safety: the entries applied at each index, by whichever node applied it first. */
  private final ArrayList<LogEntry> applied = new ArrayList<>();
  private final long[] lastCommit;
  private final long[] lastLeaderTerm;

  Invariants(Simulation sim, int nodes) {
    this.sim = sim;
    this.lastCommit = new long[nodes + 1];
    this.lastLeaderTerm = new long[nodes + 1];
  }

  private SimulationFailure fail(String what) {
    return new SimulationFailure(sim.seed(), sim.now(), what);
  }

  /** A restarted node's commit index starts again from what its state machine had applied. */
  void onStart(SimNode n) {
    lastCommit[(int) n.id] = n.core.commitIndex();
    lastLeaderTerm[(int) n.id] = 0;
  }

  /** Called after every input to a node's core. */
  void observe(SimNode n) {
    int i = (int) n.id;
    long term = n.core.term();
    if (n.core.role() == Role.LEADER && lastLeaderTerm[i] != term) {
      lastLeaderTerm[i] = term;
      onNewLeader(n, term);
    }
    long commit = n.core.commitIndex();
    if (commit < lastCommit[i]) {
      throw fail("node " + n.id + " commit index went back from " + lastCommit[i] + " to " + commit);
    }
    for (long idx = lastCommit[i] + 1; idx <= commit; idx++) {
      long entryTerm = n.core.termAt(idx);
      Committed c = committed.get(idx);
      if (c == null) {
        committed.put(idx, new Committed(entryTerm, term));
      } else if (c.entryTerm != entryTerm) {
        throw fail("index " + idx + " committed with term " + c.entryTerm + " and, on node " + n.id
            + ", with term " + entryTerm);
      } else if (term < c.observedInTerm) {
        committed.put(idx, new Committed(entryTerm, term));
      }
    }
    lastCommit[i] = commit;
  }

  private void onNewLeader(SimNode n, long term) {
    Long other = leaderOfTerm.putIfAbsent(term, n.id);
    if (other != null && other != n.id) {
      throw fail("Election Safety: nodes " + other + " and " + n.id + " both lead term " + term);
    }
    // Leader Completeness (§5.4): a leader of a term after the one an entry was committed in
    // holds that entry. The observed term is an upper bound of the committing term, so this
    // never accuses a leader that Raft allows to lack the entry.
    for (Map.Entry<Long, Committed> e : committed.entrySet()) {
      Committed c = e.getValue();
      if (term > c.observedInTerm && n.core.termAt(e.getKey()) != c.entryTerm) {
        throw fail("Leader Completeness: node " + n.id + " leads term " + term + " without committed entry "
            + e.getKey() + "@" + c.entryTerm + " (its term there: " + n.core.termAt(e.getKey()) + ")");
      }
    }
  }

  /** Exactly-once and State Machine Safety, checked as each entry is applied. */
  void onApply(SimNode n, LogEntry e) {
    if (e.index() != n.appliedIndex + 1) {
      throw fail("node " + n.id + " applies " + e.index() + " after " + n.appliedIndex
          + " (an entry applied twice or skipped)");
    }
    if (e.index() <= applied.size()) {
      LogEntry first = applied.get((int) e.index() - 1);
      if (!first.equals(e)) {
        throw fail("State Machine Safety: node " + n.id + " applies " + e + " at " + e.index()
            + " where another node applied " + first);
      }
    } else {
      applied.add(e);
    }
  }

  void onPersisted(SimNode n) {
    // Nothing per write yet: the durable logs are compared across nodes in checkLogMatching.
  }

  /**
   * Log Matching (§5.3) over the durable logs: if two logs hold an entry with the same index and
   * term, they are identical up to and including it.
   */
  void checkLogMatching(List<SimNode> nodes) {
    for (int a = 0; a < nodes.size(); a++) {
      for (int b = a + 1; b < nodes.size(); b++) {
        List<LogEntry> la = nodes.get(a).disk.log;
        List<LogEntry> lb = nodes.get(b).disk.log;
        int common = Math.min(la.size(), lb.size());
        int last = -1;
        for (int i = common - 1; i >= 0; i--) {
          if (la.get(i).term() == lb.get(i).term()) {
            last = i;
            break;
          }
        }
        for (int i = 0; i <= last; i++) {
          if (!la.get(i).equals(lb.get(i))) {
            throw fail("Log Matching: nodes " + nodes.get(a).id + " and " + nodes.get(b).id + " agree at index "
                + (last + 1) + " term " + la.get(last).term() + " but differ at " + (i + 1) + ": " + la.get(i)
                + " vs " + lb.get(i));
          }
        }
      }
    }
  }

  int committedCount() {
    return committed.size();
  }
}
