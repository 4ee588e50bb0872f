package io.raftkv.storage;

import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * Snapshots and log compaction (Raft §7) for the RocksDB store: taking a snapshot of the live
 * state machine into the snapshot directory ({@link RocksSnapshots}), streaming the latest one
 * out, receiving one ({@link RocksSnapshotInstall}), and purging the log it covers ({@link
 * RocksRaftLog#purge}).
 */
final class RocksSnapshotStore implements SnapshotStore {
  private final RocksDatabase database;
  private final RocksSnapshots snapshots;
  private final RocksRaftLog log;
  private final RocksStateMachine stateMachine;
  private final RocksSnapshotInstall install;

  RocksSnapshotStore(
      RocksDatabase database, RocksSnapshots snapshots, RocksRaftLog log, RocksStateMachine stateMachine) {
    this.database = database;
    this.snapshots = snapshots;
    this.log = log;
    this.stateMachine = stateMachine;
    this.install = new RocksSnapshotInstall(database, snapshots, log, stateMachine, this::createSnapshot);
  }

  /** Takes the snapshot of an install a crash interrupted; see {@link RocksSnapshotInstall}. */
  void finishPendingSnapshot() throws RocksDBException {
    install.finishPendingSnapshot();
  }

  /** The snapshot directory, inside the data directory. */
  RocksSnapshots directory() {
    return snapshots;
  }

  /** Test seam: runs right after an install's commit batch is durable. */
  void afterInstallCommitBatch(Runnable action) {
    install.afterCommitBatch = action;
  }

  @Override
  public SnapshotMeta createSnapshot() {
    return database.write(
        "sync before snapshot failed",
        () -> {
          // Applies are written without sync. Syncing first keeps every snapshot at or below the
          // durable applied state, so a crash can never leave a node whose snapshot (and the log
          // base a later purge derives from it) describes state its own state machine has lost.
          database.beforeSync();
          database.db().syncWal();
          return snapshots.create(
              database.db(),
              stateMachine.liveFamilyName(),
              stateMachine.appliedIndex(),
              stateMachine.appliedTerm(),
              stateMachine.appliedMembership(),
              System.currentTimeMillis());
        });
  }

  @Override
  public void compactStateMachine() {
    stateMachine.compact();
  }

  @Override
  public Optional<SnapshotMeta> latestSnapshot() {
    database.ensureOpen();
    return snapshots.latest();
  }

  @Override
  public SnapshotSource openSnapshot() {
    database.readLock().lock();
    try {
      database.ensureOpen();
      // The source opens its own read-only instance of the snapshot directory, independent of
      // this database, so it outlives a newer snapshot and even the close of this store.
      return snapshots.openLatest();
    } finally {
      database.readLock().unlock();
    }
  }

  @Override
  public SnapshotSink beginInstall(SnapshotMeta meta) {
    return install.resume(meta, RocksSnapshotInstall.Sink.NOT_RESUMABLE);
  }

  @Override
  public SnapshotSink resumeInstall(SnapshotMeta meta, long leaderTerm) {
    return install.resume(meta, leaderTerm);
  }

  @Override
  public void purgeLog(long uptoIndex) {
    log.purge(uptoIndex);
  }
}
