package io.raftkv.storage;

import static io.raftkv.storage.RocksLayout.HARD_STATE_KEY;
import static io.raftkv.storage.RocksLayout.LOG_BASE_KEY;
import static io.raftkv.storage.RocksLayout.LOG_HEADER_BYTES;
import static io.raftkv.storage.RocksLayout.be;
import static io.raftkv.storage.RocksLayout.checkedPair;
import static io.raftkv.storage.RocksLayout.decodeEntry;
import static io.raftkv.storage.RocksLayout.encodeEntry;
import static io.raftkv.storage.RocksLayout.indexOf;
import static io.raftkv.storage.RocksLayout.kindOf;
import static io.raftkv.storage.RocksLayout.pair;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.StoredLog;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The Raft log and hard state in the {@code log} and {@code meta} column families of a {@link
 * RocksDatabase}. Every persist is one synced batch, so Raft never answers before its state is on
 * disk, and a truncation and the entries replacing it land together. The log is never read whole:
 * recovery walks only the records' headers, and entries are read back in bounded ranges.
 *
 * <p>It also compacts the log (§7): a purge deletes a prefix the latest snapshot covers and
 * records the new log base.
 */
final class RocksRaftLog implements RaftLogStore {
  private final RocksDatabase database;
  private final RocksSnapshots snapshots;
  private final RocksStateMachine stateMachine;
  // Only the writer thread changes these; they are volatile so readers see a consistent value.
  private volatile LogBounds bounds;
  private volatile long baseTerm;

  private RocksRaftLog(RocksDatabase database, RocksSnapshots snapshots, RocksStateMachine stateMachine) {
    this.database = database;
    this.snapshots = snapshots;
    this.stateMachine = stateMachine;
  }

  /** Reads the log's base and finds its first and last keys. */
  static RocksRaftLog load(RocksDatabase database, RocksSnapshots snapshots, RocksStateMachine stateMachine)
      throws RocksDBException {
    RocksRaftLog log = new RocksRaftLog(database, snapshots, stateMachine);
    long baseIndex = 0;
    byte[] base = database.db().get(database.meta(), LOG_BASE_KEY);
    if (base != null) {
      ByteBuffer b = checkedPair(base, "log base");
      baseIndex = b.getLong();
      log.baseTerm = b.getLong();
    }
    try (RocksIterator it = database.db().newIterator(database.log(), database.readOptions)) {
      it.seekToFirst();
      if (!it.isValid()) {
        it.status();
        log.bounds = new LogBounds(0, 0, baseIndex);
        return log;
      }
      long first = indexOf(it.key());
      it.seekToLast();
      it.status();
      log.bounds = new LogBounds(first, indexOf(it.key()), baseIndex);
    }
    return log;
  }

  /**
   * Walks the log once, reading only each entry's header (term and kind) into a small buffer, so
   * that a long log of large values is never on the heap: the result holds the log's shape, and
   * only its CONFIG entries whole. The walk also sums the bytes applied since the latest snapshot.
   */
  @Override
  public Recovered recover() {
    return database.read("cannot read the log", this::scanLog);
  }

