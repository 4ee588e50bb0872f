package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.Ready;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Snapshots and log compaction (§7), kept apart from {@link RaftNode} because their state (a
 * snapshot in progress, callers waiting for one, a received snapshot not yet live) lives across
 * several messages to and from the storage actor and the transport, whatever the node's role.
 * Taking a snapshot and purging the log are the storage actor's work; this class starts them,
 * tells the core what was compacted, streams the latest snapshot to a follower the core says is
 * behind the compacted log, and stages a snapshot received from the leader until the core's
 * Ready makes it live. Runs only on the node actor's thread.
 */
final class SnapshotCoordinator {
  private static final Duration SNAPSHOT_RETRY = Duration.ofMillis(500);

  private final ActorContext<RaftNode.Command> ctx;
  private final TimerScheduler<RaftNode.Command> timers;
  private final NodeSettings settings;
  private final RaftCore core;
  private final ActorRef<StorageActor.Command> storage;
  private final Transport transport;
  private final StatusBoard statusBoard;
  private final ReadyPipeline pipeline;

  /** A received snapshot waiting for the core's Ready to make it live. */
  private SnapshotSink stagedSnapshot;
  private long entriesSinceSnapshot;
  private long bytesSinceSnapshot;
  private boolean snapshotRunning;
  private boolean runningCompacts;
  // An operator asked for a snapshot while an automatic one (which does not compact) was running.
  private boolean compactRequested;
  private final List<ActorRef<SnapshotMeta>> snapshotWaiters = new ArrayList<>();
  private final List<ActorRef<SnapshotMeta>> nextSnapshotWaiters = new ArrayList<>();
  private final List<RaftNode.PurgeLog> purgeWaiters = new ArrayList<>();

