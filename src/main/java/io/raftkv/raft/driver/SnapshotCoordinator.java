package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.Ready;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import org.slf4j.Logger;

/**
 * Snapshots and log compaction (§7), kept apart from {@link RaftDriver} because their state (a
 * snapshot in progress, callers waiting for one, a received snapshot not yet live) lives across
 * several requests to storage and peers, whatever the node's role. Taking a snapshot and purging
 * the log are storage's work; this class starts them, tells the core what was compacted, streams
 * the latest snapshot to a follower the core says is behind the compacted log, and stages a
 * snapshot received from the leader until the core's Ready makes it live.
 */
final class SnapshotCoordinator {
  static final Duration SNAPSHOT_RETRY = Duration.ofMillis(500);

  private record PurgeWaiter(long uptoIndex, Reply<AdminOutcome> replyTo) {}

  private final NodeSettings settings;
  private final RaftCore core;
  private final StoragePort storage;
  private final PeerPort peers;
  private final TimerPort timers;
  private final StatusBoard statusBoard;
  private final Logger log;

  /**
   * Received snapshots whose install the core has put in a Ready that is not yet persisted, by
   * last included index. Each Ready takes exactly its own sink: a duplicate or retried transfer
   * of the same snapshot (storage hands out the same sink to resume it) must neither replace nor
   * abort the one a queued Ready will make live.
   */
  private final TreeMap<Long, SnapshotSink> awaitingPersist = new TreeMap<>();
  /** Received snapshots handed to storage with their Ready, until that persist completes. */
  private final TreeMap<Long, SnapshotSink> committing = new TreeMap<>();
  /**
   * Transfers that asked to begin while a received snapshot was still waiting for its Ready's
   * persist. Storage keeps one install in progress and a new one supersedes it, so a transfer may
   * begin only once every received install has gone to storage, which serves requests in order.
   */
  private final List<Runnable> beginsWaiting = new ArrayList<>();

  /** Which snapshot a transfer is for: the snapshot's last index and term, and the leader's term. */
  private record TransferKey(long index, long term, long leaderTerm) {}

  /**
   * The transfer this node last asked storage to begin. Storage stages one install at a time, so
   * a transfer that finishes after a newer one began has had its data superseded.
   */
  private TransferKey latestBegin;
  private long entriesSinceSnapshot;
  private long bytesSinceSnapshot;
  private boolean snapshotRunning;
  private boolean runningCompacts;
  // An operator asked for a snapshot while an automatic one (which does not compact) was running.
  private boolean compactRequested;
  private final List<Reply<SnapshotMeta>> snapshotWaiters = new ArrayList<>();
  private final List<Reply<SnapshotMeta>> nextSnapshotWaiters = new ArrayList<>();
  private final List<PurgeWaiter> purgeWaiters = new ArrayList<>();

  SnapshotCoordinator(
      NodeSettings settings, RaftCore core, DriverPorts ports, TimerPort timers, StatusBoard statusBoard,
      SnapshotBacklog sinceSnapshot) {
    this.settings = settings;
    this.core = core;
    this.storage = ports.storage();
    this.peers = ports.peers();
    this.timers = timers;
    this.log = ports.log();
    this.statusBoard = statusBoard;
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
  void trigger(Reply<SnapshotMeta> replyTo) {
    if (!snapshotRunning) {
      snapshotWaiters.add(replyTo);
      compactRequested = true;
      startSnapshot();
    } else if (runningCompacts) {
      snapshotWaiters.add(replyTo); // the running snapshot compacts: it answers this one too
    } else {
      nextSnapshotWaiters.add(replyTo);
      compactRequested = true;
    }
  }

  private void startSnapshot() {
    if (snapshotRunning) return;
    snapshotRunning = true;
    runningCompacts = compactRequested;
    compactRequested = false;
    storage.createSnapshot(settings.snapshotKeepLogEntries(), runningCompacts);
  }

  /** Steps the core (compaction); the caller collects its Ready. */
  void onSnapshotTaken(SnapshotMeta meta, long purgedTo) {
    snapshotRunning = false;
    // Every apply completed before this one was done by storage before the snapshot (it serves
    // requests in order), so the snapshot holds all that was counted.
    entriesSinceSnapshot = 0;
    bytesSinceSnapshot = 0;
    statusBoard.publishSnapshot(meta);
    if (purgedTo > 0) core.compact(purgedTo, meta.membership());
    log.info("snapshot at index {} (term {}), {} bytes; log compacted up to {}",
        meta.index(), meta.term(), meta.sizeBytes(), purgedTo);
    for (Reply<SnapshotMeta> w : snapshotWaiters) w.tell(meta);
    snapshotWaiters.clear();
    if (compactRequested) {
      snapshotWaiters.addAll(nextSnapshotWaiters);
      nextSnapshotWaiters.clear();
      startSnapshot();
    }
  }

  void purgeLog(long uptoIndex, Reply<AdminOutcome> replyTo) {
    purgeWaiters.add(new PurgeWaiter(uptoIndex, replyTo));
    storage.purgeLog(uptoIndex);
  }

  /** Steps the core (compaction); the caller collects its Ready. */
  void onLogPurged(long uptoIndex, SnapshotMeta snapshot, String error) {
    if (error == null) core.compact(uptoIndex, snapshot.membership());
    for (Iterator<PurgeWaiter> it = purgeWaiters.iterator(); it.hasNext(); ) {
      PurgeWaiter w = it.next();
      if (w.uptoIndex() != uptoIndex) continue;
      it.remove();
      w.replyTo().tell(error == null
          ? new AdminOutcome.Done("Log purged up to index " + uptoIndex)
          : new AdminOutcome.Invalid(error));
      break;
    }
  }

  // ---------------------------------------------------------------- receiving (follower)

  void beginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo) {
    Runnable begin = () -> {
      latestBegin = new TransferKey(meta.index(), meta.term(), leaderTerm);
      storage.beginInstall(meta, leaderTerm, replyTo);
    };
    if (awaitingPersist.isEmpty()) {
      begin.run();
    } else {
      beginsWaiting.add(begin);
    }
  }

