package io.raftkv.storage;

import static io.raftkv.storage.RocksLayout.SNAPSHOT_PENDING_KEY;
import static io.raftkv.storage.RocksLayout.checkedPair;
import static io.raftkv.storage.RocksLayout.nextKvName;
import static io.raftkv.storage.RocksLayout.pair;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Receiving a snapshot from the leader into a staging column family and making it the live state
 * machine (Raft §7, InstallSnapshot).
 *
 * <p>Why a column-family switch: the live kv must stay readable and intact until the very end,
 * and the end must be one atomic step. Writing the snapshot into a second column family and then
 * naming it live in the same synced {@link WriteBatch} that also sets the applied index, term and
 * membership, deletes the log and records the log base makes that step a single RocksDB write: a
 * crash before it recovers the old state (the staging family is dropped at open), a crash after
 * it the complete new one (the old family is dropped at open). Ingesting SST files into the live
 * family instead would need a redo log of our own, since an ingest and a meta write cannot be one
 * atomic RocksDB operation.
 *
 * <p>The staging writes skip the WAL: the data is worthless until commit, and commit flushes the
 * staging family to SST files before the switch, so the state is written once, not twice.
 *
 * <p>Making the installed state the latest snapshot needs a checkpoint, which cannot be part of
 * that write; the batch therefore also leaves a marker, and an open that finds it takes the
 * snapshot (see {@link #finishPendingSnapshot}).
 */
final class RocksSnapshotInstall {
  private final RocksDatabase database;
  private final RocksSnapshots snapshots;
  private final RocksRaftLog log;
  private final RocksStateMachine stateMachine;
  private final Supplier<SnapshotMeta> takeSnapshot;
  // Changed only under the database's write lock.
  private Sink activeSink;

  // Test seam: runs right after an install's commit batch is durable, so a test can "crash" there.
  volatile Runnable afterCommitBatch = () -> {};

  /** {@code takeSnapshot} snapshots the applied state, as {@link SnapshotStore#createSnapshot}. */
  RocksSnapshotInstall(
      RocksDatabase database,
      RocksSnapshots snapshots,
      RocksRaftLog log,
      RocksStateMachine stateMachine,
      Supplier<SnapshotMeta> takeSnapshot) {
    this.database = database;
    this.snapshots = snapshots;
    this.log = log;
    this.stateMachine = stateMachine;
    this.takeSnapshot = takeSnapshot;
  }

  /**
   * Completes an install that committed but crashed before its state became the latest snapshot.
   * Nothing can have been applied after the install (its marker is cleared before any apply), so
   * the live state is exactly the installed one and a snapshot of it is the install's snapshot.
   * Called while opening, before anyone else uses the store.
   */
  void finishPendingSnapshot() throws RocksDBException {
    byte[] pending = database.db().get(database.meta(), SNAPSHOT_PENDING_KEY);
    if (pending == null) return;
    long index = checkedPair(pending, "pending snapshot").getLong();
    if (snapshots.latest().map(SnapshotMeta::index).orElse(0L) < index) takeSnapshot.get();
    database.beforeSync();
    database.db().delete(database.meta(), database.syncWrite, SNAPSHOT_PENDING_KEY);
  }

  /** See {@link SnapshotStore#resumeInstall}; {@link Sink#NOT_RESUMABLE} for a fresh install. */
  SnapshotSink resume(SnapshotMeta meta, long leaderTerm) {
    database.writeLock().lock();
    try {
      database.ensureWritable();
      if (activeSink != null && activeSink.resumes(meta, leaderTerm)) {
        activeSink.meta = meta;
        return activeSink;
      }
      if (activeSink != null) activeSink.discard();
      // The staging area is a fresh column family, so the live kv is untouched until the commit
      // batch names the staging family as live.
      String name = nextKvName(stateMachine.liveFamilyName());
      ColumnFamilyHandle staging = database.createColumnFamily(name);
      activeSink = new Sink(meta, leaderTerm, name, staging);
      return activeSink;
    } catch (RocksDBException e) {
      throw new StorageException("cannot create the staging area for a snapshot install", e);
    } finally {
      database.writeLock().unlock();
    }
  }

  /** One install into its staging column family. */
  final class Sink implements SnapshotSink {
    /** The leader term of an install begun by {@link SnapshotStore#beginInstall}, which nothing resumes. */
    static final long NOT_RESUMABLE = -1;
    /** Replaced by the latest caller's, which names the same snapshot: see {@link #resume}. */
    private volatile SnapshotMeta meta;
    private final long leaderTerm;
    private final String name;
    private final ColumnFamilyHandle staging;
    private volatile boolean done;
    /** Chunks whose batch reached the staging family; each batch is applied whole or not at all. */
    private final AtomicLong chunks = new AtomicLong();

    private Sink(SnapshotMeta meta, long leaderTerm, String name, ColumnFamilyHandle staging) {
      this.meta = meta;
      this.leaderTerm = leaderTerm;
      this.name = name;
      this.staging = staging;
    }

    boolean resumes(SnapshotMeta other, long otherLeaderTerm) {
      return leaderTerm != NOT_RESUMABLE && !done && leaderTerm == otherLeaderTerm
          && meta.index() == other.index() && meta.term() == other.term();
    }

    @Override
    public long stagedChunks() {
      return chunks.get();
    }

    @Override
    public void write(byte[] chunk) {
      database.readLock().lock();
      try {
        checkActive();
        try (WriteBatch wb = new WriteBatch()) {
          SnapshotChunks.decode(
              chunk,
              (k, v) -> {
                try {
                  wb.put(staging, k, v);
                } catch (RocksDBException e) {
                  throw new StorageException("batching a snapshot pair failed", e);
                }
              });
          database.db().write(database.noWalWrite, wb);
          chunks.incrementAndGet();
        }
      } catch (RocksDBException e) {
        throw new StorageException("write of a snapshot chunk failed", e);
      } finally {
        database.readLock().unlock();
      }
    }

    @Override
    public void commit(boolean keepLogAfterIndex) {
      SnapshotMeta installed = meta;
      database.readLock().lock();
      try {
        checkActive();
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true);
            WriteBatch wb = new WriteBatch()) {
          database.db().flush(flush, staging);
          stateMachine.addInstallTo(wb, name, installed);
          log.addInstallTo(wb, installed, keepLogAfterIndex);
          wb.put(database.meta(), SNAPSHOT_PENDING_KEY, pair(installed.index(), installed.term()));
          // The one atomic, durable step of the install.
          database.beforeSync();
          database.db().write(database.syncWrite, wb);
        } catch (RocksDBException e) {
          database.markFailed();
          throw new StorageException("commit of the snapshot install at " + installed.index() + " failed", e);
        }
      } finally {
        database.readLock().unlock();
      }
      afterCommitBatch.run();

      // Readers on other threads may hold the old handle, so the switch waits for them.
      database.writeLock().lock();
      try {
        database.ensureOpen();
        ColumnFamilyHandle old = stateMachine.switchTo(staging, name, installed);
        log.rebaseForInstall(installed, keepLogAfterIndex);
        done = true;
        activeSink = null;
        database.dropColumnFamily(old);
      } catch (RocksDBException e) {
        database.markFailed();
        throw new StorageException("dropping the replaced state machine failed", e);
      } finally {
        database.writeLock().unlock();
      }

      takeSnapshot.get();
      database.write(
          "finishing the snapshot install at " + installed.index() + " failed",
          () -> {
            // Unsynced is enough: if the delete is lost, the next open merely snapshots again,
            // and any later apply that survives a crash implies this earlier write survived too.
            database.db().delete(database.meta(), database.asyncWrite, SNAPSHOT_PENDING_KEY);
            log.compactAfterInstall(installed, keepLogAfterIndex);
            return null;
          });
    }

    @Override
    public void abort() {
      database.writeLock().lock();
      try {
        discard();
      } finally {
        database.writeLock().unlock();
      }
    }

    /** Drops the staging family; the caller holds the write lock. */
    void discard() {
      if (done) return;
      done = true;
      if (activeSink == this) activeSink = null;
      // After close the handles are gone; the next open drops the staging family instead.
      if (database.isClosed()) return;
      try {
        database.dropColumnFamily(staging);
      } catch (RocksDBException e) {
        throw new StorageException("dropping the staging area of a snapshot install failed", e);
      }
    }

    private void checkActive() {
      database.ensureWritable();
      if (done || activeSink != this) {
        throw new IllegalStateException("this snapshot install was committed, aborted or superseded");
      }
    }
  }
}
