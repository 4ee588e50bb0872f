package io.raftkv.raft.core;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import io.raftkv.raft.core.RaftMessage.InstallSnapshot;
import io.raftkv.raft.core.RaftMessage.InstallSnapshotResponse;
import io.raftkv.raft.core.RaftMessage.RequestVote;
import io.raftkv.raft.core.RaftMessage.RequestVoteResponse;
import io.raftkv.raft.core.RaftMessage.TimeoutNow;
import io.raftkv.raft.core.RaftMessage.TimeoutNowResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Raft protocol as a pure state machine: no threads, clocks, I/O or unseeded randomness.
 * Inputs are ticks, peer messages, client proposals and read requests, and storage
 * acknowledgements; outputs accumulate in a {@link Ready} that the driver collects with
 * {@link #ready()} and must carry out in the order documented there (persist, send, apply).
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
  /** The tick at which this node last became leader. */
  private long leaderSinceTick;
  private int heartbeatElapsed;

  // Candidate state: votes received in the current (pre-)election, keyed by voter.
  private final TreeMap<Long, Boolean> votes = new TreeMap<>();

  // Leader state.
  private final TreeMap<Long, Progress> progress = new TreeMap<>();
  /** The highest index of this leader's own log known to be on its disk. */
  private long selfPersistedIndex;
  private long readSeq;
  private boolean readRoundWanted;
  private boolean appendWanted;
  /** The follower this leader is handing leadership to (thesis §3.10), or 0. */
  private long leadTransferee;
  private int transferElapsed;
  private final ArrayList<PendingRead> pendingReads = new ArrayList<>();

  // Output accumulated since the last ready().
  private boolean hardStateDirty;
  private long dirtyFrom = Long.MAX_VALUE;
  private boolean truncated;
  private final ArrayList<RaftMessage> outbox = new ArrayList<>();
  private final ArrayList<ReadState> readStates = new ArrayList<>();
  private Ready.SnapshotInstall pendingInstall;
  private final ArrayList<Long> snapshotTo = new ArrayList<>();
  /** Highest index handed to the driver for applying. */
  private long handedToApply;
  /** Committed entries handed out for applying and not yet reported applied. */
  private final ApplyWindow applying;

  private record PendingRead(long requestId, long index, long seq) {}

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
    this.applying = new ApplyWindow(limits.maxApplyingBytes());
    this.currentTerm = hardState.term();
    this.votedFor = hardState.votedFor();
    this.log = new RaftLog(stored, reader, limits);
    this.commitIndex = Math.max(appliedIndex, stored.baseIndex());
    this.handedToApply = commitIndex;
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

  public LogEntry entryAt(long index) {
    return log.get(index);
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
    Progress pr = progress.get(peer);
    return pr == null ? 0 : pr.matchIndex;
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
    hardStateDirty = true;
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
    heartbeatElapsed++;
    if (leadTransferee != 0 && ++transferElapsed >= config.electionTicksMin()) {
      // The transferee did not take over in time: keep leading and accept proposals again.
      leadTransferee = 0;
    }
    for (Progress pr : progress.values()) {
      if (!pr.inflight.isEmpty() && ++pr.stallTicks >= config.electionTicksMin()) {
        // Appends or their responses were lost: go back to probing from the known match.
        pr.becomeProbe();
      }
    }
    if (electionElapsed >= config.electionTicksMin()) {
      electionElapsed = 0;
      if (config.checkQuorum() && !quorumActive()) {
        // Thesis §6.2: a leader cut off from a majority steps down so clients look elsewhere.
        becomeFollower(currentTerm, 0);
        return;
      }
      for (Progress pr : progress.values()) pr.recentActive = false;
    }
    if (heartbeatElapsed >= config.heartbeatTicks()) {
      heartbeatElapsed = 0;
      broadcastHeartbeat();
    }
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
    if (leadTransferee != 0) {
      // New entries would keep the transferee from ever catching up.
      return new ProposeResult.Rejected("leadership is being handed to node " + leadTransferee + "; retry shortly");
    }
    long index = log.lastIndex() + 1;
    appendLocal(new LogEntry(index, currentTerm, kind, data));
    // Sent from ready(), so that every proposal since the last Ready shares one AppendEntries
    // per follower instead of one each.
    appendWanted = true;
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
    Membership next;
    try {
      next = ConfChange.apply(change, membership);
    } catch (IllegalArgumentException e) {
      return new ProposeResult.Refused(ProposeResult.Refused.Rule.INVALID, e.getMessage());
    }
    String unreachable = ReconfigurationRules.unreachableVotersRefusal(next, id, this::recentlyHeard);
    if (unreachable != null) {
      return new ProposeResult.Refused(ProposeResult.Refused.Rule.VOTERS_UNREACHABLE, unreachable);
    }
    String needsForce = ReconfigurationRules.forceRefusal(change, membership, force);
    if (needsForce != null) return new ProposeResult.Refused(ProposeResult.Refused.Rule.NEEDS_FORCE, needsForce);
    return null;
  }

  /**
   * This node has led for at least an election timeout, so a voter it has not heard from in that
   * time is silent rather than merely slower than the others to answer a new leader.
   */
  public boolean ledForAnElectionTimeout() {
    return role == Role.LEADER && ticks - leaderSinceTick >= config.electionTicksMin();
  }

  /** A leader heard from {@code peer} within the last election timeout. */
  private boolean recentlyHeard(long peer) {
    Progress pr = progress.get(peer);
    return role == Role.LEADER && pr != null && pr.heardWithin(ticks, config.electionTicksMin());
  }

  /**
   * Ticks since this leader last heard from {@code peer} (counted from when it began tracking
   * the peer, if never), or 0 when this node does not lead or does not track it.
   */
  public long silentTicks(long peer) {
    Progress pr = progress.get(peer);
    return role == Role.LEADER && pr != null ? pr.silentTicks(ticks) : 0;
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
    leadTransferee = target;
    transferElapsed = 0;
    Progress pr = progress.get(target);
    if (pr.matchIndex == log.lastIndex()) {
      outbox.add(new TimeoutNow(id, target, currentTerm));
    } else {
      sendAppend(target, pr, true);
    }
    return true;
  }

  /** The node leadership is being handed to, or 0. */
  public long leadTransferee() {
    return leadTransferee;
  }

  /**
   * The voter whose log matches the most of ours, the best transfer target, or 0. Voters heard
   * from within the last election timeout come first: a transfer to one that is down cannot
   * succeed, however much of the log it had.
   */
  public long mostCaughtUpVoter() {
    long best = mostCaughtUpVoter(true);
    return best != 0 ? best : mostCaughtUpVoter(false);
  }

  private long mostCaughtUpVoter(boolean onlyRecentlyHeard) {
    long best = 0;
    long bestMatch = -1;
    for (var e : progress.entrySet()) {
      if (!membership.isVoter(e.getKey()) || (onlyRecentlyHeard && !recentlyHeard(e.getKey()))) continue;
      if (e.getValue().matchIndex > bestMatch) {
        best = e.getKey();
        bestMatch = e.getValue().matchIndex;
      }
    }
    return best;
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
    long index = hasCommittedInTerm() ? commitIndex : -1;
    pendingReads.add(new PendingRead(requestId, index, readSeq + 1));
    readRoundWanted = true;
    if (membership.voters().size() == 1 && membership.isVoter(id)) releaseReads();
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
      if (role == Role.LEADER) maybeCommit();
    }
  }

  /** Collects the output accumulated since the last call. */
  public Ready ready() {
    if (role == Role.LEADER && appendWanted) broadcastAppend();
    appendWanted = false;
    if (role == Role.LEADER && readRoundWanted) {
      readRoundWanted = false;
      readSeq++;
      broadcastHeartbeat();
    }
    HardState hs = hardStateDirty ? new HardState(currentTerm, votedFor) : null;
    List<LogEntry> newEntries = List.of();
    long tf = 0;
    if (dirtyFrom <= log.lastIndex()) {
      newEntries = log.slice(Math.max(dirtyFrom, log.firstIndex()), log.lastIndex(), Integer.MAX_VALUE, Long.MAX_VALUE);
    }
    if (truncated) tf = Math.max(dirtyFrom, log.firstIndex());
    List<LogEntry> committed = nextToApply();
    Ready r = new Ready(hs, tf, newEntries, outbox, committed, readStates, pendingInstall, snapshotTo);
    pendingInstall = null;
    snapshotTo.clear();
    hardStateDirty = false;
    dirtyFrom = Long.MAX_VALUE;
    truncated = false;
    outbox.clear();
    readStates.clear();
    return r;
  }

  /**
   * The driver applied every entry up to {@code index}: the bytes handed out up to there no
   * longer count against {@link LogLimits#maxApplyingBytes}, so the next Ready may carry more.
   */
  public void appliedTo(long index) {
    applying.appliedTo(index);
  }

  /** Whether committed entries wait to be handed out (the apply window was full); a Ready would carry them. */
  public boolean hasCommittedToHandOut() {
    return commitIndex > handedToApply && !applying.isFull();
  }

  /** Bytes of log entries this core holds on the heap: the cache of synced ones and the unsynced tail. */
  public long logBytesInMemory() {
    return log.bytesInMemory();
  }

  /**
   * The next committed entries to apply, read in one batch bounded by what is still free of
   * {@link LogLimits#maxApplyingBytes} (its first entry always goes, so the window is exceeded by
   * at most one entry and a larger entry never stalls applying), so that applying a long backlog (after a restart, or a
   * follower catching up) never materializes it whole.
   */
  private List<LogEntry> nextToApply() {
    if (commitIndex <= handedToApply || applying.isFull()) return List.of();
    List<LogEntry> batch = log.slice(handedToApply + 1, commitIndex, Integer.MAX_VALUE, applying.room());
    if (batch.isEmpty()) {
      // Storage compacts only what the state machine applied, so this entry must still be there.
      throw new IllegalStateException("committed entry " + (handedToApply + 1) + " is missing from storage");
    }
    long bytes = 0;
    for (LogEntry e : batch) bytes += e.sizeBytes();
    handedToApply = batch.get(batch.size() - 1).index();
    applying.handedOut(handedToApply, bytes);
    return batch;
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
      becomeCandidate();
    }
  }

  private void becomePreCandidate() {
    role = Role.PRE_CANDIDATE;
    leaderId = 0;
    votes.clear();
    resetElectionTimer();
    // The pre-election asks about term+1 without adopting it: nobody's term or vote changes.
    requestVotes(currentTerm + 1, true);
  }

  private void becomeCandidate() {
    becomeCandidate(false);
  }

  private void becomeCandidate(boolean transfer) {
    role = Role.CANDIDATE;
    leaderId = 0;
    currentTerm++;
    votedFor = id;
    hardStateDirty = true;
    votes.clear();
    resetElectionTimer();
    requestVotes(currentTerm, false, transfer);
  }

  private void requestVotes(long term, boolean preVote) {
    requestVotes(term, preVote, false);
  }

  private void requestVotes(long term, boolean preVote, boolean transfer) {
    votes.put(id, true);
    if (tallyWon()) {
      onElectionWon(preVote);
      return;
    }
    for (long peer : membership.voters().keySet()) {
      if (peer == id) continue;
      outbox.add(new RequestVote(id, peer, term, log.lastIndex(), log.lastTerm(), preVote, transfer));
    }
  }

  private void onElectionWon(boolean preVote) {
    if (preVote) {
      becomeCandidate();
    } else {
      becomeLeader();
    }
  }

  private boolean tallyWon() {
    int granted = 0;
    for (var v : votes.entrySet()) {
      if (v.getValue() && membership.isVoter(v.getKey())) granted++;
    }
    return granted >= membership.quorum();
  }

  private boolean tallyLost() {
    int rejected = 0;
    for (var v : votes.entrySet()) {
      if (!v.getValue() && membership.isVoter(v.getKey())) rejected++;
    }
    return rejected > membership.voters().size() - membership.quorum();
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
        hardStateDirty = true;
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
    votes.putIfAbsent(m.from(), m.voteGranted());
    if (tallyWon()) {
      onElectionWon(m.preVote());
    } else if (tallyLost()) {
      becomeFollower(currentTerm, 0);
    }
  }

  private void becomeFollower(long term, long leader) {
    if (term > currentTerm) {
      currentTerm = term;
      votedFor = HardState.NO_VOTE;
      hardStateDirty = true;
    }
    if (role == Role.LEADER) failPendingReads();
    leadTransferee = 0;
    role = Role.FOLLOWER;
    leaderId = leader;
    progress.clear();
    votes.clear();
    resetElectionTimer();
  }

  private void becomeLeader() {
    role = Role.LEADER;
    leaderId = id;
    leaderSinceTick = ticks;
    leadTransferee = 0;
    heartbeatElapsed = 0;
    electionElapsed = 0;
    readSeq = 0;
    progress.clear();
    for (long peer : membership.allIds()) {
      if (peer != id) progress.put(peer, new Progress(log.lastIndex() + 1, ticks));
    }
    // §8 / §5.4.2: an entry of the new term lets the leader commit everything before it and
    // learn the commit index it needs for ReadIndex.
    appendLocal(LogEntry.noop(log.lastIndex() + 1, currentTerm));
    broadcastAppend();
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
    if (conflictsWithCommitted(m)) {
      // Committed entries never conflict with a legitimate leader's log (Leader Completeness,
      // §5.4): such a message comes from a broken or foreign peer. Refuse it and keep our term,
      // leader and log exactly as they are.
      return reject(m, commitIndex + 1);
    }
    if (m.term() > currentTerm || role != Role.FOLLOWER || leaderId != m.from()) {
      becomeFollower(m.term(), m.from());
    }
    electionElapsed = 0;

    if (m.prevLogIndex() > log.lastIndex()) {
      return reject(m, log.lastIndex() + 1);
    }
    if (m.prevLogIndex() >= log.firstIndex() - 1 && !log.matches(m.prevLogIndex(), m.prevLogTerm())) {
      // Skip back over the whole conflicting term, but never below what we know is committed.
      long hint = Math.max(log.firstIndexOfTermAt(m.prevLogIndex()), commitIndex + 1);
      return reject(m, Math.min(hint, m.prevLogIndex()));
    }
    for (LogEntry e : m.entries()) {
      if (e.index() < log.firstIndex()) continue;
      long existing = log.term(e.index());
      if (existing == e.term()) continue; // already have it: a duplicate or reordered message
      if (existing != -1) {
        // §5.3: a conflicting entry and all that follow it are deleted. conflictsWithCommitted
        // has already refused any message that would reach a committed one.
        truncateLocal(e.index());
      }
      appendLocal(e);
    }
    long lastNew = m.lastIndex();
    if (m.leaderCommit() > commitIndex) {
      // Only up to the last entry this message vouches for: beyond it our log may still differ.
      commitIndex = Math.max(commitIndex, Math.min(m.leaderCommit(), lastNew));
    }
    return new AppendEntriesResponse(id, m.from(), currentTerm, true, lastNew, 0, m.prevLogIndex(), m.readSeq());
  }

  /** True when {@code m} carries an entry whose term differs from one of our committed entries. */
  private boolean conflictsWithCommitted(AppendEntries m) {
    for (LogEntry e : m.entries()) {
      if (e.index() > commitIndex) return false;
      if (e.index() < log.firstIndex()) continue;
      long existing = log.term(e.index());
      if (existing != -1 && existing != e.term()) return true;
    }
    return false;
  }

  private AppendEntriesResponse reject(AppendEntries m, long conflictIndex) {
    return new AppendEntriesResponse(
        id, m.from(), currentTerm, false, 0, conflictIndex, m.prevLogIndex(), m.readSeq());
  }

  private void handleAppendResponse(AppendEntriesResponse m) {
    if (m.term() > currentTerm) {
      becomeFollower(m.term(), 0);
      return;
    }
    if (role != Role.LEADER || m.term() != currentTerm) return;
    Progress pr = progress.get(m.from());
    if (pr == null) return;
    pr.heard(ticks);
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
        if (role != Role.LEADER) return;
        if (m.from() == leadTransferee && pr.matchIndex == log.lastIndex()) {
          outbox.add(new TimeoutNow(id, m.from(), currentTerm));
        }
      } else if (pr.state == Progress.State.PROBE) {
        pr.probeSent = false;
      }
    } else {
      if (m.prevLogIndex() < pr.matchIndex) return; // a reject for an old probe
      pr.becomeProbe();
      pr.nextIndex = Math.max(pr.matchIndex + 1, Math.min(m.conflictIndex(), m.prevLogIndex()));
    }
    sendAppend(m.from(), pr, false);
  }

  /** §5.4.2: commit the highest index stored on a majority, if its entry is from this term. */
  private void maybeCommit() {
    long[] matches = new long[membership.voters().size()];
    int i = 0;
    for (long voter : membership.voters().keySet()) {
      matches[i++] = voter == id ? selfPersistedIndex : matchIndexOf(voter);
    }
    Arrays.sort(matches);
    long n = matches[matches.length - membership.quorum()];
    if (n > commitIndex && log.term(n) == currentTerm) {
      boolean firstInTerm = !hasCommittedInTerm();
      commitIndex = n;
      if (!membership.isVoter(id) && !configPending()) {
        // Thesis §4.2.2: a leader removed from the configuration leads until the change commits.
        becomeFollower(currentTerm, 0);
        return;
      }
      if (firstInTerm) readsNowHaveIndex();
      // Tell followers promptly so their applies (and their reads) are not a heartbeat behind.
      for (var e : progress.entrySet()) {
        Progress pr = e.getValue();
        if (pr.state == Progress.State.REPLICATE && pr.nextIndex > log.lastIndex()) {
          outbox.add(heartbeatFor(e.getKey(), pr, readSeq));
        }
      }
    }
  }

  private void broadcastAppend() {
    for (var e : progress.entrySet()) sendAppend(e.getKey(), e.getValue(), false);
  }

  /**
   * Sends what this follower is missing, as far as pipelining allows. With nothing to send and
   * {@code force} set, sends an empty AppendEntries so the follower hears the commit index.
   */
  private void sendAppend(long peer, Progress pr, boolean force) {
    if (pr.state != Progress.State.SNAPSHOT && pr.nextIndex <= log.baseIndex()) {
      // §7: what this follower needs next is compacted away; only a snapshot can catch it up.
      pr.becomeSnapshot();
      snapshotTo.add(peer);
    }
    if (pr.state == Progress.State.SNAPSHOT) {
      if (force) outbox.add(heartbeatFor(peer, pr, readSeq));
      return;
    }
    boolean sentAny = false;
    while (pr.nextIndex <= log.lastIndex() && pr.canSend(config.maxInflightAppends())) {
      long prev = pr.nextIndex - 1;
      List<LogEntry> batch =
          log.slice(pr.nextIndex, log.lastIndex(), config.maxEntriesPerAppend(), config.maxBytesPerAppend());
      if (batch.isEmpty()) {
        // Storage compacted these entries behind a snapshot before this core heard of it (§7).
        pr.becomeSnapshot();
        snapshotTo.add(peer);
        if (force) outbox.add(heartbeatFor(peer, pr, readSeq));
        return;
      }
      outbox.add(new AppendEntries(id, peer, currentTerm, prev, log.term(prev), batch, commitIndex, readSeq));
      pr.sent(prev + batch.size());
      sentAny = true;
      if (pr.state == Progress.State.PROBE) break;
    }
    if (!sentAny && force) outbox.add(heartbeatFor(peer, pr, readSeq));
  }

  private void broadcastHeartbeat() {
    for (var e : progress.entrySet()) {
      Progress pr = e.getValue();
      if (pr.state == Progress.State.PROBE) pr.probeSent = false;
      // A heartbeat doubles as a retry for a follower we are still probing.
      if (pr.state == Progress.State.PROBE && pr.nextIndex <= log.lastIndex()) {
        sendAppend(e.getKey(), pr, true);
      } else {
        outbox.add(heartbeatFor(e.getKey(), pr, readSeq));
      }
    }
  }

  /**
   * An empty AppendEntries anchored at the follower's known match, so it never fails the
   * consistency check and never lets the follower commit beyond what it shares with us.
   */
  private AppendEntries heartbeatFor(long peer, Progress pr, long seq) {
    long prev = pr.matchIndex;
    long prevTerm = log.term(prev);
    if (prevTerm < 0) {
      // The match point is compacted: anchor at the empty prefix, which vouches for nothing.
      prev = 0;
      prevTerm = 0;
    }
    return new AppendEntries(id, peer, currentTerm, prev, prevTerm, List.of(), commitIndex, seq);
  }

  private boolean quorumActive() {
    int active = 0;
    for (long voter : membership.voters().keySet()) {
      if (voter == id || (progress.containsKey(voter) && progress.get(voter).recentActive)) active++;
    }
    return active >= membership.quorum();
  }

  // ---------------------------------------------------------------- snapshots (§7)

  /**
   * The driver compacted the stored log up to {@code index} behind a snapshot whose membership
   * is {@code snapshotMembership}; the core drops those entries from memory too.
   */
  public void compact(long index, Membership snapshotMembership) {
    if (index <= log.baseIndex()) return;
    if (index > handedToApply) throw new IllegalStateException("compact beyond the applied entries: " + index);
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
    if (keep) {
      dirtyFrom = Math.max(dirtyFrom, index + 1);
    } else {
      dirtyFrom = Long.MAX_VALUE;
      truncated = false;
    }
    baseMembership = m.membership();
    refreshMembership();
    commitIndex = index;
    handedToApply = index;
    // What was handed out before is applied (or overtaken by the snapshot) in order, ahead of it.
    applying.clear();
    pendingInstall = new Ready.SnapshotInstall(index, m.lastIncludedTerm(), m.membership(), keep);
    return new InstallSnapshotResponse(id, m.from(), currentTerm, true, index);
  }

  private void handleInstallSnapshotResponse(InstallSnapshotResponse m) {
    if (m.term() > currentTerm) {
      becomeFollower(m.term(), 0);
      return;
    }
    if (role != Role.LEADER || m.term() != currentTerm) return;
    Progress pr = progress.get(m.from());
    if (pr == null || pr.state != Progress.State.SNAPSHOT) return;
    pr.heard(ticks);
    if (m.success()) pr.updateMatch(pr.clampToSent(m.matchIndex()));
    pr.becomeProbe();
    if (m.success()) maybeCommit();
    sendAppend(m.from(), pr, false);
  }

  /**
   * The driver is sending {@code peer} the snapshot up to {@code index}. Every driver must say so
   * before the transfer: the follower's answer is believed only up to what it was sent.
   */
  public void snapshotSent(long peer, long index) {
    Progress pr = progress.get(peer);
    if (role == Role.LEADER && pr != null && pr.state == Progress.State.SNAPSHOT) pr.snapshotSent(index);
  }

  /** The driver could not deliver a snapshot to {@code peer}; it is retried on a later heartbeat. */
  public void snapshotFailed(long peer) {
    Progress pr = progress.get(peer);
    if (role == Role.LEADER && pr != null && pr.state == Progress.State.SNAPSHOT) pr.becomeProbe();
  }

  // ---------------------------------------------------------------- ReadIndex (thesis §6.4)

  private void readsNowHaveIndex() {
    for (int i = 0; i < pendingReads.size(); i++) {
      PendingRead r = pendingReads.get(i);
      if (r.index < 0) pendingReads.set(i, new PendingRead(r.requestId, commitIndex, r.seq));
    }
    releaseReads();
  }

  private void releaseReads() {
    if (pendingReads.isEmpty()) return;
    long confirmed = confirmedReadSeq();
    var it = pendingReads.iterator();
    while (it.hasNext()) {
      PendingRead r = it.next();
      if (r.index >= 0 && r.seq <= confirmed) {
        readStates.add(new ReadState(r.requestId, r.index));
        it.remove();
      }
    }
  }

  /** The newest heartbeat round a majority of voters has acknowledged in this term. */
  private long confirmedReadSeq() {
    long[] acks = new long[membership.voters().size()];
    int i = 0;
    for (long voter : membership.voters().keySet()) {
      Progress pr = progress.get(voter);
      acks[i++] = voter == id ? Long.MAX_VALUE : (pr == null ? 0 : pr.readAck);
    }
    Arrays.sort(acks);
    return acks[acks.length - membership.quorum()];
  }

  private void failPendingReads() {
    for (PendingRead r : pendingReads) readStates.add(new ReadState(r.requestId, -1));
    pendingReads.clear();
    readRoundWanted = false;
  }

  // ---------------------------------------------------------------- local log changes

  private void appendLocal(LogEntry e) {
    log.append(e);
    dirtyFrom = Math.min(dirtyFrom, e.index());
    if (e.kind() == LogEntry.Kind.CONFIG) refreshMembership();
  }

  private void truncateLocal(long from) {
    log.truncateFrom(from);
    dirtyFrom = Math.min(dirtyFrom, from);
    truncated = true;
    selfPersistedIndex = Math.min(selfPersistedIndex, from - 1);
    refreshMembership();
  }

  /** A configuration takes effect as soon as it is in the log, committed or not (thesis §4.1). */
  private void refreshMembership() {
    LogEntry config = log.lastConfigEntry();
    membership = config != null ? MembershipCodec.decode(config.data()) : baseMembership;
    if (role == Role.LEADER) {
      for (long peer : membership.allIds()) {
        // Start a new member at the newest entry (the configuration that added it), so it is
        // probed at once rather than at the next proposal; its reply says where it really is.
        if (peer != id && !progress.containsKey(peer)) progress.put(peer, new Progress(Math.max(1, log.lastIndex()), ticks));
      }
      progress.keySet().retainAll(new TreeSet<>(membership.allIds()));
    }
  }
}
