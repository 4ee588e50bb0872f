package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.driver.JoinRequest;
import io.raftkv.raft.driver.JoinVerdict;
import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.driver.PeerPort;
import io.raftkv.raft.driver.Reply;
import io.raftkv.raft.driver.StoragePort;
import io.raftkv.raft.driver.TimerPort;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.transport.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongPredicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The driver's ports as the node actor provides them: storage requests go to the storage actor,
 * peer calls to the transport, timers to Pekko's timer scheduler. Every completion comes back to
 * the node actor as a message (through {@code pipeToSelf} or the storage actor's reply), so the
 * driver only ever runs on the actor's thread.
 */
final class ActorPorts implements StoragePort, PeerPort, TimerPort {
  private final ActorContext<RaftNode.Command> ctx;
  private final TimerScheduler<RaftNode.Command> timers;
  private final ActorRef<StorageActor.Command> storage;
  private final Transport transport;
  /** Null when joins are not vetted (nodes without an identity, in tests of other things). */
  private final JoinVetting vetting;
  private final NodeSettings settings;

  ActorPorts(
      ActorContext<RaftNode.Command> ctx,
      TimerScheduler<RaftNode.Command> timers,
      ActorRef<StorageActor.Command> storage,
      Transport transport,
      JoinVetting vetting,
      NodeSettings settings) {
    this.ctx = ctx;
    this.timers = timers;
    this.storage = storage;
    this.transport = transport;
    this.vetting = vetting;
    this.settings = settings;
  }

  // ---------------------------------------------------------------- storage

  @Override
  public void persist(long seq, PersistBatch batch, SnapshotSink install, boolean keepLogAfterIndex) {
    storage.tell(new StorageActor.Persist(seq, batch, install, keepLogAfterIndex, ctx.getSelf()));
  }

  @Override
  public void apply(List<LogEntry> entries, LongPredicate resultWanted) {
    storage.tell(new StorageActor.Apply(entries, resultWanted, ctx.getSelf()));
  }

  @Override
  public void createSnapshot(long keepLogEntries, boolean compactFirst) {
    storage.tell(new StorageActor.CreateSnapshot(keepLogEntries, compactFirst, ctx.getSelf()));
  }

  @Override
  public void purgeLog(long uptoIndex) {
    storage.tell(new StorageActor.PurgeLog(uptoIndex, ctx.getSelf()));
  }

  @Override
  public void openSnapshot(long peer) {
    storage.tell(new StorageActor.OpenSnapshot(peer, ctx.getSelf()));
  }

  @Override
  public void beginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo) {
    storage.tell(new StorageActor.BeginInstall(meta, leaderTerm, replyTo));
  }

  // ---------------------------------------------------------------- peers

  @Override
  public void send(RaftMessage.Request request) {
    long peer = request.to();
    ctx.pipeToSelf(transport.send(peer, request), (resp, failure) -> failure == null
        ? new RaftNode.PeerResponse(resp)
        : new RaftNode.PeerUnreachable(peer, String.valueOf(failure.getMessage())));
  }

  @Override
  public void sendSnapshot(long peer, RaftMessage.InstallSnapshot header, SnapshotSource source) {
    int chunkBytes = settings.snapshotChunkBytes();
    Source<byte[], NotUsed> chunks =
        Source.<SnapshotSource, byte[]>unfold(source, s -> nextChunk(s, chunkBytes))
            .watchTermination((mat, done) -> {
              done.whenComplete((d, e) -> source.close());
              return mat;
            })
            // Reading the snapshot blocks on disk: keep it off the node's dispatcher.
            .withAttributes(ActorAttributes.dispatcher("raftkv-snapshot-dispatcher"));
    ctx.pipeToSelf(transport.installSnapshot(peer, header, chunks), (resp, failure) -> failure == null
        ? new RaftNode.PeerResponse(resp)
        : new RaftNode.SnapshotSendFailed(peer, String.valueOf(failure.getMessage())));
  }

  private static Optional<Pair<SnapshotSource, byte[]>> nextChunk(SnapshotSource source, int maxBytes) {
    byte[] chunk = source.nextChunk(maxBytes);
    return chunk == null ? Optional.empty() : Optional.of(Pair.create(source, chunk));
  }

  @Override
  public void forward(long leader, byte[] command, Reply<WriteOutcome> replyTo) {
    transport.forward(leader, KvCommandCodec.decode(command)).whenComplete((outcome, failure) -> replyTo.tell(
        failure == null ? outcome : ForwardFailure.outcome(leader, failure)));
  }

  @Override
  public void readIndex(long leader) {
    ctx.pipeToSelf(transport.readIndex(leader), RaftNode.LeaderReadIndex::new);
  }

  @Override
  public void forwardJoin(String leaderRaftAddr, Member member, Reply<AdminOutcome> replyTo) {
    transport.join(leaderRaftAddr, member, true)
        .whenComplete((o, f) -> replyTo.tell(adminOutcome(leaderRaftAddr, o, f)));
  }

  @Override
  public void forwardLeave(String leaderRaftAddr, long nodeId, boolean force, Reply<AdminOutcome> replyTo) {
    transport.leave(leaderRaftAddr, nodeId, force, true)
        .whenComplete((o, f) -> replyTo.tell(adminOutcome(leaderRaftAddr, o, f)));
  }

  @Override
  public void forwardTransferLeader(String leaderRaftAddr, long nodeId, Reply<AdminOutcome> replyTo) {
    transport.transferLeader(leaderRaftAddr, nodeId, true)
        .whenComplete((o, f) -> replyTo.tell(adminOutcome(leaderRaftAddr, o, f)));
  }

  private static AdminOutcome adminOutcome(String leaderRaftAddr, AdminOutcome outcome, Throwable failure) {
    return failure == null
        ? outcome
        : new AdminOutcome.Timeout("the leader at " + leaderRaftAddr + " did not answer: " + failure.getMessage()
            + "; the change may still happen, check GET /members");
  }

  @Override
  public void vetJoin(JoinRequest join) {
    if (vetting == null) {
      ctx.getSelf().tell(new RaftNode.JoinVetted(join, JoinVerdict.accept(join.member())));
      return;
    }
    ctx.pipeToSelf(vetting.vet(join.member()), (verdict, failure) -> new RaftNode.JoinVetted(join,
        verdict != null ? verdict
            : JoinVerdict.refuse(new AdminOutcome.Unavailable("the join check failed: " + failure + "; retry"))));
  }

  @Override
  public void peerSeen(long peer) {
    transport.peerSeen(peer);
  }

  @Override
  public void updatePeers(Map<Long, String> raftAddrById) {
    transport.updatePeers(raftAddrById);
  }

  // ---------------------------------------------------------------- timers

  @Override
  public void startSingle(String key, Duration delay, Runnable action) {
    timers.startSingleTimer(key, new RaftNode.Run(action), delay);
  }

  @Override
  public void runSoon(Runnable action) {
    ctx.getSelf().tell(new RaftNode.Run(action));
  }
}
