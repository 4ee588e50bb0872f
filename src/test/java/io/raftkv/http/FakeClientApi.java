package io.raftkv.http;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.ClientApi;
import io.raftkv.api.ClusterMember;
import io.raftkv.api.ClusterMembers;
import io.raftkv.api.NodeHealth;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.ReadQuery;
import io.raftkv.api.SnapshotInfo;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A ClientApi over a TreeMap whose answers a test switches per case, so the HTTP layer can be
 * driven into every outcome without a cluster. Fields are volatile because Pekko calls in from
 * its dispatcher threads while the test thread sets them.
 */
final class FakeClientApi implements ClientApi {
  enum WriteMode { APPLY, NOT_LEADER, NOT_LEADER_NO_HTTP, NO_LEADER, REJECTED, TIMEOUT, OVERLOADED, NO_SPACE, THROW, FAIL_STAGE, NEVER }

  enum ReadMode { VALUE, NO_LEADER, TIMEOUT, THROW }

  private final TreeMap<String, String> data = new TreeMap<>();
  volatile WriteMode writeMode = WriteMode.APPLY;
  volatile ReadMode readMode = ReadMode.VALUE;
  volatile boolean statusThrows;
  /** What join answers; null for Done. */
  volatile AdminOutcome joinOutcome;
  volatile NodeStatus status = leaderStatus();
  volatile NodeHealth health = HEALTHY;
  volatile KvCommand lastCommand;
  volatile Boolean lastLinearizable;
  volatile String lastReadKey;
  volatile ReadQuery lastQuery;

  static final NodeHealth HEALTHY = new NodeHealth(List.of(), List.of(), 123456, 2147483648L);

  static NodeStatus leaderStatus() {
    TreeMap<Long, ClusterMember> voters = new TreeMap<>();
    voters.put(1L, new ClusterMember(1, "127.0.0.1:7001", "127.0.0.1:8001"));
    voters.put(2L, new ClusterMember(2, "127.0.0.1:7002", "127.0.0.1:8002"));
    TreeMap<Long, ClusterMember> learners = new TreeMap<>();
    learners.put(3L, new ClusterMember(3, "127.0.0.1:7003", ""));
    return NodeStatus.builder()
        .nodeId(1)
        .currentLeader(1)
        .currentLeaderHttp("127.0.0.1:8001")
        .currentTerm(3)
        .state("Leader")
        .lastLogIndex(12)
        .commitIndex(11)
        .lastAppliedIndex(10)
        .lastAppliedTerm(3)
        .membership(new ClusterMembers(voters, learners))
        .build();
  }

  void reset() {
    synchronized (data) {
      data.clear();
    }
    writeMode = WriteMode.APPLY;
    readMode = ReadMode.VALUE;
    statusThrows = false;
    joinOutcome = null;
    status = leaderStatus();
    health = HEALTHY;
    lastCommand = null;
    lastLinearizable = null;
    lastReadKey = null;
    lastQuery = null;
    snapshot = null;
    lastJoin = null;
    lastLeave = 0;
    lastLeaveForce = false;
    lastTransfer = -1;
    transferOutcome = null;
  }

  void put(String key, String value) {
    synchronized (data) {
      data.put(key, value);
    }
  }

  String value(String key) {
    synchronized (data) {
      return data.get(key);
    }
  }

  @Override
  public CompletionStage<WriteOutcome> write(KvCommand command) {
    lastCommand = command;
    switch (writeMode) {
      case APPLY:
        KvResult result;
        synchronized (data) {
          result = KvApplier.apply(command, view());
        }
        return CompletableFuture.completedFuture(new WriteOutcome.Applied(result));
      case NOT_LEADER:
        return CompletableFuture.completedFuture(new WriteOutcome.NotLeader(2, "127.0.0.1:8002"));
      case NOT_LEADER_NO_HTTP:
        return CompletableFuture.completedFuture(new WriteOutcome.NotLeader(2, ""));
      case NO_LEADER:
        return CompletableFuture.completedFuture(new WriteOutcome.NoLeader("election in progress"));
      case REJECTED:
        return CompletableFuture.completedFuture(new WriteOutcome.Rejected("leader lost its term"));
      case TIMEOUT:
        return CompletableFuture.completedFuture(new WriteOutcome.Timeout("no commit within 5 s"));
      case NO_SPACE:
        return CompletableFuture.completedFuture(new WriteOutcome.NoSpace("the NOSPACE alarm is raised on node 1"));
      case OVERLOADED:
        return CompletableFuture.completedFuture(
            new WriteOutcome.Overloaded("the leader is overloaded; back off and retry", 2500));
      case THROW:
        throw new IllegalStateException("boom in write");
      case FAIL_STAGE:
        return CompletableFuture.failedFuture(new IllegalStateException("stage failed"));
      case NEVER:
      default:
        return new CompletableFuture<>();
    }
  }

