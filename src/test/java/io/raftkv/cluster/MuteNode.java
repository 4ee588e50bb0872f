package io.raftkv.cluster;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.GrpcServer;
import io.raftkv.transport.PeerInfo;
import io.raftkv.transport.RaftInbound;
import io.raftkv.transport.ReadIndexReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A raft port that introduces itself as an empty raftkv node with the given id, and then never
 * answers anything: the node a join check accepts but that dies right after. Lets a test reach
 * the stage of a join where the learner is added and then stays silent.
 */
final class MuteNode implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final GrpcServer server;

  MuteNode(long nodeId) throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "mute-node-" + nodeId);
    try {
      server = GrpcServer.start(system, new Silent(nodeId), "127.0.0.1", 0)
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  String endpoint() {
    return "127.0.0.1:" + server.port();
  }

  @Override
  public void close() throws Exception {
    try {
      server.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static final class Silent implements RaftInbound {
    private final long nodeId;

    Silent(long nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public PeerInfo onHello() {
      return new PeerInfo(nodeId, "", "", Membership.EMPTY, 0, 0, 0x5117E47L, false);
    }

    @Override
    public CompletionStage<RaftMessage.Response> onRequest(RaftMessage.Request request) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<WriteOutcome> onForward(KvCommand command) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<RaftMessage.Response> onInstallSnapshot(
        RaftMessage.InstallSnapshot header, long firstChunk, Source<byte[], NotUsed> chunks) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<Long> onSnapshotProbe(RaftMessage.InstallSnapshot header) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<ReadIndexReply> onReadIndex() {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<AdminOutcome> onJoin(Member member, boolean forwarded) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<AdminOutcome> onLeave(long nodeId, boolean force, boolean forwarded) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<AdminOutcome> onTransferLeader(long nodeId, boolean forwarded) {
      return new CompletableFuture<>();
    }
  }
}
