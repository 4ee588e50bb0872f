package io.raftkv.http;

import io.raftkv.api.ClientApi;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.AdminOutcome;
import io.raftkv.api.ReadOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.api.ReadQuery;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A ClientApi over a TreeMap whose answers a test switches per case, so the HTTP layer can be
 * driven into every outcome without a cluster. Fields are volatile because Pekko calls in from
 * its dispatcher threads while the test thread sets them.
 */
final class FakeClientApi implements ClientApi {
  enum WriteMode { APPLY, NOT_LEADER, NOT_LEADER_NO_HTTP, NO_LEADER, REJECTED, TIMEOUT, THROW, FAIL_STAGE, NEVER }

  enum ReadMode { VALUE, NO_LEADER, TIMEOUT, THROW }

  private final TreeMap<String, String> data = new TreeMap<>();
  volatile WriteMode writeMode = WriteMode.APPLY;
  volatile ReadMode readMode = ReadMode.VALUE;
  volatile boolean statusThrows;
  volatile NodeStatus status = leaderStatus();
  volatile KvCommand lastCommand;
  volatile Boolean lastLinearizable;
  volatile String lastReadKey;

  static NodeStatus leaderStatus() {
    Membership m =
        Membership.ofVoters(
                List.of(
                    new Member(1, "127.0.0.1:7001", "127.0.0.1:8001"),
                    new Member(2, "127.0.0.1:7002", "127.0.0.1:8002")))
            .withLearner(new Member(3, "127.0.0.1:7003", ""));
    return new NodeStatus(1, 1, "127.0.0.1:8001", 3, "Leader", 12, 11, 10, 3, m);
  }

  void reset() {
    synchronized (data) {
      data.clear();
    }
    writeMode = WriteMode.APPLY;
    readMode = ReadMode.VALUE;
    statusThrows = false;
    status = leaderStatus();
    lastCommand = null;
    lastLinearizable = null;
    lastReadKey = null;
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
    String key = ((ReadQuery.Get) query).key();
    lastReadKey = key;
    lastLinearizable = linearizable;
    switch (readMode) {
      case NO_LEADER:
        return CompletableFuture.completedFuture(new ReadOutcome.NoLeader("no quorum"));
      case TIMEOUT:
        return CompletableFuture.completedFuture(new ReadOutcome.Timeout("read index not applied"));
      case THROW:
        throw new IllegalStateException("boom in read");
      case VALUE:
      default:
        return CompletableFuture.completedFuture(new ReadOutcome.Value(key, value(key)));
    }
  }

  @Override
  public CompletionStage<AdminOutcome> join(Member member) {
    return CompletableFuture.completedFuture(
        new AdminOutcome.Done("Node " + member.id() + " joined the cluster successfully"));
  }

  @Override
  public CompletionStage<AdminOutcome> leave(long nodeId) {
    return CompletableFuture.completedFuture(new AdminOutcome.Done("Node " + nodeId + " left the cluster successfully"));
  }

  @Override
  public NodeStatus status() {
    if (statusThrows) throw new IllegalStateException("boom in status");
    return status;
  }

  private KvWriteView view() {
    return new KvWriteView() {
      @Override
      public String get(String key) {
        return data.get(key);
      }

      @Override
      public void put(String key, String value) {
        data.put(key, value);
      }

      @Override
      public void delete(String key) {
        data.remove(key);
      }
    };
  }
}