  /** The installs received so far have all gone to storage: transfers that waited may begin. */
  private void releaseBegins() {
    if (!awaitingPersist.isEmpty()) return;
    List<Runnable> now = new ArrayList<>(beginsWaiting);
    beginsWaiting.clear();
    now.forEach(Runnable::run);
  }

  /**
   * Hands the header to the core; the snapshot stays staged until a Ready carries its install,
   * and the response to the leader waits for that Ready's persist: the leader must not count a
   * snapshot this node would lose in a crash.
   */
  void onInstallReceived(
      RaftMessage.InstallSnapshot header, SnapshotSink sink, Reply<RaftMessage.Response> replyTo, ReadyPipeline pipeline) {
    if (!new TransferKey(header.lastIncludedIndex(), header.lastIncludedTerm(), header.term()).equals(latestBegin)) {
      // A newer transfer began after this one, so storage has dropped this one's data: it must
      // not be installed. The leader hears nothing and sends again.
      log.info("dropping a received snapshot at index {}: a newer transfer superseded it", header.lastIncludedIndex());
      sink.abort();
      return;
    }
    RaftMessage.Response response = core.step(header);
    Ready ready = core.ready();
    if (ready.install() != null) {
      SnapshotSink replaced = awaitingPersist.put(ready.install().index(), sink);
      if (replaced != null && replaced != sink) replaced.abort();
    } else if (!awaitingPersist.containsValue(sink) && !committing.containsValue(sink)) {
      // Refused or already covered, and no install on its way needs this data (a duplicate
      // transfer of the same snapshot resumes the same sink): none of it goes live.
      sink.abort();
    }
    pipeline.submit(ready, () -> replyTo.tell(response));
  }

  /**
   * The received snapshot that {@code install} makes live, handed over to be persisted with it;
   * {@code persist} sends that request to storage, and transfers waiting to begin follow it.
   */
  void persistWithStaged(Ready.SnapshotInstall install, java.util.function.Consumer<SnapshotSink> persist) {
    SnapshotSink sink = takeStaged(install);
    committing.put(install.index(), sink);
    persist.accept(sink);
    releaseBegins();
  }

  private SnapshotSink takeStaged(Ready.SnapshotInstall install) {
    SnapshotSink sink = awaitingPersist.remove(install.index());
    if (sink == null) {
      // The core asked to install data this node never received: persisting the Ready without it
      // would make the node claim a state it does not have.
      throw new IllegalStateException("no received snapshot for the install at index " + install.index());
    }
    return sink;
  }

  /** A received snapshot is durable and live (the caller moves the applied index to it). */
  void onInstalled(Ready.SnapshotInstall install, SnapshotMeta stored) {
    committing.remove(install.index());
    entriesSinceSnapshot = 0;
    bytesSinceSnapshot = 0;
    statusBoard.publishSnapshot(stored != null ? stored : new SnapshotMeta(
        install.index(), install.term(), install.membership(), 0, System.currentTimeMillis()));
    log.info("installed the leader's snapshot at index {} (term {})", install.index(), install.term());
  }

  /** The node is stopping: a staged snapshot will not go live. */
  void abortStaged() {
    for (SnapshotSink sink : awaitingPersist.values()) sink.abort();
    awaitingPersist.clear();
    committing.clear();
    beginsWaiting.clear();
  }

  // ---------------------------------------------------------------- sending (leader)

  /**
   * Streams the latest snapshot to a follower the core says is behind the compacted log, or
   * tells the core it cannot (no snapshot, or no longer leader); the caller collects its Ready.
   */
  void onSnapshotOpened(long peer, SnapshotSource source) {
    if (source == null || !core.isLeader()) {
      if (source != null) source.close();
      core.snapshotFailed(peer);
      return;
    }
    SnapshotMeta meta = source.meta();
    // The follower's answer is believed only up to the index it was actually sent.
    core.snapshotSent(peer, meta.index());
    RaftMessage.InstallSnapshot header = new RaftMessage.InstallSnapshot(
        settings.nodeId(), peer, core.term(), meta.index(), meta.term(), meta.membership());
    log.info("sending snapshot at index {} to node {}", meta.index(), peer);
    peers.sendSnapshot(peer, header, source);
  }

  void onSendFailed(long peer, String reason) {
    // The next attempt resumes after the chunks the follower staged, so a big snapshot over a
    // slow or flaky link still gets there, one broken-off transfer at a time.
    log.warn("sending a snapshot to node {} failed: {}; resuming in {} ms", peer, reason, SNAPSHOT_RETRY.toMillis());
    // The peer stays marked as receiving a snapshot until then, so a peer that is down
    // costs one attempt per interval rather than one per heartbeat.
    timers.startSingle("snapshot-retry-" + peer, SNAPSHOT_RETRY, () -> core.snapshotFailed(peer));
  }

  /** The node is stopping: nobody waiting for a snapshot or a purge will get one from here. */
  void failAll(String reason) {
    snapshotWaiters.clear();
    nextSnapshotWaiters.clear();
    for (PurgeWaiter w : purgeWaiters) w.replyTo().tell(new AdminOutcome.Unavailable(reason));
    purgeWaiters.clear();
    abortStaged();
  }
}
