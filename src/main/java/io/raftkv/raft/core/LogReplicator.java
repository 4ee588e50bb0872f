package io.raftkv.raft.core;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import java.util.List;
import java.util.Map;

/**
 * The sending half of a leader's log replication (§5.3): turns each peer's {@link Progress} into
 * AppendEntries and heartbeats, with the flow control of etcd-io/raft. A peer being probed gets
 * one batch at a time until a response shows where its log matches ours; from then on (replicate
 * state) batches up to the configured size limits are pipelined, up to the inflight window, so a
 * peer far behind catches up at the speed of the link rather than one round trip per batch. A peer
 * whose next entries are compacted away needs a snapshot (§7) instead.
 */
final class LogReplicator {
  private final RaftCore core;
  private final RaftConfig config;
  private final RaftLog log;
  private final ProgressTracker tracker;
  private final ReadOnlyQueue reads;
  private final ReadyBuilder out;

  LogReplicator(RaftCore core, RaftConfig config, RaftLog log, ProgressTracker tracker, ReadOnlyQueue reads,
      ReadyBuilder out) {
    this.core = core;
    this.config = config;
    this.log = log;
    this.tracker = tracker;
    this.reads = reads;
    this.out = out;
  }

  /** Sends every peer what it is missing, as far as its state and window allow. */
  void broadcastAppend() {
    for (Map.Entry<Long, Progress> e : tracker.peers()) sendAppend(e.getKey(), e.getValue(), false);
  }

  /**
   * Sends {@code peer} what it is missing, as far as its state and window allow. With nothing to
   * send and {@code force} set, sends an empty AppendEntries so the peer hears the commit index.
   */
  void sendAppend(long peer, Progress pr, boolean force) {
    if (pr.state != Progress.State.SNAPSHOT && pr.nextIndex <= log.baseIndex()) {
      // §7: what this peer needs next is compacted away; only a snapshot can catch it up.
      needsSnapshot(peer, pr);
    }
    if (pr.state == Progress.State.SNAPSHOT) {
      if (force) out.send(heartbeatFor(peer, pr));
      return;
    }
    boolean sentAny = false;
    while (pr.nextIndex <= log.lastIndex() && pr.canSend(config.maxInflightAppends())) {
      long prev = pr.nextIndex - 1;
      List<LogEntry> batch =
          log.slice(pr.nextIndex, log.lastIndex(), config.maxEntriesPerAppend(), config.maxBytesPerAppend());
      if (batch.isEmpty()) {
        // Storage compacted these entries behind a snapshot before this core heard of it (§7).
        needsSnapshot(peer, pr);
        break;
      }
      out.send(new AppendEntries(core.id(), peer, core.term(), prev, log.term(prev), batch, core.commitIndex(),
          reads.round()));
      pr.sent(prev + batch.size());
      sentAny = true;
    }
    if (!sentAny && force) out.send(heartbeatFor(peer, pr));
  }

  private void needsSnapshot(long peer, Progress pr) {
    pr.becomeSnapshot();
    out.sendSnapshotTo(peer);
  }

  /**
   * A heartbeat to every peer, carrying the current read round. For a peer being probed it is an
   * AppendEntries with entries instead, which doubles as the probe's retry.
   */
  void broadcastHeartbeat() {
    for (Map.Entry<Long, Progress> e : tracker.peers()) {
      Progress pr = e.getValue();
      if (pr.state == Progress.State.PROBE) pr.probeSent = false;
      if (pr.state == Progress.State.PROBE && pr.nextIndex <= log.lastIndex()) {
        sendAppend(e.getKey(), pr, true);
      } else {
        out.send(heartbeatFor(e.getKey(), pr));
      }
    }
  }

  /**
   * A new commit index, told promptly to the peers that have every entry (so their applies and
   * their reads are not a heartbeat behind); the others hear it with their next batch.
   */
  void broadcastCommit() {
    for (Map.Entry<Long, Progress> e : tracker.peers()) {
      Progress pr = e.getValue();
      if (pr.state == Progress.State.REPLICATE && pr.nextIndex > log.lastIndex()) {
        out.send(heartbeatFor(e.getKey(), pr));
      }
    }
  }

  /**
   * An empty AppendEntries anchored at the peer's known match, so it never fails the consistency
   * check and never lets the peer commit beyond what it shares with us.
   */
  private AppendEntries heartbeatFor(long peer, Progress pr) {
    long prev = pr.matchIndex;
    long prevTerm = log.term(prev);
    if (prevTerm < 0) {
      // The match point is compacted: anchor at the empty prefix, which vouches for nothing.
      prev = 0;
      prevTerm = 0;
    }
    return new AppendEntries(core.id(), peer, core.term(), prev, prevTerm, List.of(), core.commitIndex(),
        reads.round());
  }
}
