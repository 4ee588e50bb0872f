package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.NodeStatus;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.LogLimits;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.core.StoredLog;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.storage.StorageException;
import io.raftkv.transport.ReadIndexReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

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

  /** Storage, peers and timers that only record what the driver asked for. */
  private static final class Recorder implements StoragePort, PeerPort, TimerPort {
    record Persist(long seq, PersistBatch batch) {}

    final List<Persist> persists = new ArrayList<>();
    final List<List<LogEntry>> applies = new ArrayList<>();
    final List<RaftMessage.Request> sent = new ArrayList<>();
    final List<Runnable> soon = new ArrayList<>();

    @Override
    public void persist(long seq, PersistBatch batch, SnapshotSink install, boolean keepLogAfterIndex) {
      persists.add(new Persist(seq, batch));
    }

    @Override
    public void apply(List<LogEntry> entries, LongPredicate resultWanted) {
      applies.add(entries);
    }

    @Override
    public void createSnapshot(long keepLogEntries, boolean compactFirst) {}

    @Override
    public void purgeLog(long uptoIndex) {}

    @Override
    public void openSnapshot(long peer) {}

    @Override
    public void beginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo) {}

    @Override
    public void send(RaftMessage.Request request) {
      sent.add(request);
    }

    @Override
    public void sendSnapshot(long peer, RaftMessage.InstallSnapshot header, SnapshotSource source) {}

    @Override
    public void forward(long leader, byte[] command, Reply<WriteOutcome> replyTo) {}

    @Override
    public void readIndex(long leader) {}

    @Override
    public void forwardJoin(String leaderRaftAddr, Member member, Reply<io.raftkv.api.AdminOutcome> replyTo) {}

    @Override
    public void forwardLeave(String leaderRaftAddr, long nodeId, boolean force, Reply<io.raftkv.api.AdminOutcome> replyTo) {}

    @Override
    public void forwardTransferLeader(String leaderRaftAddr, long nodeId, Reply<io.raftkv.api.AdminOutcome> replyTo) {}

    @Override
    public void vetJoin(JoinRequest join) {}

    @Override
    public void peerSeen(long peer) {}

    @Override
    public void updatePeers(Map<Long, String> raftAddrById) {}

    @Override
    public void startSingle(String key, Duration delay, Runnable action) {}

    @Override
    public void runSoon(Runnable action) {
      soon.add(action);
    }

    /** Runs what the driver asked to run soon, as the node's mailbox would. */
    void runQueued() {
      List<Runnable> now = new ArrayList<>(soon);
      soon.clear();
      now.forEach(Runnable::run);
    }

    Persist lastPersist() {
      return persists.get(persists.size() - 1);
    }
  }

  private final Recorder ports = new Recorder();
  private final long[] clock = {0};

  private RaftDriver driver(long id) {
    RaftCore core = new RaftCore(id, RAFT, new Random(id), HardState.INITIAL, StoredLog.empty(0, 0),
        (from, to, maxCount, maxBytes) -> List.of(), 0, Membership.EMPTY, LogLimits.UNBOUNDED);
    NodeSettings settings = NodeSettings.builder(id, "p:" + id, "h:" + id)
        .raft(RAFT)
        .tick(Duration.ofMillis(10))
        .requestTimeout(Duration.ofSeconds(2))
        .maxBatchEntries(64)
        .snapshotIntervalEntries(0)
        .snapshotKeepLogEntries(100)
        .snapshotChunkBytes(64 * 1024)
        .snapshotIntervalBytes(0)
        .build();
    RaftDriver d = new RaftDriver(settings, new StartingPoint(core, 0, 0, SnapshotBacklog.NONE),
        new DriverPorts(ports, ports, ports, () -> clock[0], NOPLogger.NOP_LOGGER),
        new StatusBoard(Membership.EMPTY, NodeStatus.builder().nodeId(id)));
    d.start();
    return d;
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
    Recorder.Persist inFlight = ports.lastPersist();
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
