package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.PeerInfo;
import io.raftkv.transport.RaftInbound;
import io.raftkv.transport.ReadIndexReply;
import io.raftkv.transport.Transport;
import java.io.IOException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory twin of the gRPC transport for actor tests: nodes register their inbound side,
 * and a firewall cuts links. A call across a cut link fails, as a call to a dead peer does.
 */
final class InMemoryNetwork {
  private final Map<Long, RaftInbound> inbound = new ConcurrentHashMap<>();
  private final Map<String, Long> idByAddr = new ConcurrentHashMap<>();
  private final Set<String> cut = ConcurrentHashMap.newKeySet();

  void register(long id, String addr, RaftInbound node) {
    inbound.put(id, node);
    idByAddr.put(addr, id);
  }

  void unregister(long id) {
    inbound.remove(id);
  }

  /** Cuts every link between {@code a} and everyone else, both ways. */
  void isolate(long a) {
    for (long b : inbound.keySet()) {
      if (b != a) {
        cut.add(a + ">" + b);
        cut.add(b + ">" + a);
      }
    }
  }

  void heal() {
    cut.clear();
  }

  Transport transportFor(long self) {
    return new Transport() {
      @Override
      public CompletionStage<RaftMessage.Response> send(long peerId, RaftMessage.Request request) {
        RaftInbound target = reachable(self, peerId);
        return target == null ? unreachable(peerId) : target.onRequest(request);
      }

      @Override
      public CompletionStage<RaftMessage.Response> installSnapshot(
          long peerId, RaftMessage.InstallSnapshot header, Source<byte[], NotUsed> chunks) {
        RaftInbound target = reachable(self, peerId);
        if (target == null) return unreachable(peerId);
        // As the gRPC transport does: ask how much is staged, then send the rest.
        return target.onSnapshotProbe(header)
            .thenCompose(staged -> target.onInstallSnapshot(header, staged, chunks.drop(staged)));
      }

      @Override
      public CompletionStage<WriteOutcome> forward(long peerId, KvCommand command) {
        RaftInbound target = reachable(self, peerId);
        return target == null ? unreachable(peerId) : target.onForward(command);
      }

      @Override
      public CompletionStage<ReadIndexReply> readIndex(long peerId) {
        RaftInbound target = reachable(self, peerId);
        return target == null ? unreachable(peerId) : target.onReadIndex();
      }

      @Override
      public CompletionStage<AdminOutcome> join(String raftAddr, Member member, boolean forwarded) {
        Long id = idByAddr.get(raftAddr);
        RaftInbound target = id == null ? null : reachable(self, id);
        return target == null ? unreachable(-1) : target.onJoin(member, forwarded);
      }

      @Override
      public CompletionStage<AdminOutcome> leave(String raftAddr, long nodeId, boolean force, boolean forwarded) {
        Long id = idByAddr.get(raftAddr);
        RaftInbound target = id == null ? null : reachable(self, id);
        return target == null ? unreachable(-1) : target.onLeave(nodeId, force, forwarded);
      }

      @Override
      public CompletionStage<AdminOutcome> transferLeader(String raftAddr, long nodeId, boolean forwarded) {
        Long id = idByAddr.get(raftAddr);
        RaftInbound target = id == null ? null : reachable(self, id);
        return target == null ? unreachable(-1) : target.onTransferLeader(nodeId, forwarded);
      }

      @Override
      public CompletionStage<PeerInfo> hello(String raftAddr) {
        Long id = idByAddr.get(raftAddr);
        RaftInbound target = id == null ? null : reachable(self, id);
        return target == null ? unreachable(-1) : CompletableFuture.completedFuture(target.onHello());
      }

      @Override
      public void updatePeers(Map<Long, String> raftAddrById) {}

      @Override
      public void close() {}
    };
  }

  private RaftInbound reachable(long from, long to) {
    if (cut.contains(from + ">" + to)) return null;
    return inbound.get(to);
  }

  private static <T> CompletionStage<T> unreachable(long peer) {
    return CompletableFuture.failedFuture(new IOException("node " + peer + " is unreachable"));
  }
}
