package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.Role;
import io.raftkv.storage.StorageException;
import io.raftkv.transport.ReadIndexReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The driver's ordering rules, each checked on a driver over recording ports: nothing that a
 * persist must cover leaves before the persist completes, a read is granted only once its read
 * index is applied, and a failed fsync stops everything.
 */
class DriverOrderingTest {
  private static final RaftConfig RAFT = new RaftConfig(10, 20, 2, 64, 1 << 20, 4, true, true);
  private static final Membership THREE = Membership.ofVoters(List.of(
      new Member(1, "p:1", "h:1"), new Member(2, "p:2", "h:2"), new Member(3, "p:3", "h:3")));
  private static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "p:1", "h:1")));

  private final RecordingPorts ports = new RecordingPorts();
  private final long[] clock = {0};

  private RaftDriver driver(long id) {
    return ports.driver(id, RAFT, () -> clock[0]);
  }

  /** Completes the persist in flight, as storage would once its fsync returns. */
  private void completePersist(RaftDriver d) {
    d.persisted(ports.lastPersist().seq(), null);
  }

  /** A one-node cluster whose node has become leader with its bootstrap and no-op entries applied. */
  private RaftDriver singleLeader() {
    RaftDriver d = driver(1);
    d.bootstrap(ONE);
    for (int i = 0; i < 40 && d.role() != Role.LEADER; i++) {
      d.tick();
      while (ports.persists.size() > 0 && !d.idle()) completePersist(d);
    }
    assertEquals(Role.LEADER, d.role());
    applyAll(d);
    return d;
  }

  private void applyAll(RaftDriver d) {
    while (!ports.applies.isEmpty()) {
      List<LogEntry> batch = ports.applies.remove(0);
      List<KvResult> results = new ArrayList<>();
      for (LogEntry e : batch) results.add(new KvResult.Applied(null));
      d.applied(batch, results);
    }
  }

  @Test
  void anAppendEntriesResponseLeavesOnlyAfterItsEntriesAreSynced() {
    RaftDriver follower = driver(2);
    LogEntry config = new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(THREE));
    List<RaftMessage.Response> replies = new ArrayList<>();
    follower.request(new RaftMessage.AppendEntries(1, 2, 1, 0, 0, List.of(config), 0, 0), replies::add);

    assertEquals(1, ports.persists.size(), "the entries and the new term go to disk first");
    assertEquals(List.of(config), ports.lastPersist().batch().entries());
    assertTrue(replies.isEmpty(), "no response before the fsync completes");

    completePersist(follower);
    assertEquals(1, replies.size());
    RaftMessage.AppendEntriesResponse r = assertInstanceOf(RaftMessage.AppendEntriesResponse.class, replies.get(0));
    assertTrue(r.success());
    assertEquals(1, r.matchIndex());
  }

  @Test
  void aVoteLeavesOnlyAfterItIsSynced() {
    RaftDriver voter = driver(2);
    // The voter must know the cluster to vote in it: it learns it from the first leader's append.
    LogEntry config = new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(THREE));
    voter.request(new RaftMessage.AppendEntries(1, 2, 1, 0, 0, List.of(config), 1, 0), r -> {});
    completePersist(voter);
    clock[0] += Duration.ofSeconds(10).toNanos(); // long past any leader lease
    for (int i = 0; i < 30; i++) voter.tick(); // no word from the leader: it would now vote
    while (!voter.idle()) completePersist(voter);

    List<RaftMessage.Response> replies = new ArrayList<>();
    voter.request(new RaftMessage.RequestVote(3, 2, 5, 1, 1, false, false), replies::add);
    assertTrue(replies.isEmpty(), "the vote is not sent before term and vote are on disk");
    assertEquals(5, ports.lastPersist().batch().hardState().term());
    assertEquals(3, ports.lastPersist().batch().hardState().votedFor());
    completePersist(voter);
    RaftMessage.RequestVoteResponse vote = assertInstanceOf(RaftMessage.RequestVoteResponse.class, replies.get(0));
    assertTrue(vote.voteGranted());
  }

  @Test
  void aWriteIsAcknowledgedOnlyOnceItsEntryIsApplied() {
    RaftDriver leader = singleLeader();
    List<WriteOutcome> outcomes = new ArrayList<>();
    leader.proposeWrite(KvCommandCodec.encode(new KvCommand.Set("k", "v")), outcomes::add);
    ports.runQueued(); // the group-commit flush
    completePersist(leader);
    assertTrue(outcomes.isEmpty(), "committed is not applied: no answer yet");
    assertEquals(1, ports.applies.size());
    applyAll(leader);
    assertEquals(1, outcomes.size());
    assertInstanceOf(WriteOutcome.Applied.class, outcomes.get(0));
  }

  @Test
  void aReadIsGrantedOnlyOnceItsReadIndexIsApplied() {
    RaftDriver leader = singleLeader();
    leader.proposeWrite(KvCommandCodec.encode(new KvCommand.Set("k", "v")), o -> {});
    ports.runQueued();
    completePersist(leader); // committed (one voter), handed to storage, not applied yet

    List<ReadPermit> permits = new ArrayList<>();
    leader.readAsLeader(permits::add);
    ports.runQueued();
    while (!leader.idle()) completePersist(leader);
    assertTrue(permits.isEmpty(), "the read index is the write's, which is not applied yet");
    applyAll(leader);
    assertEquals(List.of(ReadPermit.GRANTED), permits);
  }

  @Test
  void aFailedFsyncStopsEverything() {
    RaftDriver leader = singleLeader();
    List<WriteOutcome> outcomes = new ArrayList<>();
    leader.proposeWrite(KvCommandCodec.encode(new KvCommand.Set("k", "v")), outcomes::add);
    ports.runQueued();
    RecordingPorts.Persist inFlight = ports.lastPersist();
    int sentBefore = ports.sent.size();

    leader.storageFailed(new StorageException("fsync failed"));
    WriteOutcome.Timeout unknown = assertInstanceOf(WriteOutcome.Timeout.class, outcomes.get(0));
    assertTrue(unknown.reason().contains("unknown"), unknown.reason());
    assertTrue(leader.halted());

    // Whatever completes or arrives afterwards, nothing more leaves and nothing is applied.
    leader.persisted(inFlight.seq(), null);
    leader.tick();
    leader.request(new RaftMessage.RequestVote(2, 1, 99, 9, 9, false, false), r -> {
      throw new AssertionError("answered after a storage failure");
    });
    assertEquals(sentBefore, ports.sent.size());
    assertTrue(ports.applies.isEmpty());
    List<WriteOutcome> late = new ArrayList<>();
    leader.proposeWrite(KvCommandCodec.encode(new KvCommand.Set("k", "w")), late::add);
    assertInstanceOf(WriteOutcome.Timeout.class, late.get(0));
    assertEquals(inFlight, ports.lastPersist(), "no new persist after the failure");
  }

  @Test
  void aFollowersReadIndexRequestIsRefusedWithTheLeaderHint() {
    RaftDriver follower = driver(2);
    LogEntry config = new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(THREE));
    follower.request(new RaftMessage.AppendEntries(1, 2, 1, 0, 0, List.of(config), 0, 0), r -> {});
    completePersist(follower);
    List<ReadIndexReply> replies = new ArrayList<>();
    follower.peerReadIndex(replies::add);
    assertEquals(new ReadIndexReply(ReadIndexReply.Status.NOT_LEADER, 0, 1), replies.get(0));
    assertFalse(follower.halted());
    assertNull(follower.status().identityProblem());
  }
}