  SnapshotCoordinator(
      ActorContext<RaftNode.Command> ctx,
      TimerScheduler<RaftNode.Command> timers,
      NodeSettings settings,
      RaftCore core,
      ActorRef<StorageActor.Command> storage,
      Transport transport,
      StatusBoard statusBoard,
      ReadyPipeline pipeline,
      SnapshotBacklog sinceSnapshot) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.core = core;
    this.storage = storage;
    this.transport = transport;
    this.statusBoard = statusBoard;
    this.pipeline = pipeline;
    this.entriesSinceSnapshot = sinceSnapshot.entries();
    this.bytesSinceSnapshot = sinceSnapshot.bytes();
  }

  // ---------------------------------------------------------------- taking snapshots, compacting

  /**
   * Counts applied entries and their bytes, and takes a snapshot once either reaches its interval
   * ({@code snapshotIntervalEntries}, {@code snapshotIntervalBytes}; 0 turns a trigger off): the
   * byte trigger keeps a log of large values from growing to many times the entry interval's size.
   */
  void onApplied(List<LogEntry> entries) {
    entriesSinceSnapshot += entries.size();
    for (LogEntry e : entries) bytesSinceSnapshot += e.sizeBytes();
    if (snapshotDue()) startSnapshot();
  }

  /** Whether either automatic trigger has been reached. */
  private boolean snapshotDue() {
    long everyEntries = settings.snapshotIntervalEntries();
    long everyBytes = settings.snapshotIntervalBytes();
    return (everyEntries > 0 && entriesSinceSnapshot >= everyEntries)
        || (everyBytes > 0 && bytesSinceSnapshot >= everyBytes);
  }

  /**
   * An operator's snapshot compacts the state machine first, so that deleting keys and then
   * snapshotting and purging frees their disk space (how a node gets back under its quota).
   * One asked for while an automatic snapshot runs waits for a compacting one after it.
   */
  void trigger(RaftNode.TriggerSnapshot t) {
    if (!snapshotRunning) {
      snapshotWaiters.add(t.replyTo());
      compactRequested = true;
      startSnapshot();
    } else if (runningCompacts) {
      snapshotWaiters.add(t.replyTo()); // the running snapshot compacts: it answers this one too
    } else {
      nextSnapshotWaiters.add(t.replyTo());
      compactRequested = true;
    }
  }

  private void startSnapshot() {
    if (snapshotRunning) return;
    snapshotRunning = true;
    runningCompacts = compactRequested;
    compactRequested = false;
    storage.tell(new StorageActor.CreateSnapshot(settings.snapshotKeepLogEntries(), runningCompacts, ctx.getSelf()));
  }

  /** Steps the core (compaction); the caller collects its Ready. */
  void onSnapshotTaken(RaftNode.SnapshotTaken t) {
    snapshotRunning = false;
    // Every Applied that arrived before this covers an apply the storage actor did before the
    // snapshot (it serves requests in order), so the snapshot holds all that was counted.
    entriesSinceSnapshot = 0;
    bytesSinceSnapshot = 0;
    statusBoard.publishSnapshot(t.meta());
    if (t.purgedTo() > 0) core.compact(t.purgedTo(), t.meta().membership());
    ctx.getLog().info("snapshot at index {} (term {}), {} bytes; log compacted up to {}",
        t.meta().index(), t.meta().term(), t.meta().sizeBytes(), t.purgedTo());
    for (ActorRef<SnapshotMeta> w : snapshotWaiters) w.tell(t.meta());
    snapshotWaiters.clear();
    if (compactRequested) {
      snapshotWaiters.addAll(nextSnapshotWaiters);
      nextSnapshotWaiters.clear();
      startSnapshot();
    }
  }

  void purgeLog(RaftNode.PurgeLog p) {
    purgeWaiters.add(p);
    storage.tell(new StorageActor.PurgeLog(p.uptoIndex(), ctx.getSelf()));
  }

  /** Steps the core (compaction); the caller collects its Ready. */
  void onLogPurged(RaftNode.LogPurged p) {
    if (p.error() == null) core.compact(p.uptoIndex(), p.snapshot().membership());
    for (var it = purgeWaiters.iterator(); it.hasNext(); ) {
      RaftNode.PurgeLog w = it.next();
      if (w.uptoIndex() != p.uptoIndex()) continue;
      it.remove();
      w.replyTo().tell(p.error() == null
          ? new AdminOutcome.Done("Log purged up to index " + p.uptoIndex())
          : new AdminOutcome.Invalid(p.error()));
      break;
    }
  }

  // ---------------------------------------------------------------- receiving (follower)

  void beginInstall(RaftNode.BeginInstall begin) {
    storage.tell(new StorageActor.BeginInstall(begin.meta(), begin.leaderTerm(), begin.replyTo()));
  }

  /** Hands the header to the core; the snapshot is staged until a Ready carries its install. */
  void onInstallReceived(RaftNode.InstallReceived r) {
    if (stagedSnapshot != null) stagedSnapshot.abort();
    stagedSnapshot = r.sink();
    RaftMessage.Response response = core.step(r.header());
    Ready ready = core.ready();
    if (ready.install() == null) {
      // Refused or already covered: nothing of it goes live.
      stagedSnapshot.abort();
      stagedSnapshot = null;
    }
    pipeline.submit(ready, () -> r.replyTo().tell(response));
  }

  /** The staged snapshot, handed over to be persisted with the Ready that installs it. */
  SnapshotSink takeStaged() {
    SnapshotSink sink = stagedSnapshot;
    stagedSnapshot = null;
    return sink;
  }

  /** A received snapshot is durable and live (the caller moves the applied index to it). */
  void onInstalled(Ready.SnapshotInstall install) {
    entriesSinceSnapshot = 0;
    bytesSinceSnapshot = 0;
    statusBoard.publishSnapshot(new SnapshotMeta(
        install.index(), install.term(), install.membership(), 0, System.currentTimeMillis()));
    ctx.getLog().info("installed the leader's snapshot at index {} (term {})", install.index(), install.term());
  }

  // ---------------------------------------------------------------- sending (leader)

  /**
   * Streams the latest snapshot to a follower the core says is behind the compacted log.
   * Returns true if it stepped the core instead (no snapshot, or no longer leader), so the
   * caller must collect its Ready.
   */
  boolean onSnapshotOpened(RaftNode.SnapshotOpened o) {
    if (o.source() == null || !core.isLeader()) {
      if (o.source() != null) o.source().close();
      core.snapshotFailed(o.peer());
      return true;
    }
    SnapshotSource source = o.source();
    SnapshotMeta meta = source.meta();
    // The follower's answer is believed only up to the index it was actually sent.
    core.snapshotSent(o.peer(), meta.index());
    RaftMessage.InstallSnapshot header = new RaftMessage.InstallSnapshot(
        settings.nodeId(), o.peer(), core.term(), meta.index(), meta.term(), meta.membership());
    int chunkBytes = settings.snapshotChunkBytes();
    Source<byte[], NotUsed> chunks =
        Source.<SnapshotSource, byte[]>unfold(source, s -> nextChunk(s, chunkBytes))
            .watchTermination((mat, done) -> {
              done.whenComplete((d, e) -> source.close());
              return mat;
            })
            // Reading the snapshot blocks on disk: keep it off the node's dispatcher.
            .withAttributes(ActorAttributes.dispatcher("raftkv-snapshot-dispatcher"));
    ctx.getLog().info("sending snapshot at index {} to node {}", meta.index(), o.peer());
    long peer = o.peer();
    ctx.pipeToSelf(transport.installSnapshot(peer, header, chunks), (resp, failure) ->
        failure == null
            ? new RaftNode.PeerResponse(resp)
            : new RaftNode.SnapshotSendFailed(peer, String.valueOf(failure.getMessage())));
    return false;
  }

  private static Optional<Pair<SnapshotSource, byte[]>> nextChunk(SnapshotSource source, int maxBytes) {
    byte[] chunk = source.nextChunk(maxBytes);
    return chunk == null ? Optional.empty() : Optional.of(Pair.create(source, chunk));
  }

  void onSendFailed(RaftNode.SnapshotSendFailed f) {
    // The next attempt resumes after the chunks the follower staged, so a big snapshot over a
    // slow or flaky link still gets there, one broken-off transfer at a time.
    ctx.getLog().warn("sending a snapshot to node {} failed: {}; resuming in {} ms",
        f.peer(), f.reason(), SNAPSHOT_RETRY.toMillis());
    // The peer stays marked as receiving a snapshot until then, so a peer that is down
    // costs one attempt per interval rather than one per heartbeat.
    timers.startSingleTimer("snapshot-retry-" + f.peer(), new RaftNode.SnapshotRetry(f.peer()), SNAPSHOT_RETRY);
  }

  /** Steps the core (the peer may get a snapshot again); the caller collects its Ready. */
  void onRetry(RaftNode.SnapshotRetry r) {
    core.snapshotFailed(r.peer());
  }
}
