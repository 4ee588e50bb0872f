package io.raftkv.sim;

import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.RaftMessage;
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
  /**
   * A reference state machine fed with {@link #applied}, and the hash of its state after each
   * index (element 0: the empty state). A node's state at index X, however it got there (applying
   * one by one, installing a snapshot, recovering), must hash to {@code stateHash[X]}.
   */
  private final TreeMap<String, String> reference = new TreeMap<>();
  private final ArrayList<Long> stateHash = new ArrayList<>(List.of(hash(new TreeMap<>())));
  /** The values of every set applied so far (values are unique within a run). */
  private final java.util.HashSet<String> appliedValues = new java.util.HashSet<>();
  private final long[] lastCommit;
  private final long[] lastLeaderTerm;
  private long snapshotsTaken;
  private long snapshotsInstalled;
  private long configChanges;

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
    checkState(n, n.appliedIndex, n.appliedTerm, n.stateMachine, "recovered");
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
      // Below the base of a freshly installed snapshot the entries are not visible: the snapshot
      // itself is checked against the applied states instead (onSnapshot).
      if (entryTerm < 0 && idx < n.core.logBaseIndex()) continue;
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
    // Entries at or below the leader's log base were committed on it before it compacted them
    // (only applied entries are compacted), so committed-term agreement already covers them.
    for (Map.Entry<Long, Committed> e : committed.tailMap(n.core.logBaseIndex(), true).entrySet()) {
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
      if (e.kind() == LogEntry.Kind.COMMAND) {
        KvCommand command = KvCommandCodec.decode(e.data());
        if (command instanceof KvCommand.Set set) appliedValues.add(set.value());
        KvApplier.apply(command, referenceView);
      } else if (e.kind() == LogEntry.Kind.CONFIG && e.index() > 1) {
        configChanges++; // index 1 is the bootstrap configuration
      }
      stateHash.add(hash(reference));
    }
  }

  /** After a node applied an entry: its state must be the reference state at that index. */
  void onApplied(SimNode n) {
    checkState(n, n.appliedIndex, n.appliedTerm, n.stateMachine, "applied");
  }

  /**
   * A snapshot a node took, or installed from its leader: it must hold exactly the effect of the
   * entries up to its index, and its last entry must be the one applied there.
   */
  void onSnapshot(SimNode n, long index, long term, TreeMap<String, String> kv, boolean installed) {
    if (installed) {
      snapshotsInstalled++;
    } else {
      snapshotsTaken++;
    }
    checkState(n, index, term, kv, installed ? "installed snapshot" : "snapshot");
  }

  private void checkState(SimNode n, long index, long term, TreeMap<String, String> kv, String what) {
    if (index == 0) {
      if (!kv.isEmpty()) throw fail("node " + n.id + " has a non-empty " + what + " state at index 0");
      return;
    }
    if (index > applied.size()) {
      throw fail("node " + n.id + " has a " + what + " state at " + index + ", beyond any applied entry ("
          + applied.size() + ")");
    }
    LogEntry e = applied.get((int) index - 1);
    if (e.term() != term) {
      throw fail("State Machine Safety: node " + n.id + " has a " + what + " state at " + index + "@" + term
          + " where " + e + " was applied");
    }
    if (hash(kv) != stateHash.get((int) index)) {
      throw fail("State Machine Safety: node " + n.id + "'s " + what + " state at " + index + " is " + kv
          + ", not the state the applied entries up to there produce");
    }
  }

  private static long hash(TreeMap<String, String> kv) {
    Fnv64 f = new Fnv64().add(kv.size());
    for (Map.Entry<String, String> e : kv.entrySet()) f.add(e.getKey()).add(e.getValue());
    return f.value();
  }

  private final KvWriteView referenceView = KvWriteView.over(reference);

  /** A node's write is durable; {@code before} and {@code after} are its durable hard state around it. */
  void onPersisted(SimNode n, HardState before, HardState after) {
    if (after.term() < before.term()) {
      throw fail("node " + n.id + " persisted term " + after.term() + " after term " + before.term());
    }
    if (after.term() == before.term() && before.votedFor() != 0 && after.votedFor() != before.votedFor()) {
      throw fail("node " + n.id + " changed its vote in term " + after.term() + " from " + before.votedFor() + " to "
          + after.votedFor());
    }
    // The fault injector may crash the node right after a change of term or vote (§5.2).
    sim.hardStatePersisted(n, after);
  }

  /**
   * Persist before send (the driver's first rule): whatever a message says about its sender's
   * term, vote or log must already be on the sender's disk, or a crash right after sending could
   * make the node contradict itself (§5.2, §5.3; thesis §3.8).
   */
  void onSend(SimNode n, RaftMessage m) {
    HardState durable = n.disk.hardState();
    // A pre-vote asks about a term the sender has not entered (thesis §9.6): nothing to persist.
    boolean preVote = (m instanceof RaftMessage.RequestVote rv && rv.preVote())
        || (m instanceof RaftMessage.RequestVoteResponse rr && rr.preVote());
    if (!preVote && durable.term() < m.term()) {
      throw fail("node " + n.id + " sent " + m + " in term " + m.term() + " with term " + durable.term() + " on disk");
    }
    // A vote may leave after a later term is already durable (the Readies were merged): the
    // node can then never vote in the vote's term again, which is all the rule protects.
    if (m instanceof RaftMessage.RequestVoteResponse v && v.voteGranted() && !v.preVote()
        && durable.term() == v.term() && durable.votedFor() != v.to()) {
      throw fail("node " + n.id + " granted its vote to " + v.to() + " in term " + v.term() + " before persisting it"
          + " (disk: term " + durable.term() + ", voted for " + durable.votedFor() + ")");
    }
    if (m instanceof RaftMessage.AppendEntriesResponse r && r.success()) {
      long durableLast = Math.max(n.disk.lastIndex(), n.disk.logBase());
      if (durableLast < r.matchIndex()) {
        throw fail("node " + n.id + " acknowledged entries up to " + r.matchIndex() + " with only " + durableLast
            + " on disk");
      }
    }
    if (m instanceof RaftMessage.InstallSnapshotResponse r && r.success()) {
      long covered = Math.max(n.disk.lastIndex(), n.disk.logBase());
      if (covered < r.matchIndex()) {
        throw fail("node " + n.id + " acknowledged a snapshot up to " + r.matchIndex() + " with only " + covered
            + " durable");
      }
    }
  }

  /** The highest index any node has seen committed so far. */
  long highestCommitted() {
    return committed.isEmpty() ? 0 : committed.lastKey();
  }

  /**
   * A client hears that its set took effect: its (unique) value must have been applied by then,
   * or the acknowledgement could be for a write a leader change lost.
   */
  void checkAcknowledged(SimNode n, String value) {
    if (!appliedValues.contains(value)) {
      throw fail("node " + n.id + " acknowledged the set of " + value + ", which no node has applied");
    }
  }

  /**
   * Log Matching (§5.3) over the durable logs: if two logs hold an entry with the same index and
   * term, they are identical up to and including it.
   */
  void checkLogMatching(List<SimNode> nodes) {
    for (int a = 0; a < nodes.size(); a++) {
      for (int b = a + 1; b < nodes.size(); b++) {
        SimDisk da = nodes.get(a).disk;
        SimDisk db = nodes.get(b).disk;
        // Only the indices both durable logs still hold (compaction drops different prefixes),
        // plus each log's base, whose term is known.
        long from = Math.max(da.logBase(), db.logBase());
        long to = Math.min(da.lastIndex(), db.lastIndex());
        long last = -1;
        for (long i = to; i >= from && i > 0; i--) {
          long ta = da.termAt(i);
          if (ta >= 0 && ta == db.termAt(i)) {
            last = i;
            break;
          }
        }
        for (long i = from; i <= last; i++) {
          LogEntry ea = da.entry(i);
          LogEntry eb = db.entry(i);
          boolean same = ea == eb || (ea == null || eb == null ? da.termAt(i) == db.termAt(i) : ea.equals(eb));
          if (!same) {
            throw fail("Log Matching: nodes " + nodes.get(a).id + " and " + nodes.get(b).id + " agree at index "
                + last + " term " + da.termAt(last) + " but differ at " + i + ": " + ea + "@" + da.termAt(i) + " vs "
                + eb + "@" + db.termAt(i));
          }
        }
      }
    }
  }

  long snapshotsTaken() {
    return snapshotsTaken;
  }

  long snapshotsInstalled() {
    return snapshotsInstalled;
  }

  long configChanges() {
    return configChanges;
  }

  int committedCount() {
    return committed.size();
  }
}
