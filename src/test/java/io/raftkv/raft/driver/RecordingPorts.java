package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.LogLimits;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.StoredLog;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import org.slf4j.helpers.NOPLogger;

/**
 * Storage, peers and timers that only record what a driver asked for, so a test can play the
 * world's part by hand: complete a persist, apply entries, answer a forwarded call.
 */
final class RecordingPorts implements StoragePort, PeerPort, TimerPort {
  record Persist(long seq, PersistBatch batch) {}

  final List<Persist> persists = new ArrayList<>();
  final List<List<LogEntry>> applies = new ArrayList<>();
  final List<RaftMessage.Request> sent = new ArrayList<>();
  final List<Runnable> soon = new ArrayList<>();
  /** The reply of each write forwarded to a leader, in order; a test answers for the leader. */
  final List<Reply<WriteOutcome>> forwards = new ArrayList<>();
  /** How many ReadIndex calls went to a leader. */
  int readIndexCalls;

  /** A driver over these ports with an empty log, started. */
  RaftDriver driver(long id, RaftConfig raft, LongSupplier clock) {
    RaftCore core = new RaftCore(id, raft, new Random(id), HardState.INITIAL, StoredLog.empty(0, 0),
        (from, to, maxCount, maxBytes) -> List.of(), 0, Membership.EMPTY, LogLimits.UNBOUNDED);
    NodeSettings settings = NodeSettings.builder(id, "p:" + id, "h:" + id)
        .raft(raft)
        .tick(Duration.ofMillis(10))
        .requestTimeout(Duration.ofSeconds(2))
        .maxBatchEntries(64)
        .snapshotIntervalEntries(0)
        .snapshotKeepLogEntries(100)
        .snapshotChunkBytes(64 * 1024)
        .snapshotIntervalBytes(0)
        .build();
    RaftDriver d = new RaftDriver(settings, new StartingPoint(core, 0, 0, SnapshotBacklog.NONE),
        new DriverPorts(this, this, this, clock, NOPLogger.NOP_LOGGER),
        new StatusBoard(Membership.EMPTY, NodeStatus.builder().nodeId(id)));
    d.start();
    return d;
  }

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
  public void forward(long leader, byte[] command, Reply<WriteOutcome> replyTo) {
    forwards.add(replyTo);
  }

  @Override
  public void readIndex(long leader) {
    readIndexCalls++;
  }

  @Override
  public void forwardJoin(String leaderRaftAddr, Member member, Reply<AdminOutcome> replyTo) {}

  @Override
  public void forwardLeave(String leaderRaftAddr, long nodeId, boolean force, Reply<AdminOutcome> replyTo) {}

  @Override
  public void forwardTransferLeader(String leaderRaftAddr, long nodeId, Reply<AdminOutcome> replyTo) {}

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
