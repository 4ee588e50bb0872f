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

  /** A received snapshot waiting for the core's Ready to make it live. */
  private SnapshotSink stagedSnapshot;
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

  /**
   * Hands the header to the core; the snapshot stays staged until a Ready carries its install,
   * and the response to the leader waits for that Ready's persist: the leader must not count a
   * snapshot this node would lose in a crash.
   */
  void onInstallReceived(
      RaftMessage.InstallSnapshot header, SnapshotSink sink, Reply<RaftMessage.Response> replyTo, ReadyPipeline pipeline) {
    if (stagedSnapshot != null) stagedSnapshot.abort();
    stagedSnapshot = sink;
    RaftMessage.Response response = core.step(header);
    Ready ready = core.ready();
    if (ready.install() == null) {
      // Refused or already covered: nothing of it goes live.
      stagedSnapshot.abort();
      stagedSnapshot = null;
    }
    pipeline.submit(ready, () -> replyTo.tell(response));
  }

  /** The staged snapshot, handed over to be persisted with the Ready that installs it. */
  SnapshotSink takeStaged() {
    SnapshotSink sink = stagedSnapshot;
    stagedSnapshot = null;
    return sink;
  }

  /** A received snapshot is durable and live (the caller moves the applied index to it). */
  void onInstalled(Ready.SnapshotInstall install, SnapshotMeta stored) {
    entriesSinceSnapshot = 0;
    bytesSinceSnapshot = 0;
    statusBoard.publishSnapshot(stored != null ? stored : new SnapshotMeta(
        install.index(), install.term(), install.membership(), 0, System.currentTimeMillis()));
    log.info("installed the leader's snapshot at index {} (term {})", install.index(), install.term());
  }

  /** The node is stopping: a staged snapshot will not go live. */
  void abortStaged() {
    if (stagedSnapshot != null) stagedSnapshot.abort();
    stagedSnapshot = null;
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