  private Recovered scanLog() throws RocksDBException {
    long appliedIndex = stateMachine.appliedIndex();
    long appliedTerm = stateMachine.appliedTerm();
    // Large values are read once here and not again soon: keep them out of the block cache.
    try (ReadOptions scan = new ReadOptions().setFillCache(false);
        RocksIterator it = database.db().newIterator(database.log(), scan)) {
      HardState hs = readHardState();
      LogBounds b = bounds;
      Optional<SnapshotMeta> latest = snapshots.latest();
      long snapshotIndex = latest.map(SnapshotMeta::index).orElse(0L);
      StoredLog.Builder shape = new StoredLog.Builder(b.base(), baseTerm);
      long appliedBytes = 0;
      ByteBuffer header = ByteBuffer.allocateDirect(LOG_HEADER_BYTES);
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        long index = indexOf(key);
        header.clear();
        int valueBytes = it.value(header);
        if (valueBytes < LOG_HEADER_BYTES) {
          throw new StorageException("corrupt log record of " + valueBytes + " bytes at index " + index);
        }
        long term = header.getLong(0);
        LogEntry.Kind kind = kindOf(header.get(8) & 0xff);
        try {
          shape.add(index, term, kind, i -> readEntry(key));
        } catch (IllegalStateException e) {
          throw new StorageException(e.getMessage(), e);
        }
        if (index > snapshotIndex && index <= appliedIndex) {
          appliedBytes += LogEntry.sizeBytes(valueBytes - LOG_HEADER_BYTES);
        }
      }
      it.status();
      Membership baseMembership = latest.map(SnapshotMeta::membership).orElse(Membership.EMPTY);
      return new Recovered(hs, shape.build(), appliedIndex, appliedTerm, baseMembership, snapshotIndex, appliedBytes);
    }
  }

  private HardState readHardState() throws RocksDBException {
    byte[] v = database.db().get(database.meta(), HARD_STATE_KEY);
    if (v == null) return HardState.INITIAL;
    ByteBuffer b = checkedPair(v, "hard state");
    return new HardState(b.getLong(), b.getLong());
  }

  private LogEntry readEntry(byte[] key) {
    try {
      byte[] v = database.db().get(database.log(), key);
      if (v == null) throw new StorageException("log entry " + indexOf(key) + " vanished while recovering");
      return decodeEntry(key, v);
    } catch (RocksDBException e) {
      throw new StorageException("cannot read log entry " + indexOf(key), e);
    }
  }

  /**
   * A bounded range of the log, read with one iterator. Safe on any thread: the Raft node reads
   * here while the storage actor writes, and sees every completed persist.
   */
  @Override
  public List<LogEntry> read(long from, long to, int maxCount, long maxBytes) {
    return database.read(
        "read of log entries from " + from + " failed", () -> readRange(from, to, maxCount, maxBytes));
  }

  private List<LogEntry> readRange(long from, long to, int maxCount, long maxBytes) throws RocksDBException {
    try (RocksIterator it = database.db().newIterator(database.log(), database.readOptions)) {
      List<LogEntry> out = new ArrayList<>();
      long bytes = 0;
      long expected = from;
      for (it.seek(be(from)); it.isValid() && expected <= to && out.size() < maxCount; it.next()) {
        byte[] key = it.key();
        if (indexOf(key) != expected) break; // compacted or never written: the answer stops here
        LogEntry e = decodeEntry(key, it.value());
        bytes += e.sizeBytes();
        if (!out.isEmpty() && bytes > maxBytes) break;
        out.add(e);
        expected++;
      }
      it.status();
      return out;
    }
  }

  @Override
  public void persist(PersistBatch batch) {
    database.write(
        "synced write of the log failed",
        () -> {
          // Validation comes first so that a malformed batch leaves the disk untouched.
          LogBounds next = bounds.after(batch);
          try (WriteBatch wb = new WriteBatch()) {
            if (batch.hardState() != null) {
              wb.put(database.meta(), HARD_STATE_KEY, pair(batch.hardState().term(), batch.hardState().votedFor()));
            }
            if (batch.truncateFrom() > 0) {
              // The end key is exclusive; no entry can have index Long.MAX_VALUE in practice.
              wb.deleteRange(database.log(), be(batch.truncateFrom()), be(Long.MAX_VALUE));
            }
            for (LogEntry e : batch.entries()) {
              wb.put(database.log(), be(e.index()), encodeEntry(e));
            }
            // An empty batch still syncs: callers use it to make earlier unsynced applies durable.
            database.beforeSync();
            database.db().write(database.syncWrite, wb);
          }
          bounds = next;
          return null;
        });
  }

  /**
   * Deletes the entries up to {@code uptoIndex} and records the new base in one synced batch. The
   * index may not pass the latest snapshot or the applied index: until then those entries are the
   * only record of their effects.
   */
  void purge(long uptoIndex) {
    database.write(
        "purge of the log up to " + uptoIndex + " failed",
        () -> {
          LogBounds.checkPurge(
              uptoIndex, snapshots.latest().map(SnapshotMeta::index).orElse(0L), stateMachine.appliedIndex());
          LogBounds b = bounds;
          if (uptoIndex <= b.base()) return null;
          long term = termForBase(uptoIndex);
          try (WriteBatch wb = new WriteBatch()) {
            wb.deleteRange(database.log(), be(0), be(uptoIndex + 1));
            wb.put(database.meta(), LOG_BASE_KEY, pair(uptoIndex, term));
            database.beforeSync();
            database.db().write(database.syncWrite, wb);
          }
          bounds = b.rebased(uptoIndex, true);
          baseTerm = term;
          compact(be(uptoIndex + 1));
          return null;
        });
  }

  private long termForBase(long index) throws RocksDBException {
    byte[] v = database.db().get(database.log(), be(index));
    if (v != null) return decodeEntry(be(index), v).term();
    Optional<SnapshotMeta> latest = snapshots.latest();
    if (latest.isPresent() && latest.get().index() == index) return latest.get().term();
    if (index == stateMachine.appliedIndex()) return stateMachine.appliedTerm();
    throw new IllegalStateException("no term known for index " + index + "; log holds " + bounds);
  }

  /**
   * Adds to an install's commit batch the log's side of it: the snapshot becomes the base, and
   * the entries it covers go, all of them unless {@code keepLogAfterIndex} (§7: a log that holds
   * the snapshot's last entry keeps what follows it).
   */
  void addInstallTo(WriteBatch wb, SnapshotMeta meta, boolean keepLogAfterIndex) throws RocksDBException {
    wb.put(database.meta(), LOG_BASE_KEY, pair(meta.index(), meta.term()));
    wb.deleteRange(database.log(), be(0), installEnd(meta, keepLogAfterIndex));
  }

  /** Takes the base an install's durable commit batch recorded. */
  void rebaseForInstall(SnapshotMeta meta, boolean keepLogAfterIndex) {
    bounds = bounds.rebased(meta.index(), keepLogAfterIndex);
    baseTerm = meta.term();
  }

  /** Frees the space of the entries an install deleted; the caller holds the read lock. */
  void compactAfterInstall(SnapshotMeta meta, boolean keepLogAfterIndex) throws RocksDBException {
    compact(installEnd(meta, keepLogAfterIndex));
  }

  private static byte[] installEnd(SnapshotMeta meta, boolean keepLogAfterIndex) {
    return keepLogAfterIndex ? be(meta.index() + 1) : be(Long.MAX_VALUE);
  }

  /**
   * A range deletion only hides entries; compacting the range is what frees their disk space.
   * Forcing the bottommost level matters: by default RocksDB skips it, and an old log sits there.
   */
  private void compact(byte[] endExclusive) throws RocksDBException {
    try (CompactRangeOptions options =
        new CompactRangeOptions()
            .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
      database.db().compactRange(database.log(), be(0), endExclusive, options);
    }
  }

  /** Closes the shared database: the log cannot outlive it. */
  @Override
  public void close() {
    database.close();
  }
}
