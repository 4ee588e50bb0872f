package io.raftkv.raft.core;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import io.raftkv.raft.core.RaftMessage.InstallSnapshot;
import io.raftkv.raft.core.RaftMessage.InstallSnapshotResponse;
import io.raftkv.raft.core.RaftMessage.RequestVote;
import io.raftkv.raft.core.RaftMessage.RequestVoteResponse;
import io.raftkv.raft.core.RaftMessage.TimeoutNow;
import io.raftkv.raft.core.RaftMessage.TimeoutNowResponse;
import java.util.List;
import java.util.Random;

/**
 * The Raft protocol as a pure state machine: no threads, clocks, I/O or unseeded randomness.
 * Inputs are ticks, peer messages, client proposals and read requests, and storage
 * acknowledgements; outputs accumulate in a {@link Ready} that the driver collects with
 * {@link #ready()} and must carry out in the order documented there (persist, send, apply).
 *
 * <p>The core keeps the term, the vote, the role, the log, the commit index and the configuration,
 * and applies the term rules to every message. The rest is delegated: {@link Leadership} is what a
 * leader keeps and does (with {@link LogReplicator}, the sending half of replication, and
 * {@link ReadOnlyQueue} for ReadIndex); {@link LogReceiver} is a follower's half of replication;
 * {@link ProgressTracker} knows each peer's progress and the votes; {@link MajorityConfig} counts
 * every majority; {@link ReadyBuilder} gathers the output.
 *
 * <p>Section numbers refer to the Raft paper (§5.x) and to Ongaro's thesis where noted.
 */
public final class RaftCore {
  private final long id;
  private final RaftConfig config;
  private final Random random;
  private final RaftLog log;

  // Persistent state (Figure 2); changes are flushed through Ready.hardState.
  private long currentTerm;
  private long votedFor;

  // Volatile state.
  private Role role = Role.FOLLOWER;
  private long leaderId;
  private long commitIndex;
  private Membership membership;
  /** The membership in force at the log's base (from a snapshot), used when no CONFIG entry follows. */
  private Membership baseMembership;
  private int electionElapsed;
  private int randomizedElectionTimeout;
  /** Ticks since this core started: the logical clock for when each follower was last heard. */
  private long ticks;

  /** The voters of {@link #membership}, who decide elections and commitment. */
  private MajorityConfig voters;

  /** A leader's view of its peers, and a candidate's votes. */
  private final ProgressTracker tracker;
  /** What this node does while it leads. */
  private final Leadership leader;
  /** What this node does with the entries a leader sends it. */
  private final LogReceiver receiver;
  /** The highest index of this node's own log known to be on its disk. */
  private long selfPersistedIndex;

  /** Output accumulated since the last ready(). */
  private final ReadyBuilder out;

  /**
   * A core over a log whose entries are all at hand, taken as synced; everything stays in
   * memory. For tests and tools; a node recovering from storage uses the other constructor.
   *
   * @param recoveredLog the synced log, in order, starting right after {@code baseIndex}
   */
  public RaftCore(
      long id,
      RaftConfig config,
      Random random,
      HardState hardState,
      long baseIndex,
      long baseTerm,
      List<LogEntry> recoveredLog,
      long appliedIndex,
      Membership baseMembership) {
    this(id, config, random, hardState, StoredLog.of(baseIndex, baseTerm, recoveredLog),
        LogEntryReader.of(recoveredLog), appliedIndex, baseMembership, LogLimits.UNBOUNDED);
  }

  /**
   * A core over a log that stays in storage: only its shape is loaded, entries are read through
   * {@code reader} when needed, and at most {@code limits} of them are kept in memory.
   *
   * @param stored the shape of the synced log (bounds, term runs, CONFIG entries)
   * @param appliedIndex how far the state machine has applied; entries up to it are not handed
   *     out again, and since only committed entries are applied, it is a lower bound of commit
   */
  public RaftCore(
      long id,
      RaftConfig config,
      Random random,
      HardState hardState,
      StoredLog stored,
      LogEntryReader reader,
      long appliedIndex,
      Membership baseMembership,
      LogLimits limits) {
    this.id = id;
    this.config = config;
    this.random = random;
    this.currentTerm = hardState.term();
    this.votedFor = hardState.votedFor();
    this.log = new RaftLog(stored, reader, limits);
    this.commitIndex = Math.max(appliedIndex, stored.baseIndex());
    this.out = new ReadyBuilder(log, commitIndex, limits);
    this.tracker = new ProgressTracker(id);
    this.leader = new Leadership(this, config, log, tracker, out);
    this.receiver = new LogReceiver(this, log);
    this.selfPersistedIndex = log.lastIndex();
    this.baseMembership = baseMembership;
    this.membership = baseMembership;
    refreshMembership();
    resetElectionTimer();
  }