  @Override
  public CompletionStage<ReadOutcome> read(ReadQuery query, boolean linearizable) {
    lastQuery = query;
    lastLinearizable = linearizable;
    String key = query instanceof ReadQuery.Get ? ((ReadQuery.Get) query).key() : null;
    lastReadKey = key;
    switch (readMode) {
      case NO_LEADER:
        return CompletableFuture.completedFuture(new ReadOutcome.NoLeader("no quorum"));
      case TIMEOUT:
        return CompletableFuture.completedFuture(new ReadOutcome.Timeout("read index not applied"));
      case THROW:
        throw new IllegalStateException("boom in read");
      case VALUE:
      default:
        if (query instanceof ReadQuery.Prefix) {
          return CompletableFuture.completedFuture(scan((ReadQuery.Prefix) query));
        }
        return CompletableFuture.completedFuture(new ReadOutcome.Value(key, value(key)));
    }
  }

  /**
   * Key order of the tests' ASCII keys is the same in a TreeMap as in RocksDB. Pages like the
   * stores do: after startAfter, at most limit items, cut at maxBytes but never empty.
   */
  private ReadOutcome scan(ReadQuery.Prefix q) {
    List<KvPair> items = new ArrayList<>();
    long bytes = 0;
    synchronized (data) {
      for (Map.Entry<String, String> e : data.tailMap(q.prefix(), true).entrySet()) {
        if (!e.getKey().startsWith(q.prefix())) break;
        if (q.startAfter() != null && e.getKey().compareTo(q.startAfter()) <= 0) continue;
        long size = e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        if (items.size() >= q.limit() || (!items.isEmpty() && bytes + size > q.maxBytes())) {
          return new ReadOutcome.Items(q.prefix(), items, true);
        }
        items.add(new KvPair(e.getKey(), e.getValue()));
        bytes += size;
      }
    }
    return new ReadOutcome.Items(q.prefix(), items, false);
  }

  @Override
  public CompletionStage<AdminOutcome> join(ClusterMember member) {
    lastJoin = member;
    AdminOutcome planned = joinOutcome;
    return CompletableFuture.completedFuture(planned != null ? planned
        : new AdminOutcome.Done("Node " + member.id() + " joined the cluster successfully"));
  }

  @Override
  public CompletionStage<AdminOutcome> leave(long nodeId, boolean force) {
    lastLeave = nodeId;
    lastLeaveForce = force;
    return CompletableFuture.completedFuture(new AdminOutcome.Done("Node " + nodeId + " left the cluster successfully"));
  }

  @Override
  public CompletionStage<AdminOutcome> transferLeader(long nodeId) {
    lastTransfer = nodeId;
    AdminOutcome o = transferOutcome;
    return CompletableFuture.completedFuture(o != null ? o : new AdminOutcome.Transferred(nodeId == 0 ? 2 : nodeId));
  }

  @Override
  public CompletionStage<SnapshotInfo> triggerSnapshot() {
    snapshot = new SnapshotInfo(status.lastAppliedIndex(), status.lastAppliedTerm(), 1234, 1_700_000_000_000L);
    return CompletableFuture.completedFuture(snapshot);
  }

  @Override
  public java.util.Optional<SnapshotInfo> snapshotStatus() {
    return java.util.Optional.ofNullable(snapshot);
  }

  @Override
  public CompletionStage<AdminOutcome> purgeLog(long uptoIndex) {
    if (snapshot == null || uptoIndex > snapshot.index()) {
      return CompletableFuture.completedFuture(new AdminOutcome.Invalid(
          "cannot purge up to " + uptoIndex + ": no snapshot covers it; POST /trigger_snapshot first"));
    }
    return CompletableFuture.completedFuture(new AdminOutcome.Done("Log purged up to index " + uptoIndex));
  }

  volatile SnapshotInfo snapshot;
  volatile ClusterMember lastJoin;
  volatile long lastLeave;
  /** The node id the last transfer asked for (0: any), -1 before any; what it answers, null for Transferred. */
  volatile long lastTransfer = -1;
  volatile AdminOutcome transferOutcome;
  volatile boolean lastLeaveForce;

  @Override
  public Duration adminTimeout() {
    return Duration.ofSeconds(5);
  }

  @Override
  public NodeStatus status() {
    if (statusThrows) throw new IllegalStateException("boom in status");
    return status;
  }

  @Override
  public NodeHealth health() {
    return health;
  }

  private KvWriteView view() {
    return KvWriteView.over(data);
  }
}
