package io.raftkv.raft.core;

import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import io.raftkv.raft.core.RaftMessage.InstallSnapshotResponse;
import io.raftkv.raft.core.RaftMessage.TimeoutNow;

/**
 * What a node does while it leads, with the state that only a leader keeps (Figure 2's volatile
 * state on leaders and more): it replicates its log and commits what a majority stores (§5.3,
 * §5.4.2), sends heartbeats, confirms ReadIndex reads (thesis §6.4), hands leadership over
 * (thesis §3.10) and notices peers that need a snapshot (§7). The core owns the term, the log and
 * the commit index; this class moves the commit index through {@link RaftCore#commitTo} and
 * gives up leadership through {@link RaftCore#stepDown}. One instance serves every term this
 * node leads: {@link #start} begins a term of leadership and {@link #stop} ends it.
 */
final class Leadership {
  private final RaftCore core;
  private final RaftConfig config;
  private final RaftLog log;
  private final ProgressTracker tracker;
  private final ReadyBuilder out;
  private final ReadOnlyQueue reads = new ReadOnlyQueue();
  private final LogReplicator replicator;
  /** The tick at which this node last became leader. */
  private long sinceTick;
  private int heartbeatElapsed;
  /** Proposals arrived since the last Ready: they go out together, one AppendEntries per peer. */
  private boolean appendWanted;
  /** The follower leadership is being handed to (thesis §3.10), or 0. */
  private long transferee;
  private int transferElapsed;

  Leadership(RaftCore core, RaftConfig config, RaftLog log, ProgressTracker tracker, ReadyBuilder out) {
    this.core = core;
    this.config = config;
    this.log = log;
    this.tracker = tracker;
    this.out = out;
    this.replicator = new LogReplicator(core, config, log, tracker, reads, out);
  }

  /** This node just won an election: every peer is probed from the end of its log. */
  void start(long nowTick) {
    sinceTick = nowTick;
    heartbeatElapsed = 0;
    appendWanted = false;
    transferee = 0;
    reads.reset();
    tracker.reset(core.membership().allIds(), log.lastIndex() + 1, nowTick);
  }

  /** Leadership ends: reads waiting for its heartbeat round fail, so their clients retry elsewhere. */
  void stop() {
    reads.failAll(out.readStates());
    transferee = 0;
    tracker.clear();
  }

  /** The configuration changed: peers that joined are probed from the newest entry, the one that added them. */
  void membershipChanged(long nowTick) {
    tracker.syncMembers(core.membership().allIds(), Math.max(1, log.lastIndex()), nowTick);
  }

  /** One tick's timers: heartbeats, an overdue transfer, stalled pipelines. */
  void tick() {
    heartbeatElapsed++;
    if (transferee != 0 && ++transferElapsed >= config.electionTicksMin()) {
      // The transferee did not take over in time: keep leading and accept proposals again.
      transferee = 0;
    }
    tracker.tickStalls(config.electionTicksMin());
  }

  /** Sends heartbeats if their interval has passed. */
  void heartbeatIfDue() {
    if (heartbeatElapsed >= config.heartbeatTicks()) {
      heartbeatElapsed = 0;
      replicator.broadcastHeartbeat();
    }
  }

  /** Sends every peer the entries it is missing; at the start of a term, the new no-op. */
  void broadcastAppend() {
    replicator.broadcastAppend();
  }

  /** A proposal was appended; it goes out with the next Ready. */
  void proposed() {
    appendWanted = true;
  }

  /** Before a Ready is collected: send the proposals gathered since the last one, and start a read round if one is wanted. */
  void flush() {
    if (appendWanted) replicator.broadcastAppend();
    appendWanted = false;
    if (reads.startRoundIfWanted()) replicator.broadcastHeartbeat();
  }