  // ---------------------------------------------------------------- queries

  public long id() {
    return id;
  }

  public Role role() {
    return role;
  }

  public long term() {
    return currentTerm;
  }

  public long votedFor() {
    return votedFor;
  }

  public long leaderId() {
    return leaderId;
  }

  public long commitIndex() {
    return commitIndex;
  }

  public long lastIndex() {
    return log.lastIndex();
  }

  public long lastTerm() {
    return log.lastTerm();
  }

  public long termAt(long index) {
    return log.term(index);
  }

  public Membership membership() {
    return membership;
  }

  public boolean isLeader() {
    return role == Role.LEADER;
  }

  /** A leader may serve ReadIndex only after committing an entry of its own term (thesis §6.4). */
  public boolean hasCommittedInTerm() {
    return log.term(commitIndex) == currentTerm;
  }

  public long matchIndexOf(long peer) {
    return tracker.matchIndex(peer);
  }

  // ---------------------------------------------------------------- bootstrap

  /**
   * Founds a new cluster: the first log entry records its membership. Only for a node with an
   * empty log and term; the driver guarantees a node bootstraps at most once in its life.
   */
  public void bootstrap(Membership initial) {
    if (log.lastIndex() != 0 || currentTerm != 0) {
      throw new IllegalStateException("bootstrap of a node that already has state");
    }
    if (!initial.isVoter(id)) throw new IllegalArgumentException("the bootstrapping node must be a voter");
    currentTerm = 1;
    out.hardStateChanged();
    appendLocal(new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(initial)));
    // Campaign at once rather than after a full timeout: nobody else can lead this cluster yet.
    electionElapsed = randomizedElectionTimeout;
  }

  // ---------------------------------------------------------------- inputs

  /** One logical tick of time: drives election timeouts and heartbeats. */
  public void tick() {
    ticks++;
    electionElapsed++;
    if (role == Role.LEADER) {
      tickLeader();
    } else if (electionElapsed >= randomizedElectionTimeout && membership.isVoter(id)) {
      startElection();
    }
  }

  private void tickLeader() {
    leader.tick();
    if (electionElapsed >= config.electionTicksMin()) {
      electionElapsed = 0;
      if (config.checkQuorum() && !tracker.quorumActive(voters)) {
        // Thesis §6.2: a leader cut off from a majority steps down so clients look elsewhere.
        becomeFollower(currentTerm, 0);
        return;
      }
      tracker.resetRecentActive();
    }
    leader.heartbeatIfDue();
  }

  /**
   * A request from a peer. Returns the response to send back, which like everything else in
   * this step's Ready may only be sent after the Ready's state has been persisted.
   */
  public RaftMessage.Response step(RaftMessage.Request request) {
    if (PeerMessageValidator.check(request) != null) {
      // The driver drops malformed messages before they get here; refusing them here as well
      // keeps a driver bug from moving the term or throwing inside the core.
      return PeerMessageValidator.refusal(request, id, currentTerm);
    }
    if (request instanceof RequestVote rv) return handleRequestVote(rv);
    if (request instanceof AppendEntries ae) return handleAppendEntries(ae);
    if (request instanceof TimeoutNow tn) return handleTimeoutNow(tn);
    if (request instanceof InstallSnapshot is) return handleInstallSnapshot(is);
    throw new IllegalArgumentException("unknown request " + request);
  }

  /** A response to a request this node sent earlier. Stale responses are ignored. */
  public void step(RaftMessage.Response response) {
    if (PeerMessageValidator.check(response) != null) return; // malformed: as if lost
    if (response instanceof RequestVoteResponse r) {
      handleVoteResponse(r);
    } else if (response instanceof AppendEntriesResponse r) {
      handleAppendResponse(r);
    } else if (response instanceof TimeoutNowResponse r) {
      if (r.term() > currentTerm) becomeFollower(r.term(), 0);
    } else if (response instanceof InstallSnapshotResponse r) {
      handleInstallSnapshotResponse(r);
    } else {
      throw new IllegalArgumentException("unknown response " + response);
    }
  }

  /** A client command. Appends it if this node leads; the driver persists it via the Ready. */
  public ProposeResult propose(LogEntry.Kind kind, byte[] data) {
    if (role != Role.LEADER) return new ProposeResult.NotLeader(leaderId);
    if (leader.transferee() != 0) {
      // New entries would keep the transferee from ever catching up.
      return new ProposeResult.Rejected("leadership is being handed to node " + leader.transferee() + "; retry shortly");
    }
    long index = log.lastIndex() + 1;
    appendLocal(new LogEntry(index, currentTerm, kind, data));
    // Sent from ready(), so that every proposal since the last Ready shares one AppendEntries
    // per follower instead of one each.
    leader.proposed();
    return new ProposeResult.Accepted(index, currentTerm);
  }

  /** {@link #proposeConfChange(ConfChange, boolean)} without force. */
  public ProposeResult proposeConfChange(ConfChange change) {
    return proposeConfChange(change, false);
  }

  /**
   * Proposes a single-server membership change (thesis §4.1). Rejected for now while another
   * change is uncommitted, and until this leader has committed an entry of its own term: without
   * that, a change could be decided against a configuration an earlier leader already replaced.
   * Refused outright if {@link #confChangeRefusal} finds a reason.
   */
  public ProposeResult proposeConfChange(ConfChange change, boolean force) {
    if (role != Role.LEADER) return new ProposeResult.NotLeader(leaderId);
    if (!hasCommittedInTerm()) {
      return new ProposeResult.Rejected("the new leader has not committed an entry of its term yet; retry shortly");
    }
    if (configPending()) {
      return new ProposeResult.Rejected("another membership change is in progress; retry when it completes");
    }
    ProposeResult.Refused refused = confChangeRefusal(change, force);
    if (refused != null && refused.rule() == ProposeResult.Refused.Rule.VOTERS_UNREACHABLE && !ledForAnElectionTimeout()) {
      // A voter that has not answered a leader this young may only be slow to: decide later.
      return new ProposeResult.Rejected("this leader has not heard from every voter since its election yet; retry shortly");
    }
    if (refused != null) return refused;
    return propose(LogEntry.Kind.CONFIG, MembershipCodec.encode(ConfChange.apply(change, membership)));
  }

  /**
   * Why this leader would refuse {@code change} against the current configuration, or null if
   * it would propose it: the change must apply, the new configuration must have a quorum of
   * voters that answered within the last election timeout (the strict reconfiguration check),
   * and going below three voters needs {@code force}.
   */
  public ProposeResult.Refused confChangeRefusal(ConfChange change, boolean force) {
    return ReconfigurationRules.refusal(change, membership, id, this::recentlyHeard, force);
  }

  /**
   * This node has led for at least an election timeout, so a voter it has not heard from in that
   * time is silent rather than merely slower than the others to answer a new leader.
   */
  public boolean ledForAnElectionTimeout() {
    return role == Role.LEADER && leader.ledForAnElectionTimeout();
  }

  /** A leader heard from {@code peer} within the last election timeout. */
  private boolean recentlyHeard(long peer) {
    return role == Role.LEADER && leader.recentlyHeard(peer);
  }

  /**
   * Ticks since this leader last heard from {@code peer} (counted from when it began tracking
   * the peer, if never), or 0 when this node does not lead or does not track it.
   */
  public long silentTicks(long peer) {
    return role == Role.LEADER ? leader.silentTicks(peer) : 0;
  }

  /** True while the newest configuration in the log is not yet committed. */
  public boolean configPending() {
    LogEntry c = log.lastConfigEntry();
    return c != null && c.index() > commitIndex;
  }

  /**
   * Hands leadership to {@code target} (thesis §3.10): once its log matches ours, it is told to
   * start an election at once. Proposals are refused meanwhile. Returns false if this node does
   * not lead or the target is not a voter.
   */
  public boolean transferLeadership(long target) {
    if (role != Role.LEADER || target == id || !membership.isVoter(target)) return false;
    leader.transferTo(target);
    return true;
  }

  /** The node leadership is being handed to, or 0. */
  public long leadTransferee() {
    return leader.transferee();
  }

  /**
   * The voter whose log matches the most of ours, the best transfer target, or 0. Voters heard
   * from within the last election timeout come first: a transfer to one that is down cannot
   * succeed, however much of the log it had.
   */
  public long mostCaughtUpVoter() {
    return role == Role.LEADER ? leader.mostCaughtUpVoter() : 0;
  }

  /**
   * Asks for a linearizable read point (thesis §6.4). Only a leader answers; the answer comes
   * later as a {@link ReadState}, after a heartbeat round confirms that no newer leader exists.
   * Returns false if this node does not lead.
   */
  public boolean requestRead(long requestId) {
    if (role != Role.LEADER) return false;
    // Reads arriving before this term's first commit wait for it: until then commitIndex may
    // lag entries that an earlier leader committed.
    leader.requestRead(requestId, hasCommittedInTerm() ? commitIndex : -1);
    return true;
  }

  /**
   * The driver's acknowledgement that the log up to {@code index} (whose entry has
   * {@code term}) is on disk. A leader counts itself towards a majority only from here.
   */
  public void persisted(long index, long term) {
    if (log.term(index) != term) return; // truncated and rewritten meanwhile
    log.stableTo(index, term);
    if (index > selfPersistedIndex) {
      selfPersistedIndex = index;
      if (role == Role.LEADER) leader.maybeCommit();
    }
  }

  /** Collects the output accumulated since the last call. */
  public Ready ready() {
    if (role == Role.LEADER) leader.flush();
    return out.build(currentTerm, votedFor, commitIndex);
  }

  /**
   * The driver applied every entry up to {@code index}: the bytes handed out up to there no
   * longer count against {@link LogLimits#maxApplyingBytes}, so the next Ready may carry more.
   */
  public void appliedTo(long index) {
    out.appliedTo(index);
  }

  /** Whether committed entries wait to be handed out (the apply window was full); a Ready would carry them. */
  public boolean hasCommittedToHandOut() {
    return out.hasCommittedToHandOut(commitIndex);
  }

  /** Bytes of log entries this core holds on the heap: the cache of synced ones and the unsynced tail. */
  public long logBytesInMemory() {
    return log.bytesInMemory();
  }

  // ---------------------------------------------------------------- elections (§5.2)

  /**
   * Every election starts with a pre-vote when enabled, including a retry after a pre-vote or a
   * real vote that timed out: only a won pre-vote may bump the term (thesis §9.6).
   */
  private void startElection() {
    if (config.preVote()) {
      becomePreCandidate();
    } else {
      becomeCandidate(false);
    }
  }

  private void becomePreCandidate() {
    role = Role.PRE_CANDIDATE;
    leaderId = 0;
    resetElectionTimer();
    // The pre-election asks about term+1 without adopting it: nobody's term or vote changes.
    requestVotes(currentTerm + 1, true, false);
  }

  private void becomeCandidate(boolean transfer) {
    role = Role.CANDIDATE;
    leaderId = 0;
    currentTerm++;
    votedFor = id;
    out.hardStateChanged();
    resetElectionTimer();
    requestVotes(currentTerm, false, transfer);
  }

  private void requestVotes(long term, boolean preVote, boolean transfer) {
    tracker.resetVotes();
    tracker.recordVote(id, true);
    if (tracker.tallyVotes(voters) == MajorityConfig.VoteResult.WON) {
      onElectionWon(preVote);
      return;
    }
    for (long peer : membership.voters().keySet()) {
      if (peer == id) continue;
      out.send(new RequestVote(id, peer, term, log.lastIndex(), log.lastTerm(), preVote, transfer));
    }
  }

  private void onElectionWon(boolean preVote) {
    if (preVote) {
      becomeCandidate(false);
    } else {
      becomeLeader();
    }
  }

  private RequestVoteResponse handleRequestVote(RequestVote m) {
    boolean inLease = config.checkQuorum()
        && !m.transfer()
        && leaderId != 0
        && leaderId != m.from()
        && electionElapsed < config.electionTicksMin();
    if (m.preVote()) {
      // Thesis §9.6: grant a pre-vote only to a candidate whose log is up to date, for a term
      // beyond ours, and only if we have not heard from a live leader recently.
      boolean grant = m.term() > currentTerm && !inLease && role != Role.LEADER && logUpToDate(m);
      return new RequestVoteResponse(id, m.from(), grant ? m.term() : currentTerm, grant, true);
    }
    if (m.term() > currentTerm) {
      if (inLease) {
        // Leader stickiness (thesis §4.2.3): a live leader's followers ignore disruptive candidates.
        return new RequestVoteResponse(id, m.from(), currentTerm, false, false);
      }
      becomeFollower(m.term(), 0);
    }
    boolean grant = false;
    if (m.term() == currentTerm
        && (votedFor == HardState.NO_VOTE || votedFor == m.from())
        && logUpToDate(m)) {
      // §5.4.1: vote only for a candidate whose log is at least as up-to-date as ours.
      grant = true;
      if (votedFor != m.from()) {
        votedFor = m.from();
        out.hardStateChanged();
      }
      electionElapsed = 0;
    }
    return new RequestVoteResponse(id, m.from(), currentTerm, grant, false);
  }

  /** §5.4.1: compare the last entries' terms, then the log lengths. */
  private boolean logUpToDate(RequestVote m) {
    return m.lastLogTerm() > log.lastTerm()
        || (m.lastLogTerm() == log.lastTerm() && m.lastLogIndex() >= log.lastIndex());
  }

  private void handleVoteResponse(RequestVoteResponse m) {
    // A granted pre-vote carries the proposed term, not the voter's: it is no reason to step down.
    if (m.term() > currentTerm && !(m.preVote() && m.voteGranted())) {
      becomeFollower(m.term(), 0);
      return;
    }
    if (m.preVote()) {
      if (role != Role.PRE_CANDIDATE || (m.voteGranted() && m.term() != currentTerm + 1)) return;
    } else if (role != Role.CANDIDATE || m.term() != currentTerm) {
      return;
    }
    tracker.recordVote(m.from(), m.voteGranted());
    MajorityConfig.VoteResult result = tracker.tallyVotes(voters);
    if (result == MajorityConfig.VoteResult.WON) {
      onElectionWon(m.preVote());
    } else if (result == MajorityConfig.VoteResult.LOST) {
      becomeFollower(currentTerm, 0);
    }
  }

  private void becomeFollower(long term, long leader) {
    if (term > currentTerm) {
      currentTerm = term;
      votedFor = HardState.NO_VOTE;
      out.hardStateChanged();
    }
    if (role == Role.LEADER) this.leader.stop();
    role = Role.FOLLOWER;
    leaderId = leader;
    tracker.resetVotes();
    resetElectionTimer();
  }

  private void becomeLeader() {
    role = Role.LEADER;
    leaderId = id;
    electionElapsed = 0;
    tracker.resetVotes();
    leader.start(ticks);
    // §8 / §5.4.2: an entry of the new term lets the leader commit everything before it and
    // learn the commit index it needs for ReadIndex.
    appendLocal(LogEntry.noop(log.lastIndex() + 1, currentTerm));
    leader.broadcastAppend();
  }

  private void resetElectionTimer() {
    electionElapsed = 0;
    randomizedElectionTimeout =
        config.electionTicksMin() + random.nextInt(config.electionTicksMax() - config.electionTicksMin());
  }

  private TimeoutNowResponse handleTimeoutNow(TimeoutNow m) {
    if (m.term() < currentTerm) return new TimeoutNowResponse(id, m.from(), currentTerm, false);
    if (m.term() > currentTerm) becomeFollower(m.term(), m.from());
    if (role == Role.LEADER || !membership.isVoter(id)) {
      return new TimeoutNowResponse(id, m.from(), currentTerm, false);
    }
    becomeCandidate(true);
    return new TimeoutNowResponse(id, m.from(), currentTerm, true);
  }

  // ---------------------------------------------------------------- replication (§5.3)

  private AppendEntriesResponse handleAppendEntries(AppendEntries m) {
    if (m.term() < currentTerm) {
      // A stale leader learns the newer term from the response and steps down. The response
      // carries our term, which the sender may lead by the time it arrives, so it must not echo
      // the stale request's heartbeat round: that would acknowledge a round of the new term
      // this node never saw, and confirm a read for a leader that may be deposed (§6.4).
      return new AppendEntriesResponse(id, m.from(), currentTerm, false, 0, 0, m.prevLogIndex(), 0);
    }
    if (receiver.conflictsWithCommitted(m)) {
      // Committed entries never conflict with a legitimate leader's log (Leader Completeness,
      // §5.4): such a message comes from a broken or foreign peer. Refuse it and keep our term,
      // leader and log exactly as they are.
      return receiver.reject(m, commitIndex + 1);
    }
    if (m.term() > currentTerm || role != Role.FOLLOWER || leaderId != m.from()) {
      becomeFollower(m.term(), m.from());
    }
    electionElapsed = 0;
    return receiver.append(m);
  }

  private void handleAppendResponse(AppendEntriesResponse m) {
    if (m.term() > currentTerm) {
      becomeFollower(m.term(), 0);
    } else if (role == Role.LEADER && m.term() == currentTerm) {
      leader.onAppendResponse(m);
    }
  }

  // ---------------------------------------------------------------- hooks for Leadership and LogReceiver

  long ticks() {
    return ticks;
  }

  MajorityConfig voters() {
    return voters;
  }

  long selfPersistedIndex() {
    return selfPersistedIndex;
  }

  /**
   * Commits up to {@code index}, never back: a leader found it stored on a majority (§5.4.2), or
   * the leader told this follower so for entries it shares with it (§5.3).
   */
  void commitTo(long index) {
    commitIndex = Math.max(commitIndex, index);
  }

  /** A leader gives up leadership without a newer term: cut off (§6.2) or removed (thesis §4.2.2). */
  void stepDown() {
    becomeFollower(currentTerm, 0);
  }

  // ---------------------------------------------------------------- snapshots (§7)

  /**
   * The driver compacted the stored log up to {@code index} behind a snapshot whose membership
   * is {@code snapshotMembership}; the core drops those entries from memory too.
   */
  public void compact(long index, Membership snapshotMembership) {
    if (index <= log.baseIndex()) return;
    if (index > out.handedToApply()) throw new IllegalStateException("compact beyond the applied entries: " + index);
    log.compact(index);
    baseMembership = snapshotMembership;
    refreshMembership();
  }

  public long logBaseIndex() {
    return log.baseIndex();
  }

  /**
   * A follower adopts a snapshot the leader streamed to it (its data is already staged by the
   * driver). The Ready carries the install, which the driver makes durable before it sends the
   * response.
   */
  private InstallSnapshotResponse handleInstallSnapshot(InstallSnapshot m) {
    if (m.term() < currentTerm) return new InstallSnapshotResponse(id, m.from(), currentTerm, false, 0);
    if (m.term() > currentTerm || role != Role.FOLLOWER || leaderId != m.from()) becomeFollower(m.term(), m.from());
    electionElapsed = 0;
    long index = m.lastIncludedIndex();
    if (index <= commitIndex) {
      // Everything it covers is already committed here, hence identical: nothing to install.
      return new InstallSnapshotResponse(id, m.from(), currentTerm, true, index);
    }
    boolean keep = log.term(index) == m.lastIncludedTerm();
    if (keep) {
      log.compact(index);
    } else {
      log.reset(index, m.lastIncludedTerm());
    }
    baseMembership = m.membership();
    refreshMembership();
    commitIndex = index;
    out.snapshotInstalled(new Ready.SnapshotInstall(index, m.lastIncludedTerm(), m.membership(), keep));
    return new InstallSnapshotResponse(id, m.from(), currentTerm, true, index);
  }

  private void handleInstallSnapshotResponse(InstallSnapshotResponse m) {
    if (m.term() > currentTerm) {
      becomeFollower(m.term(), 0);
    } else if (role == Role.LEADER && m.term() == currentTerm) {
      leader.onInstallSnapshotResponse(m);
    }
  }

  /**
   * The driver is sending {@code peer} the snapshot up to {@code index}. Every driver must say so
   * before the transfer: the follower's answer is believed only up to what it was sent.
   */
  public void snapshotSent(long peer, long index) {
    if (role == Role.LEADER) leader.snapshotSent(peer, index);
  }

  /** The driver could not deliver a snapshot to {@code peer}; it is retried on a later heartbeat. */
  public void snapshotFailed(long peer) {
    if (role == Role.LEADER) leader.snapshotFailed(peer);
  }

  // ---------------------------------------------------------------- local log changes

  void appendLocal(LogEntry e) {
    log.append(e);
    out.appended(e.index());
    if (e.kind() == LogEntry.Kind.CONFIG) refreshMembership();
  }

  void truncateLocal(long from) {
    log.truncateFrom(from);
    out.truncatedFrom(from);
    selfPersistedIndex = Math.min(selfPersistedIndex, from - 1);
    refreshMembership();
  }

  /** A configuration takes effect as soon as it is in the log, committed or not (thesis §4.1). */
  private void refreshMembership() {
    LogEntry config = log.lastConfigEntry();
    membership = config != null ? MembershipCodec.decode(config.data()) : baseMembership;
    voters = MajorityConfig.of(membership);
    if (role == Role.LEADER) leader.membershipChanged(ticks);
  }
}
