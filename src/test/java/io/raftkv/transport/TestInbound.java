package io.raftkv.transport;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftMessage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A scriptable node for transport tests: it records what arrives and answers with whatever the
 * test set, by default a response computed from the request so a test can predict it exactly.
 */
final class TestInbound implements RaftInbound {
  final long nodeId;
  final LinkedBlockingQueue<RaftMessage.Request> requests = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<KvCommand> forwarded = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<Member> joined = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<Long> snapshotBytes = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<RaftMessage.InstallSnapshot> probes = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<Long> firstChunks = new LinkedBlockingQueue<>();
  /** Reads a snapshot's chunks and counts their bytes; by default as fast as they come. */
  volatile Function<org.apache.pekko.stream.javadsl.Source<byte[], org.apache.pekko.NotUsed>, CompletionStage<Long>>
      snapshotReader = chunks -> chunks.runFold(0L, (n, c) -> n + c.length, this.materializer);
  /** What a probe answers: chunks this node claims to hold staged. */
  volatile long stagedChunks;
  volatile org.apache.pekko.stream.Materializer materializer;
  volatile Function<RaftMessage.Request, CompletionStage<RaftMessage.Response>> onRequest =
      r -> CompletableFuture.completedFuture(TestInbound.answer(r));
  volatile Function<KvCommand, CompletionStage<WriteOutcome>> onForward =
      c -> CompletableFuture.completedFuture(new WriteOutcome.NoLeader("not scripted"));
  volatile Supplier<CompletionStage<ReadIndexReply>> onReadIndex =
      () -> CompletableFuture.completedFuture(new ReadIndexReply(ReadIndexReply.Status.NO_LEADER, 0, 0));
  volatile String raftAddr = "";
  volatile Membership membership = Membership.EMPTY;
  volatile long leaderId;

  TestInbound(long nodeId) {
    this.nodeId = nodeId;
  }

  /** The default answer: a pure function of the request, so tests can compute the expected value. */
  static RaftMessage.Response answer(RaftMessage.Request r) {
    if (r instanceof RaftMessage.RequestVote v) {
      return new RaftMessage.RequestVoteResponse(v.to(), v.from(), v.term(), v.lastLogIndex() % 2 == 0, v.preVote());
    }
    if (r instanceof RaftMessage.TimeoutNow t) {
      return new RaftMessage.TimeoutNowResponse(t.to(), t.from(), t.term(), true);
    }
    RaftMessage.AppendEntries a = (RaftMessage.AppendEntries) r;
    // A made-up rule that gives both outcomes: a prevLogTerm more than one term behind "mismatches".
    boolean success = a.prevLogTerm() >= a.term() - 1 || a.prevLogIndex() == 0;
    return new RaftMessage.AppendEntriesResponse(
        a.to(), a.from(), a.term(), success, success ? a.lastIndex() : 0, success ? 0 : a.prevLogIndex(),
        a.prevLogIndex(), a.readSeq());
  }

  @Override
  public CompletionStage<RaftMessage.Response> onRequest(RaftMessage.Request request) {
    requests.add(request);
    return onRequest.apply(request);
  }

  @Override
  public CompletionStage<Long> onSnapshotProbe(RaftMessage.InstallSnapshot header) {
    probes.add(header);
    return CompletableFuture.completedFuture(stagedChunks);
  }

  @Override
  public CompletionStage<RaftMessage.Response> onInstallSnapshot(
      RaftMessage.InstallSnapshot header, long firstChunk,
      org.apache.pekko.stream.javadsl.Source<byte[], org.apache.pekko.NotUsed> chunks) {
    requests.add(header);
    firstChunks.add(firstChunk);
    return snapshotReader.apply(chunks)
        .thenApply(total -> {
          snapshotBytes.add(total);
          return (RaftMessage.Response) new RaftMessage.InstallSnapshotResponse(
              header.to(), header.from(), header.term(), true, header.lastIncludedIndex());
        });
  }

  @Override
  public CompletionStage<WriteOutcome> onForward(KvCommand command) {
    forwarded.add(command);
    return onForward.apply(command);
  }

  @Override
  public CompletionStage<ReadIndexReply> onReadIndex() {
    return onReadIndex.get();
  }

  @Override
  public CompletionStage<AdminOutcome> onJoin(Member member, boolean forwarded) {
    joined.add(member);
    return CompletableFuture.completedFuture(
        new AdminOutcome.Done("Node " + member.id() + " joined the cluster successfully"));
  }

  @Override
  public CompletionStage<AdminOutcome> onLeave(long nodeId, boolean force, boolean forwarded) {
    if (force) {
      return CompletableFuture.completedFuture(new AdminOutcome.Done("Node " + nodeId + " left the cluster successfully"));
    }
    return CompletableFuture.completedFuture(new AdminOutcome.Invalid("node " + nodeId + " is not a member"));
  }

  @Override
  public CompletionStage<AdminOutcome> onTransferLeader(long nodeId, boolean forwarded) {
    return CompletableFuture.completedFuture(nodeId == 0 || nodeId == 2
        ? new AdminOutcome.Transferred(2)
        : new AdminOutcome.Invalid("node " + nodeId + " is not a voter of this cluster"));
  }

  @Override
  public PeerInfo onHello() {
    return new PeerInfo(nodeId, raftAddr, "127.0.0.1:80" + nodeId, membership, leaderId);
  }
}
