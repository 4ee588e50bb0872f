package io.raftkv.sim;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Ready;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One node's disk: only what a completed, synced write put here survives a crash. The state
 * machine and its applied index are durable as of the last completed write, which models a store
 * that writes them in the same batch as the log (the weakest store the design allows): after a
 * restart the node re-applies from there, and must never apply an entry twice.
 */
final class DurableStore {
  HardState hardState = HardState.INITIAL;
  final ArrayList<LogEntry> log = new ArrayList<>();
  TreeMap<String, String> stateMachine = new TreeMap<>();
  long appliedIndex;
  long appliedTerm;

  /** The synced write of a Ready's persistent part: hard state, truncation, then new entries. */
  void persist(Ready r) {
    if (r.hardState() != null) hardState = r.hardState();
    if (r.truncateFrom() != 0) {
      while (log.size() >= r.truncateFrom()) log.remove(log.size() - 1);
    }
    for (LogEntry e : r.entries()) {
      if (e.index() != log.size() + 1) {
        // A Ready must extend the log exactly; anything else is a core or driver bug.
        throw new IllegalStateException("durable log gap: appending " + e.index() + " after " + log.size());
      }
      log.add(e);
    }
  }

  void saveStateMachine(TreeMap<String, String> sm, long index, long term) {
    stateMachine = new TreeMap<>(sm);
    appliedIndex = index;
    appliedTerm = term;
  }

  List<LogEntry> logCopy() {
    return new ArrayList<>(log);
  }

  boolean isEmpty() {
    return hardState.term() == 0 && log.isEmpty();
  }
}
