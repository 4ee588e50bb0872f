package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import io.raftkv.raft.core.RaftMessage.RequestVote;
import io.raftkv.raft.core.RaftMessage.RequestVoteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** One test per rule of the paper, driving a single core by hand. */
class RaftCoreTest {
  static final RaftConfig CONFIG = new RaftConfig(10, 20, 2, 64, 1 << 20, 4, true, true);
  static final Membership THREE = Membership.ofVoters(List.of(
      new Member(1, "n1:1", "n1:2"), new Member(2, "n2:1", "n2:2"), new Member(3, "n3:1", "n3:2")));

  static LogEntry config(long index, long term) {
    return new LogEntry(index, term, LogEntry.Kind.CONFIG, MembershipCodec.encode(THREE));
  }

  static LogEntry cmd(long index, long term) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, new byte[] {(byte) index});
  }

  /** A member of THREE whose log is config@1 followed by commands with the given terms. */
  static RaftCore node(long id, long term, long... terms) {
    List<LogEntry> log = new ArrayList<>();
    log.add(config(1, 1));
    for (int i = 0; i < terms.length; i++) log.add(cmd(i + 2, terms[i]));
    return new RaftCore(id, CONFIG, new Random(id), new HardState(term, 0), 0, 0, log, 0, Membership.EMPTY);
  }

  static void tick(RaftCore c, int n) {
    for (int i = 0; i < n; i++) c.tick();
  }

  static <T> List<T> sent(Ready r, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (RaftMessage m : r.messages()) if (type.isInstance(m)) out.add(type.cast(m));
    return out;
  }

  /** Makes node 1 leader of term {@code term + 1 } via PreVote and a real election. */
  static RaftCore leader(long term, long... terms) {
    RaftCore c = node(1, term, terms);
    tick(c, 20);
    c.ready();
    c.step(new RequestVoteResponse(2, 1, term + 1, true, true));
    c.ready();
    c.step(new RequestVoteResponse(2, 1, term + 1, true, false));
    assertEquals(Role.LEADER, c.role());
    return c;
  }

  @Test
  void electionTimeoutStartsPreVoteWithoutChangingTerm() {
    RaftCore c = node(1, 3);
    tick(c, 20); // beyond any randomized timeout in [10, 20)
    assertEquals(Role.PRE_CANDIDATE, c.role());
    assertEquals(3, c.term(), "§9.6: a pre-vote must not bump the term");
    Ready r = c.ready();
    assertNull(r.hardState());
    List<RequestVote> votes = sent(r, RequestVote.class);
    assertEquals(2, votes.size());
    for (RequestVote v : votes) {
      assertTrue(v.preVote());
      assertEquals(4, v.term());
      assertEquals(1, v.lastLogIndex());
      assertEquals(1, v.lastLogTerm());
    }
  }

  @Test
  void preVoteThatTimesOutIsRetriedAsPreVote() {
    RaftCore c = node(1, 3);
    tick(c, 20);
    c.ready();
    c.step(new RequestVoteResponse(2, 1, 3, false, true));
    tick(c, 20); // no majority either way: the pre-election times out
    assertEquals(Role.PRE_CANDIDATE, c.role());
    assertEquals(3, c.term(), "an unanswered pre-vote never bumps the term");
    assertTrue(sent(c.ready(), RequestVote.class).stream().allMatch(RequestVote::preVote));
  }

  @Test
  void winningPreVoteStartsRealElectionAndPersistsVoteForSelf() {
    RaftCore c = node(1, 3);
    tick(c, 20);
    c.ready();
    c.step(new RequestVoteResponse(2, 1, 4, true, true));
    assertEquals(Role.CANDIDATE, c.role());
    assertEquals(4, c.term());
    Ready r = c.ready();
    assertEquals(new HardState(4, 1), r.hardState(), "term and vote are persisted before RequestVote is sent");
    assertTrue(sent(r, RequestVote.class).stream().noneMatch(RequestVote::preVote));
  }

  @Test
  void majorityOfVotesMakesLeaderWhichAppendsNoopOfItsTerm() {
    RaftCore c = leader(3);
    Ready r = c.ready();
    LogEntry last = r.entries().get(r.entries().size() - 1);
    assertEquals(LogEntry.Kind.NOOP, last.kind());
    assertEquals(4, last.term());
    assertEquals(2, sent(r, AppendEntries.class).size());
  }

  @Test
  void voteDeniedToCandidateWithOlderLastTerm() {
    RaftCore c = node(2, 3, 3);
    var resp = (RequestVoteResponse) c.step(new RequestVote(1, 2, 4, 5, 2, false));
    assertFalse(resp.voteGranted(), "§5.4.1: last term 2 < 3 is less up-to-date");
    assertEquals(4, c.term(), "§5.1: the higher term is adopted even when the vote is denied");
  }

  @Test
  void voteDeniedToCandidateWithShorterLogOfSameTerm() {
    RaftCore c = node(2, 3, 3, 3);
    var resp = (RequestVoteResponse) c.step(new RequestVote(1, 2, 4, 2, 3, false));
    assertFalse(resp.voteGranted(), "§5.4.1: same last term, shorter log");
  }

  @Test
  void voteGrantedToUpToDateCandidateAndPersisted() {
    RaftCore c = node(2, 3, 3);
    var resp = (RequestVoteResponse) c.step(new RequestVote(1, 2, 4, 2, 3, false));
    assertTrue(resp.voteGranted());
    assertEquals(new HardState(4, 1), c.ready().hardState());
  }

  @Test
  void atMostOneVotePerTerm() {
    RaftCore c = node(2, 3);
    assertTrue(((RequestVoteResponse) c.step(new RequestVote(1, 2, 4, 1, 1, false))).voteGranted());
    assertFalse(((RequestVoteResponse) c.step(new RequestVote(3, 2, 4, 1, 1, false))).voteGranted(),
        "§5.2: one vote per term, first come first served");
    assertTrue(((RequestVoteResponse) c.step(new RequestVote(1, 2, 4, 1, 1, false))).voteGranted(),
        "a repeated request from the same candidate is granted again");
  }

  @Test
  void preVoteRefusedWhileLeaderIsAlive() {
    RaftCore c = node(2, 3);
    c.step(new AppendEntries(1, 2, 3, 1, 1, List.of(), 0, 0));
    var resp = (RequestVoteResponse) c.step(new RequestVote(3, 2, 4, 1, 1, true));
    assertFalse(resp.voteGranted(), "a follower that hears its leader does not help depose it");
    tick(c, 20);
    c.ready();
    RaftCore d = node(3, 3);
    var later = (RequestVoteResponse) d.step(new RequestVote(1, 3, 4, 1, 1, true));
    assertTrue(later.voteGranted());
    assertEquals(3, d.term(), "granting a pre-vote changes neither term nor vote");
    assertEquals(0, d.votedFor());
  }

  @Test
  void staleTermAppendEntriesIsRejectedWithCurrentTerm() {
    RaftCore c = node(2, 5);
    var resp = (AppendEntriesResponse) c.step(new AppendEntries(1, 2, 4, 1, 1, List.of(), 0, 0));
    assertFalse(resp.success());
    assertEquals(5, resp.term(), "§5.1: the stale leader learns the newer term");
  }

  @Test
  void higherTermInResponseMakesLeaderStepDown() {
    RaftCore c = leader(3);
    c.ready();
    c.step(new AppendEntriesResponse(2, 1, 9, false, 0, 0, 1, 0));
    assertEquals(Role.FOLLOWER, c.role());
    assertEquals(9, c.term());
    assertEquals(new HardState(9, 0), c.ready().hardState());
  }

  @Test
  void consistencyCheckRejectsMissingPrevEntry() {
    RaftCore c = node(2, 3, 3);
    var resp = (AppendEntriesResponse) c.step(new AppendEntries(1, 2, 3, 5, 3, List.of(cmd(6, 3)), 0, 0));
    assertFalse(resp.success());
    assertEquals(3, resp.conflictIndex(), "§5.3: the leader should back up to our last index + 1");
  }

  @Test
  void consistencyCheckRejectsTermMismatchWithFirstIndexOfTheTerm() {
    RaftCore c = node(2, 3, 2, 2, 2);
    var resp = (AppendEntriesResponse) c.step(new AppendEntries(1, 2, 3, 4, 3, List.of(), 0, 0));
    assertFalse(resp.success());
    assertEquals(2, resp.conflictIndex(), "skip back over the whole conflicting term 2");
  }

  @Test
  void conflictingEntriesAreTruncatedAndReplaced() {
    RaftCore c = node(2, 3, 2, 2, 2);
    var resp = (AppendEntriesResponse) c.step(new AppendEntries(1, 2, 3, 2, 2, List.of(cmd(3, 3)), 0, 0));
    assertTrue(resp.success());
    assertEquals(3, resp.matchIndex());
    assertEquals(3, c.lastIndex(), "§5.3: the conflicting entry and all after it are gone");
    Ready r = c.ready();
    assertEquals(3, r.truncateFrom());
    assertEquals(List.of(cmd(3, 3)), r.entries());
  }

  @Test
  void duplicateOrReorderedAppendDoesNotTruncate() {
    RaftCore c = node(2, 3, 3, 3, 3);
    var resp = (AppendEntriesResponse) c.step(new AppendEntries(1, 2, 3, 1, 1, List.of(cmd(2, 3)), 0, 0));
    assertTrue(resp.success());
    assertEquals(4, c.lastIndex(), "entries after a matching prefix stay");
    assertFalse(c.ready().needsPersist());
  }

  @Test
  void followerCommitsOnlyUpToLastEntryOfTheMessage() {
    RaftCore c = node(2, 3, 2, 2, 2);
    c.step(new AppendEntries(1, 2, 3, 1, 1, List.of(), 4, 0));
    assertEquals(1, c.commitIndex(), "leaderCommit 4 but the message vouches only for index 1");
    c.step(new AppendEntries(1, 2, 3, 1, 1, List.of(cmd(2, 2)), 4, 0));
    assertEquals(2, c.commitIndex());
    assertEquals(List.of(config(1, 1), cmd(2, 2)), c.ready().committed());
  }

  @Test
  void leaderDoesNotCommitOldTermEntryByCountingReplicas() {
    // Figure 8: an entry of term 2 on a majority may still be overwritten; only the leader's own
    // term's entries are committed by counting (§5.4.2).
    RaftCore c = leader(3, 2);
    c.ready();
    c.persisted(2, 2);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 1, 0));
    assertEquals(0, c.commitIndex(), "index 2 (term 2) is on a majority but is not of term 4");
    c.persisted(3, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 3, 0, 2, 0));
    assertEquals(3, c.commitIndex(), "the term-4 noop commits, and with it everything before");
  }

  @Test
  void leaderCountsItselfOnlyAfterPersisting() {
    RaftCore c = leader(3);
    c.ready();
    c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 1, 0));
    assertEquals(0, c.commitIndex(), "the leader's own copy is not durable yet");
    c.persisted(2, 4);
    assertEquals(2, c.commitIndex());
  }

  @Test
  void proposalsAreBatchedIntoOneAppendPerFollower() {
    RaftCore c = leader(3);
    c.ready();
    c.persisted(2, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 1, 0));
    c.step(new AppendEntriesResponse(3, 1, 4, true, 2, 0, 1, 0));
    c.ready();
    for (int i = 0; i < 5; i++) {
      assertInstanceOf(ProposeResult.Accepted.class, c.propose(LogEntry.Kind.COMMAND, new byte[] {1}));
    }
    Ready r = c.ready();
    assertEquals(5, r.entries().size());
    List<AppendEntries> appends = sent(r, AppendEntries.class);
    assertEquals(2, appends.size());
    for (AppendEntries a : appends) assertEquals(5, a.entries().size());
  }

  @Test
  void followerRefusesProposals() {
    RaftCore c = node(2, 3);
    c.step(new AppendEntries(1, 2, 3, 1, 1, List.of(), 0, 0));
    assertEquals(new ProposeResult.NotLeader(1), c.propose(LogEntry.Kind.COMMAND, new byte[0]));
  }

  @Test
  void readIndexWaitsForHeartbeatQuorum() {
    RaftCore c = leader(3);
    c.ready();
    c.persisted(2, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 1, 0));
    assertTrue(c.hasCommittedInTerm());
    c.ready();
    assertTrue(c.requestRead(77));
    Ready r = c.ready();
    assertTrue(r.readStates().isEmpty(), "§6.4: leadership must be confirmed first");
    long seq = sent(r, AppendEntries.class).get(0).readSeq();
    c.step(new AppendEntriesResponse(3, 1, 4, true, 2, 0, 2, seq - 1));
    assertTrue(c.ready().readStates().isEmpty(), "an ack of an older round proves nothing");
    c.step(new AppendEntriesResponse(3, 1, 4, true, 2, 0, 2, seq));
    assertEquals(List.of(new ReadState(77, 2)), c.ready().readStates());
  }

  @Test
  void followerRefusingAStaleLeaderDoesNotAcknowledgeItsReadRound() {
    // Node 1 led term 2 and sent heartbeat round 2; node 2 sees it only once it is in term 4,
    // the term node 1 now leads. The refusal carries term 4, so it must not carry round 2 too.
    RaftCore follower = node(2, 4);
    AppendEntriesResponse refusal =
        (AppendEntriesResponse) follower.step(new AppendEntries(1, 2, 2, 1, 1, List.of(), 1, 2));
    assertEquals(4, refusal.term());
    assertFalse(refusal.success());
    assertEquals(0, refusal.readSeq(), "§6.4: a refusal of an earlier term's heartbeat acknowledges no round");

    RaftCore c = committedLeader();
    assertTrue(c.requestRead(11));
    long seq = sent(c.ready(), AppendEntries.class).get(0).readSeq();
    assertTrue(seq <= 2);
    c.step(refusal);
    assertTrue(c.ready().readStates().isEmpty(), "round " + seq + " is unconfirmed until a follower answers it");
  }

  @Test
  void readIndexWaitsForFirstCommitOfTheTerm() {
    RaftCore c = leader(3, 3);
    c.ready();
    assertTrue(c.requestRead(5));
    Ready r = c.ready();
    long seq = sent(r, AppendEntries.class).get(0).readSeq();
    c.step(new AppendEntriesResponse(2, 1, 4, true, 0, 0, 0, seq));
    assertTrue(c.ready().readStates().isEmpty(), "no entry of term 4 is committed yet");
    c.persisted(3, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 3, 0, 2, seq));
    assertEquals(List.of(new ReadState(5, 3)), c.ready().readStates());
  }

  @Test
  void pendingReadsFailWhenLeadershipIsLost() {
    RaftCore c = leader(3);
    c.ready();
    c.requestRead(9);
    c.ready();
    c.step(new AppendEntriesResponse(2, 1, 7, false, 0, 0, 1, 0));
    assertEquals(List.of(new ReadState(9, -1)), c.ready().readStates());
  }

  @Test
  void leaderWithoutQuorumStepsDown() {
    RaftCore c = leader(3);
    tick(c, CONFIG.electionTicksMin() * 2 + 1);
    assertEquals(Role.FOLLOWER, c.role(), "thesis §6.2: check quorum");
  }

  @Test
  void leaderWithQuorumStaysLeader() {
    RaftCore c = leader(3);
    for (int i = 0; i < 5 * CONFIG.electionTicksMin(); i++) {
      c.tick();
      c.step(new AppendEntriesResponse(2, 1, 4, true, 0, 0, 0, 0));
    }
    assertEquals(Role.LEADER, c.role());
  }

  @Test
  void heartbeatIsAnchoredAtMatchIndex() {
    RaftCore c = leader(3);
    c.ready();
    c.persisted(2, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 1, 0));
    c.ready();
    tick(c, CONFIG.heartbeatTicks());
    for (AppendEntries a : sent(c.ready(), AppendEntries.class)) {
      if (a.to() == 2) {
        assertEquals(2, a.prevLogIndex());
        assertTrue(a.entries().isEmpty());
      }
    }
  }

  @Test
  void rejectMovesNextIndexBackToTheHint() {
    RaftCore c = leader(3, 3, 3, 3);
    Ready r = c.ready();
    AppendEntries probe = sent(r, AppendEntries.class).get(0);
    assertEquals(4, probe.prevLogIndex());
    c.step(new AppendEntriesResponse(probe.to(), 1, 4, false, 0, 2, 4, 0));
    AppendEntries retry = sent(c.ready(), AppendEntries.class).get(0);
    assertEquals(1, retry.prevLogIndex(), "next = conflictIndex 2, so prev = 1");
    assertEquals(4, retry.entries().size());
  }

  @Test
  void bootstrapWritesConfigAndCampaignsAtOnce() {
    RaftCore c = new RaftCore(1, CONFIG, new Random(1), HardState.INITIAL, 0, 0, List.of(), 0, Membership.EMPTY);
    c.tick();
    assertEquals(Role.FOLLOWER, c.role(), "a node without membership never campaigns");
    c.bootstrap(THREE);
    Ready r = c.ready();
    assertEquals(List.of(config(1, 1)), r.entries());
    assertEquals(THREE, c.membership());
    c.tick();
    assertEquals(Role.PRE_CANDIDATE, c.role());
  }

  @Test
  void singleNodeElectsItselfAndCommitsAfterPersist() {
    Membership one = Membership.ofVoters(List.of(new Member(1, "a:1", "a:2")));
    RaftCore c = new RaftCore(1, CONFIG, new Random(1), HardState.INITIAL, 0, 0, List.of(), 0, Membership.EMPTY);
    c.bootstrap(one);
    c.tick();
    assertEquals(Role.LEADER, c.role());
    Ready r = c.ready();
    assertNotNull(r.hardState());
    c.persisted(2, 2);
    assertEquals(2, c.commitIndex());
    assertEquals(2, c.ready().committed().size());
  }

  @Test
  void readyMergeKeepsTruncationsAndOrder() {
    Ready a = new Ready(new HardState(1, 0), 0, List.of(cmd(1, 1), cmd(2, 1), cmd(3, 1)), List.of(), List.of(), List.of());
    Ready b = new Ready(new HardState(2, 2), 2, List.of(cmd(2, 2)), List.of(), List.of(), List.of());
    Ready m = a.then(b);
    assertEquals(new HardState(2, 2), m.hardState());
    assertEquals(2, m.truncateFrom());
    assertEquals(List.of(cmd(1, 1), cmd(2, 2)), m.entries());
  }

  /** A leader of term 4 whose noop (index 2) is committed with node 2's help. */
  static RaftCore committedLeader() {
    RaftCore c = leader(3);
    c.ready();
    c.persisted(2, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 2, 0, 1, 0));
    c.ready();
    assertTrue(c.hasCommittedInTerm());
    return c;
  }

  @Test
  void confChangeWaitsForFirstCommitOfTheTerm() {
    RaftCore c = leader(3);
    c.ready();
    var r = c.proposeConfChange(new ConfChange.AddLearner(new Member(4, "n4:1", "n4:2")));
    assertInstanceOf(ProposeResult.Rejected.class, r, "thesis §4.1: no change before this term's first commit");
  }

  @Test
  void learnerTakesEffectAtOnceButDoesNotCount() {
    RaftCore c = committedLeader();
    var r = c.proposeConfChange(new ConfChange.AddLearner(new Member(4, "n4:1", "n4:2")));
    assertInstanceOf(ProposeResult.Accepted.class, r);
    assertTrue(c.membership().learners().containsKey(4L), "a configuration applies when appended");
    assertEquals(3, c.membership().voters().size());
    Ready ready = c.ready();
    assertTrue(sent(ready, AppendEntries.class).stream().anyMatch(a -> a.to() == 4), "learners get the log");
    c.persisted(3, 4);
    c.step(new AppendEntriesResponse(4, 1, 4, true, 3, 0, 2, 0));
    assertEquals(2, c.commitIndex(), "a learner's copy does not make a majority");
    c.step(new AppendEntriesResponse(2, 1, 4, true, 3, 0, 2, 0));
    assertEquals(3, c.commitIndex());
  }

  @Test
  void onlyOneConfChangeAtATime() {
    RaftCore c = committedLeader();
    assertInstanceOf(ProposeResult.Accepted.class,
        c.proposeConfChange(new ConfChange.AddLearner(new Member(4, "n4:1", "n4:2"))));
    assertInstanceOf(ProposeResult.Rejected.class, c.proposeConfChange(new ConfChange.Promote(4)),
        "thesis §4.1: the next change waits until the previous one commits");
    c.ready();
    c.persisted(3, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 3, 0, 2, 0));
    // The strict reconfiguration check: 1, 2 and the learner must answer to make 3 of 4 voters.
    c.step(new AppendEntriesResponse(4, 1, 4, true, 3, 0, 2, 0));
    assertInstanceOf(ProposeResult.Accepted.class, c.proposeConfChange(new ConfChange.Promote(4)));
    assertTrue(c.membership().isVoter(4));
  }

  @Test
  void invalidConfChangesAreRejected() {
    RaftCore c = committedLeader();
    assertInstanceOf(ProposeResult.Refused.class, c.proposeConfChange(new ConfChange.Promote(9)));
    assertInstanceOf(ProposeResult.Refused.class, c.proposeConfChange(new ConfChange.Remove(9)));
    assertInstanceOf(ProposeResult.Refused.class,
        c.proposeConfChange(new ConfChange.AddLearner(new Member(2, "x:1", "x:2"))));
  }

  @Test
  void followerAdoptsConfigFromItsLogAndDropsItOnTruncation() {
    RaftCore c = node(2, 3, 3);
    Membership four = THREE.withLearner(new Member(4, "n4:1", "n4:2"));
    LogEntry cfg = new LogEntry(3, 3, LogEntry.Kind.CONFIG, MembershipCodec.encode(four));
    c.step(new AppendEntries(1, 2, 3, 2, 3, List.of(cfg), 0, 0));
    assertEquals(four, c.membership());
    c.step(new AppendEntries(5, 2, 5, 2, 3, List.of(cmd(3, 5)), 0, 0));
    assertEquals(THREE, c.membership(), "the uncommitted configuration was overwritten");
  }

  @Test
  void leadershipTransferSendsTimeoutNowOnceCaughtUpAndBlocksProposals() {
    RaftCore c = committedLeader();
    c.propose(LogEntry.Kind.COMMAND, new byte[] {1});
    c.ready();
    assertTrue(c.transferLeadership(2));
    assertInstanceOf(ProposeResult.Rejected.class, c.propose(LogEntry.Kind.COMMAND, new byte[] {2}));
    assertTrue(sent(c.ready(), RaftMessage.TimeoutNow.class).isEmpty(), "node 2 lacks index 3");
    c.step(new AppendEntriesResponse(2, 1, 4, true, 3, 0, 2, 0));
    List<RaftMessage.TimeoutNow> tn = sent(c.ready(), RaftMessage.TimeoutNow.class);
    assertEquals(1, tn.size());
    assertEquals(2, tn.get(0).to());
  }

  @Test
  void timeoutNowStartsAnElectionThatIgnoresLeaderStickiness() {
    RaftCore target = node(2, 3);
    target.step(new AppendEntries(1, 2, 3, 1, 1, List.of(), 0, 0));
    var resp = (RaftMessage.TimeoutNowResponse) target.step(new RaftMessage.TimeoutNow(1, 2, 3));
    assertTrue(resp.accepted());
    assertEquals(Role.CANDIDATE, target.role(), "no pre-vote: the leader asked for this election");
    assertEquals(4, target.term());
    RequestVote rv = sent(target.ready(), RequestVote.class).get(0);
    assertTrue(rv.transfer());
    RaftCore voter = node(3, 3);
    voter.step(new AppendEntries(1, 3, 3, 1, 1, List.of(), 0, 0));
    assertTrue(((RequestVoteResponse) voter.step(new RequestVote(2, 3, 4, 1, 1, false, true))).voteGranted(),
        "a transfer election is not ignored by followers of the live leader");
    RaftCore other = node(3, 3);
    other.step(new AppendEntries(1, 3, 3, 1, 1, List.of(), 0, 0));
    assertFalse(((RequestVoteResponse) other.step(new RequestVote(2, 3, 4, 1, 1, false, false))).voteGranted(),
        "an ordinary election is ignored while the leader is alive");
  }

  @Test
  void removedLeaderStepsDownOnceRemovalCommits() {
    RaftCore c = committedLeader();
    c.step(new AppendEntriesResponse(3, 1, 4, true, 2, 0, 1, 0));
    assertInstanceOf(ProposeResult.Accepted.class, c.proposeConfChange(new ConfChange.Remove(1), true));
    assertEquals(Role.LEADER, c.role(), "thesis §4.2.2: it leads until the change commits");
    c.ready();
    c.step(new AppendEntriesResponse(2, 1, 4, true, 3, 0, 2, 0));
    assertEquals(2, c.commitIndex(), "its own copy no longer counts: nodes 2 and 3 form the majority");
    c.step(new AppendEntriesResponse(3, 1, 4, true, 3, 0, 2, 0));
    assertEquals(3, c.commitIndex());
    assertEquals(Role.FOLLOWER, c.role());
  }

  @Test
  void leaderSendsSnapshotToFollowerBehindTheCompactedLog() {
    RaftCore c = committedLeader();
    for (int i = 0; i < 3; i++) c.propose(LogEntry.Kind.COMMAND, new byte[] {(byte) i});
    c.ready();
    c.persisted(5, 4);
    c.step(new AppendEntriesResponse(2, 1, 4, true, 5, 0, 2, 0));
    c.ready();
    assertEquals(5, c.commitIndex());
    c.compact(4, THREE);
    assertEquals(4, c.logBaseIndex());
    // Node 3 has nothing yet: its probe is rejected down to index 1, which is compacted.
    c.step(new AppendEntriesResponse(3, 1, 4, false, 0, 1, 2, 0));
    Ready r = c.ready();
    assertEquals(List.of(3L), r.sendSnapshotTo(), "§7: entries 1..4 are gone, send the snapshot");
    assertTrue(sent(r, AppendEntries.class).stream().noneMatch(a -> a.to() == 3 && !a.entries().isEmpty()));
    // A heartbeat reply while the snapshot travels (node 3 still rejects) starts no second transfer.
    c.step(new AppendEntriesResponse(3, 1, 4, false, 0, 1, 0, 0));
    assertTrue(c.ready().sendSnapshotTo().isEmpty(), "one transfer at a time");
    c.snapshotSent(3, 4);
    c.step(new RaftMessage.InstallSnapshotResponse(3, 1, 4, true, 4));
    Ready after = c.ready();
    AppendEntries next = sent(after, AppendEntries.class).stream().filter(a -> a.to() == 3).findFirst().orElseThrow();
    assertEquals(4, next.prevLogIndex(), "replication resumes right after the snapshot");
    assertEquals(1, next.entries().size());
  }

  @Test
  void followerInstallsSnapshotAndDiscardsConflictingLog() {
    RaftCore c = node(2, 3, 2, 2);
    var resp = (RaftMessage.InstallSnapshotResponse) c.step(new RaftMessage.InstallSnapshot(1, 2, 3, 10, 3, THREE));
    assertTrue(resp.success());
    assertEquals(10, resp.matchIndex());
    assertEquals(10, c.lastIndex());
    assertEquals(3, c.lastTerm());
    assertEquals(10, c.commitIndex());
    Ready r = c.ready();
    assertEquals(new Ready.SnapshotInstall(10, 3, THREE, false), r.install());
    assertTrue(r.committed().isEmpty(), "the snapshot already holds the applied state");
    var next = (AppendEntriesResponse) c.step(new AppendEntries(1, 2, 3, 10, 3, List.of(cmd(11, 3)), 11, 0));
    assertTrue(next.success());
    assertEquals(List.of(cmd(11, 3)), c.ready().committed());
  }

  @Test
  void followerKeepsLogAfterASnapshotItAlreadyHoldsAndIgnoresStaleOnes() {
    RaftCore c = node(2, 3, 3, 3, 3);
    c.step(new RaftMessage.InstallSnapshot(1, 2, 3, 3, 3, THREE));
    assertEquals(4, c.lastIndex(), "§7: the entry after the snapshot's last one stays");
    assertTrue(c.ready().install().keepLogAfterIndex());
    var stale = (RaftMessage.InstallSnapshotResponse) c.step(new RaftMessage.InstallSnapshot(1, 2, 2, 9, 2, THREE));
    assertFalse(stale.success(), "a deposed leader's snapshot is refused");
    var old = (RaftMessage.InstallSnapshotResponse) c.step(new RaftMessage.InstallSnapshot(1, 2, 3, 2, 3, THREE));
    assertTrue(old.success());
    assertNull(c.ready().install(), "an older snapshot than what is committed installs nothing");
  }

  @Test
  void appendThatWouldRewriteACommittedEntryIsRejectedWithoutChangingAnything() {
    RaftCore c = node(2, 3, 2, 2, 2);
    c.step(new AppendEntries(1, 2, 3, 3, 2, List.of(), 3, 0));
    assertEquals(3, c.commitIndex());
    c.ready();
    // A message from term 9 whose entry 3 has term 9: index 3 is committed with term 2 here.
    var resp = (AppendEntriesResponse) c.step(new AppendEntries(3, 2, 9, 2, 2, List.of(cmd(3, 9)), 3, 0));
    assertFalse(resp.success(), "§5.4: a committed entry is never replaced");
    assertEquals(3, c.term(), "the refused message must not move the term");
    assertEquals(1, c.leaderId(), "nor change who this node follows");
    assertEquals(2, c.termAt(3));
    assertEquals(4, c.lastIndex());
    Ready r = c.ready();
    assertFalse(r.needsPersist(), "nothing changed, so nothing is to be persisted");
  }

  @Test
  void absurdTermsAreRefusedWithoutThrowingOrChangingTheTerm() {
    RaftCore c = node(2, 3, 2, 2);
    List<RaftMessage.Request> hostile = List.of(
        new AppendEntries(1, 2, Long.MAX_VALUE, 3, 2, List.of(), 3, 0),
        new AppendEntries(1, 2, -5, 3, 2, List.of(), 3, 0),
        new AppendEntries(1, 2, 4, 3, 2, List.of(cmd(5, 4)), 3, 0), // a gap: 5 follows prev 3
        new AppendEntries(1, 2, 4, 3, 2, List.of(cmd(4, Long.MAX_VALUE)), 3, 0),
        new RequestVote(3, 2, Long.MAX_VALUE, 100, 100, false),
        new RequestVote(3, 2, 1L << 48, 100, 100, true),
        new RaftMessage.TimeoutNow(1, 2, Long.MAX_VALUE),
        new RaftMessage.InstallSnapshot(1, 2, Long.MAX_VALUE, 10, 10, THREE));
    for (RaftMessage.Request m : hostile) {
      RaftMessage.Response resp = c.step(m);
      assertEquals(3, resp.term(), "refused in our own term: " + m);
      assertEquals(3, c.term(), "the term stays 3 after " + m);
      assertEquals(Role.FOLLOWER, c.role());
    }
    assertEquals(3, c.lastIndex(), "no entry of a refused message was appended");
    assertFalse(c.ready().needsPersist());
    // A response with an absurd term is dropped like a lost one.
    RaftCore leader = leader(3);
    long term = leader.term();
    leader.step(new AppendEntriesResponse(2, 1, Long.MAX_VALUE, false, 0, 0, 0, 0));
    leader.step(new RequestVoteResponse(3, 1, -1, false, false));
    assertEquals(term, leader.term());
    assertEquals(Role.LEADER, leader.role());
  }
}