  /** An answer to an AppendEntries of the current term. */
  void onAppendResponse(AppendEntriesResponse m) {
    Progress pr = tracker.get(m.from());
    if (pr == null) return;
    pr.heard(core.ticks());
    if (m.readSeq() > pr.readAck) {
      pr.readAck = m.readSeq();
      releaseReads();
    }
    // While a snapshot is on its way, heartbeat replies say nothing new about the follower's log;
    // acting on their rejections would start a second transfer of the same snapshot.
    if (pr.state == Progress.State.SNAPSHOT) return;
    if (m.success()) {
      if (pr.updateMatch(pr.clampToSent(m.matchIndex()))) {
        if (pr.state == Progress.State.PROBE) pr.becomeReplicate();
        maybeCommit();
        if (!core.isLeader()) return;
        if (m.from() == transferee && pr.matchIndex == log.lastIndex()) {
          out.send(new TimeoutNow(core.id(), m.from(), core.term()));
        }
      } else if (pr.state == Progress.State.PROBE) {
        pr.probeSent = false; // the peer is reachable: the probe may be retried at once
      }
    } else {
      if (m.prevLogIndex() < pr.matchIndex) return; // a reject for an old probe
      pr.rejected(Math.min(m.conflictIndex(), m.prevLogIndex()));
    }
    replicator.sendAppend(m.from(), pr, false);
  }

  /** An answer to an InstallSnapshot of the current term: the peer is probed from what it now has. */
  void onInstallSnapshotResponse(InstallSnapshotResponse m) {
    Progress pr = tracker.get(m.from());
    if (pr == null || pr.state != Progress.State.SNAPSHOT) return;
    pr.heard(core.ticks());
    if (m.success()) pr.updateMatch(pr.clampToSent(m.matchIndex()));
    pr.becomeProbe();
    if (m.success()) maybeCommit();
    if (core.isLeader()) replicator.sendAppend(m.from(), pr, false);
  }

  /** §5.4.2: commit the highest index stored on a majority, if its entry is from this term. */
  void maybeCommit() {
    long n = tracker.committedIndex(core.voters(), core.selfPersistedIndex());
    if (n <= core.commitIndex() || log.term(n) != core.term()) return;
    boolean firstInTerm = !core.hasCommittedInTerm();
    core.commitTo(n);
    if (!core.membership().isVoter(core.id()) && !core.configPending()) {
      // Thesis §4.2.2: a leader removed from the configuration leads until the change commits.
      core.stepDown();
      return;
    }
    if (firstInTerm) {
      reads.indexKnown(n);
      releaseReads();
    }
    replicator.broadcastCommit();
  }

  /** The driver is sending {@code peer} the snapshot up to {@code index}. */
  void snapshotSent(long peer, long index) {
    Progress pr = tracker.get(peer);
    if (pr != null && pr.state == Progress.State.SNAPSHOT) pr.snapshotSent(index);
  }

  /** The driver could not deliver a snapshot to {@code peer}; it is retried on a later heartbeat. */
  void snapshotFailed(long peer) {
    Progress pr = tracker.get(peer);
    if (pr != null && pr.state == Progress.State.SNAPSHOT) pr.becomeProbe();
  }

  /** Queues a read at {@code index} (-1 until this term's first commit) for the next heartbeat round. */
  void requestRead(long requestId, long index) {
    reads.add(requestId, index);
    MajorityConfig voters = core.voters();
    // A lone voter is its own majority: no round trip can add anything.
    if (voters.size() == 1 && voters.contains(core.id())) releaseReads();
  }

  /** Answers the reads whose heartbeat round a majority of voters has acknowledged (thesis §6.4). */
  private void releaseReads() {
    if (!reads.isEmpty()) reads.release(tracker.confirmedReadRound(core.voters()), out.readStates());
  }

  /** Starts handing leadership to {@code target}: once its log matches ours, it is told to campaign. */
  void transferTo(long target) {
    transferee = target;
    transferElapsed = 0;
    Progress pr = tracker.get(target);
    if (pr.matchIndex == log.lastIndex()) {
      out.send(new TimeoutNow(core.id(), target, core.term()));
    } else {
      replicator.sendAppend(target, pr, true);
    }
  }

  long transferee() {
    return transferee;
  }

  /** Led for at least an election timeout: a voter not heard from in that time is silent, not slow. */
  boolean ledForAnElectionTimeout() {
    return core.ticks() - sinceTick >= config.electionTicksMin();
  }

  /** {@code peer} answered within the last election timeout. */
  boolean recentlyHeard(long peer) {
    return tracker.heardWithin(peer, core.ticks(), config.electionTicksMin());
  }

  long silentTicks(long peer) {
    return tracker.silentTicks(peer, core.ticks());
  }

  long mostCaughtUpVoter() {
    return tracker.mostCaughtUpVoter(core.voters(), core.ticks(), config.electionTicksMin());
  }
}
