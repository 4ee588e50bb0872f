package io.raftkv.storage;

import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.StoredLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongPredicate;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteOptions;

/**
 * One RocksDB database per node holding the Raft log, the hard state, the key-value state
 * machine and its applied position, each in its own column family:
 *
 * <ul>
 *   <li>{@code log}: 8-byte big-endian index to 8-byte term, 1-byte kind ordinal, payload. Big
 *       endian keeps RocksDB's bytewise order equal to index order, so iteration and
 *       {@code deleteRange} work on index ranges.
 *   <li>{@code meta}: the hard state (term, votedFor), the applied index, term and membership,
 *       the log base (index and term of the last compacted entry), the name of the live kv
 *       column family, and the marker of an installed snapshot not yet re-snapshotted.
 *   <li>{@code kv} (or {@code kv.N} after the N-th snapshot install): user key to value, UTF-8.
 * </ul>
 *
 * <p>Snapshots live in {@code <data_path>/raftkv-snapshots/} (see {@link RocksSnapshots}); the
 * database itself stays at {@code data_path}, so existing data directories open unchanged.
 *
 * <p>{@link #persist}, {@link #apply} and the snapshot operations are meant to be called from one
 * thread (the storage actor); {@link #get} may be called from any thread, and a {@link
 * SnapshotSource} may be read on any thread. A read-write lock keeps every native call out of
 * {@link #close} and out of the switch of the live kv column family, because touching a freed
 * RocksDB handle crashes the JVM rather than throwing.
 */
public final class RocksDbStorage implements RaftLogStore, StateMachineStore, SnapshotStore {
  static final String CF_LOG = "log";
  static final String CF_META = "meta";
  static final String CF_KV = "kv";

  private static final byte[] HARD_STATE_KEY = "hard_state".getBytes(StandardCharsets.UTF_8);
  private static final byte[] APPLIED_KEY = "applied".getBytes(StandardCharsets.UTF_8);
  private static final byte[] APPLIED_MEMBERSHIP_KEY = "applied_membership".getBytes(StandardCharsets.UTF_8);
  private static final byte[] LOG_BASE_KEY = "log_base".getBytes(StandardCharsets.UTF_8);
  static final byte[] KV_CF_KEY = "kv_cf".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SNAPSHOT_PENDING_KEY = "snapshot_pending".getBytes(StandardCharsets.UTF_8);
  private static final int LOG_HEADER_BYTES = 9;

  static {
    // Loading is idempotent inside RocksDB, but doing it in a static initialiser makes it happen
    // exactly once per class loader and before any handle is created.
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions syncWrite;
  private final WriteOptions asyncWrite;
  private final WriteOptions noWalWrite;
  private final ReadOptions readOptions;
  // Every open column family handle; changed only under the write lock.
  private final List<ColumnFamilyHandle> handles;
  private final RocksDB db;
  private final ColumnFamilyHandle logCf;
  private final ColumnFamilyHandle metaCf;
  private final RocksSnapshots snapshots;
  // The live state machine; replaced (under the write lock) when a snapshot install commits.
  private volatile ColumnFamilyHandle kvCf;
  private volatile String kvCfName;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;
  // Set once a write fails: after a failed sync the state on disk is unknown, so the node must
  // stop and this store refuses further writes even if the caller forgets.
  private volatile boolean failed;

  // Only the writer thread changes these; they are volatile so readers see a consistent value.
  private volatile LogBounds bounds;
  private volatile long appliedIndex;
  private volatile long appliedTerm;
  private volatile Membership appliedMembership = Membership.EMPTY;
  private volatile long baseTerm;
  private Sink activeSink;

  // Test seam: runs right after an install's commit batch is durable, so a test can "crash" there.
  Runnable afterInstallCommitBatch = () -> {};

  private RocksDbStorage(
      Path dir,
      DBOptions dbOptions,
      ColumnFamilyOptions cfOptions,
      List<ColumnFamilyHandle> handles,
      RocksDB db,
      ColumnFamilyHandle logCf,
      ColumnFamilyHandle metaCf,
      RocksSnapshots snapshots) {
    this.dir = dir;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.handles = handles;
    this.db = db;
    this.logCf = logCf;
    this.metaCf = metaCf;
    this.snapshots = snapshots;
    this.syncWrite = new WriteOptions().setSync(true);
    this.asyncWrite = new WriteOptions().setSync(false);
    this.noWalWrite = new WriteOptions().setDisableWAL(true);
    this.readOptions = new ReadOptions();
  }

  /**
   * Opens (creating if missing) the database at {@code dir}. {@code maxOpenFiles} bounds the
   * file descriptors RocksDB keeps open; -1 means unlimited.
   */
  public static RocksDbStorage open(Path dir, int maxOpenFiles) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageException("cannot create storage directory " + dir, e);
    }
    DBOptions dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setMaxOpenFiles(maxOpenFiles);
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db = null;
    RocksDbStorage storage = null;
    try {
      // Every existing column family must be opened, and which kv family is live is only known
      // from meta, so open them all and sort out stale ones afterwards.
      List<String> names = columnFamilyNames(dir);
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (String n : names) descriptors.add(new ColumnFamilyDescriptor(utf8(n), cfOptions));
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      RocksSnapshots snapshots = RocksSnapshots.open(dir);
      storage =
          new RocksDbStorage(
              dir,
              dbOptions,
              cfOptions,
              handles,
              db,
              handles.get(names.indexOf(CF_LOG)),
              handles.get(names.indexOf(CF_META)),
              snapshots);
      storage.selectLiveKv(names);
      storage.loadPositions();
      storage.finishPendingSnapshot();
      return storage;
    } catch (RocksDBException | RuntimeException e) {
      if (storage != null) {
        storage.close();
      } else {
        for (ColumnFamilyHandle h : handles) h.close();
        if (db != null) db.close();
        cfOptions.close();
        dbOptions.close();
      }
      if (e instanceof StorageException) throw (StorageException) e;
      throw new StorageException("cannot open RocksDB at " + dir, e);
    }
  }

  /** The column families to open: the fixed ones plus whatever the database already holds. */
  private static List<String> columnFamilyNames(Path dir) throws RocksDBException {
    Set<String> names = new LinkedHashSet<>();
    names.add(new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8));
    names.add(CF_LOG);
    names.add(CF_META);
    boolean anyKv = false;
    if (Files.exists(dir.resolve("CURRENT"))) {
      try (Options options = new Options()) {
        for (byte[] n : RocksDB.listColumnFamilies(options, dir.toString())) {
          String name = new String(n, StandardCharsets.UTF_8);
          names.add(name);
          anyKv |= isKvName(name);
        }
      }
    }
    // A new database (or one from before installs existed) starts with plain "kv".
    if (!anyKv) names.add(CF_KV);
    return new ArrayList<>(names);
  }

  static boolean isKvName(String name) {
    return name.equals(CF_KV) || name.startsWith(CF_KV + ".");
  }

  /** The live kv column family named by the stored meta value (plain "kv" when absent). */
  static String liveKvName(byte[] stored) {
    return stored == null ? CF_KV : new String(stored, StandardCharsets.UTF_8);
  }

  /**
   * Picks the live kv column family and drops the others: a staging family of an install that
   * never committed, or the old live family of one that committed but crashed before dropping it.
   */
  private void selectLiveKv(List<String> names) throws RocksDBException {
    String live = liveKvName(db.get(metaCf, KV_CF_KEY));
    int at = names.indexOf(live);
    if (at < 0) throw new StorageException("live kv column family " + live + " is missing in " + dir);
    kvCf = handles.get(at);
    kvCfName = live;
    List<ColumnFamilyHandle> stale = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      if (isKvName(names.get(i)) && i != at) stale.add(handles.get(i));
    }
    for (ColumnFamilyHandle h : stale) dropColumnFamily(h);
  }

  /**
   * Completes an install that committed but crashed before its state became the latest snapshot.
   * Nothing can have been applied after the install (its marker is cleared before any apply), so
   * the live state is exactly the installed one and a snapshot of it is the install's snapshot.
   */
  private void finishPendingSnapshot() throws RocksDBException {
    byte[] pending = db.get(metaCf, SNAPSHOT_PENDING_KEY);
    if (pending == null) return;
    long index = checkedPair(pending, "pending snapshot").getLong();
    if (snapshots.latest().map(SnapshotMeta::index).orElse(0L) < index) createSnapshot();
    db.delete(metaCf, syncWrite, SNAPSHOT_PENDING_KEY);
  }

  public Path directory() {
    return dir;
  }

  /** The directory holding this store's snapshots (inside {@link #directory()}). */
  public Path snapshotDirectory() {
    return snapshots.root();
  }

  /**
   * Approximate bytes this node uses on disk: every file under the data directory, which holds
   * the snapshots too, counting each file once even where a snapshot hard-links a live SST file.
   */
  public long diskUsageBytes() {
    return RocksSnapshots.treeSize(dir);
  }

  /** The membership of the last CONFIG entry applied (or installed), EMPTY if none. */
  public Membership appliedMembership() {
    ensureOpen();
    return appliedMembership;
  }

  // ---- RaftLogStore ----

  /**
   * Walks the log once, reading only each entry's header (term and kind) into a small buffer, so
   * that a long log of large values is never on the heap: the result holds the log's shape, and
   * only its CONFIG entries whole. The walk also sums the bytes applied since the latest snapshot.
   */
  @Override
  public Recovered recover() {
    lock.readLock().lock();
    try {
      ensureOpen();
      return scanLog();
    } catch (RocksDBException e) {
      throw new StorageException("cannot read the log", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private Recovered scanLog() throws RocksDBException {
    // Large values are read once here and not again soon: keep them out of the block cache.
    try (ReadOptions scan = new ReadOptions().setFillCache(false);
        RocksIterator it = db.newIterator(logCf, scan)) {
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

  /**
   * A bounded range of the log, read with one iterator. Safe on any thread: the Raft node reads
   * here while the storage actor writes, and sees every completed persist.
   */
  @Override
  public List<LogEntry> read(long from, long to, int maxCount, long maxBytes) {
    lock.readLock().lock();
    try {
      ensureOpen();
      return readRange(from, to, maxCount, maxBytes);
    } catch (RocksDBException e) {
      throw new StorageException("read of log entries from " + from + " failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private List<LogEntry> readRange(long from, long to, int maxCount, long maxBytes) throws RocksDBException {
    try (RocksIterator it = db.newIterator(logCf, readOptions)) {
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

  private LogEntry readEntry(byte[] key) {
    try {
      byte[] v = db.get(logCf, key);
      if (v == null) throw new StorageException("log entry " + indexOf(key) + " vanished while recovering");
      return decodeEntry(key, v);
    } catch (RocksDBException e) {
      throw new StorageException("cannot read log entry " + indexOf(key), e);
    }
  }

  @Override
  public void persist(PersistBatch batch) {
    lock.readLock().lock();
    try {
      ensureWritable();
      // Validation comes first so that a malformed batch leaves the disk untouched.
      LogBounds next = bounds.after(batch);
      try (WriteBatch wb = new WriteBatch()) {
        if (batch.hardState() != null) {
          wb.put(metaCf, HARD_STATE_KEY, pair(batch.hardState().term(), batch.hardState().votedFor()));
        }
        if (batch.truncateFrom() > 0) {
          // The end key is exclusive; no entry can have index Long.MAX_VALUE in practice.
          wb.deleteRange(logCf, be(batch.truncateFrom()), be(Long.MAX_VALUE));
        }
        for (LogEntry e : batch.entries()) {
          wb.put(logCf, be(e.index()), encodeEntry(e));
        }
        // An empty batch still syncs: callers use it to make earlier unsynced applies durable.
        db.write(syncWrite, wb);
      } catch (RocksDBException e) {
        failed = true;
        throw new StorageException("synced write of the log failed", e);
      }
      bounds = next;
    } finally {
      lock.readLock().unlock();
    }
  }

  // ---- StateMachineStore ----

  @Override
  public long appliedIndex() {
    ensureOpen();
    return appliedIndex;
  }

  @Override
  public long appliedTerm() {
    ensureOpen();
    return appliedTerm;
  }

  @Override
  public List<KvResult> apply(List<LogEntry> entries, LongPredicate resultWanted) {
    lock.readLock().lock();
    try {
      ensureWritable();
      try (WriteBatchWithIndex wb = new WriteBatchWithIndex(true)) {
        ApplyLoop.Outcome outcome =
            ApplyLoop.run(entries, appliedIndex, appliedTerm, new BatchView(wb), resultWanted);
        if (!outcome.advanced()) return outcome.results();
        // The applied position goes into the same batch as the effects, so a crash can never
        // leave effects without the index that says they happened (no double apply).
        wb.put(metaCf, APPLIED_KEY, pair(outcome.appliedIndex(), outcome.appliedTerm()));
        // Likewise the membership, which a snapshot taken at this applied index must carry.
        if (outcome.membership() != null) {
          wb.put(metaCf, APPLIED_MEMBERSHIP_KEY, MembershipCodec.encode(outcome.membership()));
        }
        // Unsynced on purpose: the batch is still atomic through the WAL, and losing it in a
        // power failure is harmless because the synced log still holds these entries, which are
        // simply applied again after restart. The next synced persist flushes the WAL anyway,
        // so applying never pays for an fsync of its own.
        db.write(asyncWrite, wb);
        appliedIndex = outcome.appliedIndex();
        appliedTerm = outcome.appliedTerm();
        if (outcome.membership() != null) appliedMembership = outcome.membership();
        return outcome.results();
      } catch (RocksDBException e) {
        failed = true;
        throw new StorageException("write of applied entries failed", e);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public String get(String key) {
    lock.readLock().lock();
    try {
      ensureOpen();
      byte[] v = db.get(kvCf, readOptions, utf8(key));
      return v == null ? null : new String(v, StandardCharsets.UTF_8);
    } catch (RocksDBException e) {
      throw new StorageException("read of key failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private static final byte[] NO_BYTES = new byte[0];

  @Override
  public KvPage scan(String prefix, String startAfter, int limit, long maxBytes) {
    if (limit < 0) throw new IllegalArgumentException("limit must not be negative, got " + limit);
    byte[] start = utf8(prefix);
    byte[] after = startAfter == null ? null : utf8(startAfter);
    lock.readLock().lock();
    try {
      ensureOpen();
      List<KvPair> page = new ArrayList<>(Math.min(limit, 1024));
      long bytes = 0;
      // Keys sharing a prefix are contiguous in bytewise order, so a seek to the prefix (or to
      // the key to continue after, when that comes later) and a walk until the first key without
      // the prefix visits exactly the matches, never the whole store.
      try (RocksIterator it = db.newIterator(kvCf, readOptions)) {
        if (after != null && Arrays.compareUnsigned(after, start) > 0) {
          it.seek(after);
          if (it.isValid() && Arrays.equals(it.key(), after)) it.next();
        } else {
          it.seek(start);
        }
        for (; it.isValid(); it.next()) {
          byte[] key = it.key();
          if (!startsWith(key, start)) break;
          // Another match follows the page: say so, without reading its value.
          if (page.size() >= limit) return new KvPage(page, true);
          // The value's size first (a zero-length read copies nothing), so a value that does
          // not fit the budget is never copied out of RocksDB.
          long size = (long) key.length + it.value(NO_BYTES);
          if (!page.isEmpty() && bytes + size > maxBytes) return new KvPage(page, true);
          page.add(new KvPair(new String(key, StandardCharsets.UTF_8), new String(it.value(), StandardCharsets.UTF_8)));
          bytes += size;
        }
        it.status();
      }
      return new KvPage(page, false);
    } catch (RocksDBException e) {
      throw new StorageException("prefix scan of the state machine failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) return false;
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) return false;
    }
    return true;
  }

  /** Every applied key and value, sorted; meant for tests and debugging, not for big stores. */
  public TreeMap<String, String> dumpKv() {
    lock.readLock().lock();
    try {
      ensureOpen();
      TreeMap<String, String> out = new TreeMap<>();
      try (RocksIterator it = db.newIterator(kvCf, readOptions)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          out.put(new String(it.key(), StandardCharsets.UTF_8), new String(it.value(), StandardCharsets.UTF_8));
        }
        it.status();
      }
      return out;
    } catch (RocksDBException e) {
      throw new StorageException("scan of the state machine failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Syncs the WAL, so that a clean shutdown keeps even the unsynced applies, then releases the
   * native handles: column families before the database, options last, as RocksDB requires.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      StorageException failure = null;
      if (!failed) {
        try {
          db.syncWal();
        } catch (RocksDBException e) {
          failure = new StorageException("sync of the WAL at close failed", e);
        }
      }
      for (ColumnFamilyHandle h : handles) h.close();
      db.close();
      activeSink = null;
      syncWrite.close();
      asyncWrite.close();
      noWalWrite.close();
      readOptions.close();
      cfOptions.close();
      dbOptions.close();
      if (failure != null) throw failure;
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---- SnapshotStore ----

  @Override
  public SnapshotMeta createSnapshot() {
    lock.readLock().lock();
    try {
      ensureWritable();
      // Applies are written without sync. Syncing first keeps every snapshot at or below the
      // durable applied state, so a crash can never leave a node whose snapshot (and the log base
      // a later purge derives from it) describes state its own state machine has lost.
      db.syncWal();
      return snapshots.create(db, kvCfName, appliedIndex, appliedTerm, appliedMembership, System.currentTimeMillis());
    } catch (RocksDBException e) {
      failed = true;
      throw new StorageException("sync before snapshot failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void compactStateMachine() {
    lock.readLock().lock();
    try {
      ensureWritable();
      // Deletes only write tombstones; a full compaction of the live kv family (bottommost level
      // included, which RocksDB skips by default) drops them together with the values they hide.
      try (CompactRangeOptions options =
          new CompactRangeOptions()
              .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
        db.compactRange(kvCf, null, null, options);
      }
    } catch (RocksDBException e) {
      failed = true;
      throw new StorageException("compaction of the state machine failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public Optional<SnapshotMeta> latestSnapshot() {
    ensureOpen();
    return snapshots.latest();
  }

  @Override
  public SnapshotSource openSnapshot() {
    lock.readLock().lock();
    try {
      ensureOpen();
      // The source opens its own read-only instance of the snapshot directory, independent of
      // this database, so it outlives a newer snapshot and even the close of this store.
      return snapshots.openLatest();
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public SnapshotSink beginInstall(SnapshotMeta meta) {
    return resumeInstall(meta, Sink.NOT_RESUMABLE);
  }

  @Override
  public SnapshotSink resumeInstall(SnapshotMeta meta, long leaderTerm) {
    lock.writeLock().lock();
    try {
      ensureWritable();
      if (activeSink != null && activeSink.resumes(meta, leaderTerm)) {
        activeSink.meta = meta;
        return activeSink;
      }
      if (activeSink != null) activeSink.discard();
      // The staging area is a fresh column family, so the live kv is untouched until the commit
      // batch names the staging family as live.
      String name = nextKvName(kvCfName);
      ColumnFamilyHandle staging = db.createColumnFamily(new ColumnFamilyDescriptor(utf8(name), cfOptions));
      handles.add(staging);
      activeSink = new Sink(meta, leaderTerm, name, staging);
      return activeSink;
    } catch (RocksDBException e) {
      throw new StorageException("cannot create the staging area for a snapshot install", e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public void purgeLog(long uptoIndex) {
    lock.readLock().lock();
    try {
      ensureWritable();
      LogBounds.checkPurge(uptoIndex, snapshots.latest().map(SnapshotMeta::index).orElse(0L), appliedIndex);
      LogBounds b = bounds;
      if (uptoIndex <= b.base()) return;
      long term = termForBase(uptoIndex);
      try (WriteBatch wb = new WriteBatch()) {
        wb.deleteRange(logCf, be(0), be(uptoIndex + 1));
        wb.put(metaCf, LOG_BASE_KEY, pair(uptoIndex, term));
        db.write(syncWrite, wb);
      }
      bounds = b.rebased(uptoIndex, true);
      baseTerm = term;
      compactLog(be(uptoIndex + 1));
    } catch (RocksDBException e) {
      failed = true;
      throw new StorageException("purge of the log up to " + uptoIndex + " failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private long termForBase(long index) throws RocksDBException {
    byte[] v = db.get(logCf, be(index));
    if (v != null) return decodeEntry(be(index), v).term();
    Optional<SnapshotMeta> latest = snapshots.latest();
    if (latest.isPresent() && latest.get().index() == index) return latest.get().term();
    if (index == appliedIndex) return appliedTerm;
    throw new IllegalStateException("no term known for index " + index + "; log holds " + bounds);
  }

  /**
   * A range deletion only hides entries; compacting the range is what frees their disk space.
   * Forcing the bottommost level matters: by default RocksDB skips it, and an old log sits there.
   */
  private void compactLog(byte[] endExclusive) throws RocksDBException {
    try (CompactRangeOptions options =
        new CompactRangeOptions()
            .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
      db.compactRange(logCf, be(0), endExclusive, options);
    }
  }

  private static String nextKvName(String live) {
    if (live.equals(CF_KV)) return CF_KV + ".1";
    return CF_KV + "." + (Long.parseLong(live.substring(CF_KV.length() + 1)) + 1);
  }

  /**
   * A snapshot install into the staging column family.
   *
   * <p>Why a column-family switch: the live kv must stay readable and intact until the very end,
   * and the end must be one atomic step. Writing the snapshot into a second column family and
   * then naming it live in the same synced {@link WriteBatch} that also sets the applied index,
   * term and membership, deletes the log and records the log base makes that step a single
   * RocksDB write: a crash before it recovers the old state (the staging family is dropped at
   * open), a crash after it the complete new one (the old family is dropped at open). Ingesting
   * SST files into the live family instead would need a redo log of our own, since an ingest
   * and a meta write cannot be one atomic RocksDB operation.
   *
   * <p>The staging writes skip the WAL: the data is worthless until commit, and commit flushes
   * the staging family to SST files before the switch, so the state is written once, not twice.
   *
   * <p>Making the installed state the latest snapshot needs a checkpoint, which cannot be part
   * of that write; the batch therefore also leaves a marker, and an open that finds it takes
   * the snapshot (see {@link #finishPendingSnapshot}).
   */
  private final class Sink implements SnapshotSink {
    /** The leader term of an install begun by {@link #beginInstall}, which nothing resumes. */
    static final long NOT_RESUMABLE = -1;
    /** Replaced by the latest caller's, which names the same snapshot: see resumeInstall. */
    private volatile SnapshotMeta meta;
    private final long leaderTerm;
    private final String name;
    private final ColumnFamilyHandle staging;
    private volatile boolean done;
    /** Chunks whose batch reached the staging family; each batch is applied whole or not at all. */
    private final java.util.concurrent.atomic.AtomicLong chunks = new java.util.concurrent.atomic.AtomicLong();

    Sink(SnapshotMeta meta, long leaderTerm, String name, ColumnFamilyHandle staging) {
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
      lock.readLock().lock();
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
          db.write(noWalWrite, wb);
          chunks.incrementAndGet();
        }
      } catch (RocksDBException e) {
        throw new StorageException("write of a snapshot chunk failed", e);
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public void commit(boolean keepLogAfterIndex) {
      long index = meta.index();
      long term = meta.term();
      lock.readLock().lock();
      try {
        checkActive();
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true);
            WriteBatch wb = new WriteBatch()) {
          db.flush(flush, staging);
          wb.put(metaCf, KV_CF_KEY, utf8(name));
          wb.put(metaCf, APPLIED_KEY, pair(index, term));
          wb.put(metaCf, APPLIED_MEMBERSHIP_KEY, MembershipCodec.encode(meta.membership()));
          wb.put(metaCf, LOG_BASE_KEY, pair(index, term));
          wb.put(metaCf, SNAPSHOT_PENDING_KEY, pair(index, term));
          // §7: entries after the snapshot survive only if the caller found the log consistent.
          wb.deleteRange(logCf, be(0), keepLogAfterIndex ? be(index + 1) : be(Long.MAX_VALUE));
          // The one atomic, durable step of the install.
          db.write(syncWrite, wb);
        } catch (RocksDBException e) {
          failed = true;
          throw new StorageException("commit of the snapshot install at " + index + " failed", e);
        }
      } finally {
        lock.readLock().unlock();
      }
      afterInstallCommitBatch.run();

      // Readers on other threads may hold the old handle, so the switch waits for them.
      lock.writeLock().lock();
      try {
        ensureOpen();
        ColumnFamilyHandle old = kvCf;
        kvCf = staging;
        kvCfName = name;
        appliedIndex = index;
        appliedTerm = term;
        appliedMembership = meta.membership();
        bounds = bounds.rebased(index, keepLogAfterIndex);
        baseTerm = term;
        done = true;
        activeSink = null;
        dropColumnFamily(old);
      } catch (RocksDBException e) {
        failed = true;
        throw new StorageException("dropping the replaced state machine failed", e);
      } finally {
        lock.writeLock().unlock();
      }

      createSnapshot();
      lock.readLock().lock();
      try {
        ensureWritable();
        // Unsynced is enough: if the delete is lost, the next open merely snapshots again, and
        // any later apply that survives a crash implies this earlier write survived too.
        db.delete(metaCf, asyncWrite, SNAPSHOT_PENDING_KEY);
        compactLog(keepLogAfterIndex ? be(index + 1) : be(Long.MAX_VALUE));
      } catch (RocksDBException e) {
        failed = true;
        throw new StorageException("finishing the snapshot install at " + index + " failed", e);
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public void abort() {
      lock.writeLock().lock();
      try {
        discard();
      } finally {
        lock.writeLock().unlock();
      }
    }

    /** Drops the staging family; the caller holds the write lock. */
    void discard() {
      if (done) return;
      done = true;
      if (activeSink == this) activeSink = null;
      // After close the handles are gone; the next open drops the staging family instead.
      if (closed) return;
      try {
        dropColumnFamily(staging);
      } catch (RocksDBException e) {
        throw new StorageException("dropping the staging area of a snapshot install failed", e);
      }
    }

    private void checkActive() {
      ensureWritable();
      if (done || activeSink != this) {
        throw new IllegalStateException("this snapshot install was committed, aborted or superseded");
      }
    }
  }

  // ---- internals ----

  private void loadPositions() throws RocksDBException {
    byte[] applied = db.get(metaCf, APPLIED_KEY);
    if (applied != null) {
      ByteBuffer b = checkedPair(applied, "applied position");
      appliedIndex = b.getLong();
      appliedTerm = b.getLong();
    }
    byte[] membership = db.get(metaCf, APPLIED_MEMBERSHIP_KEY);
    if (membership != null) {
      try {
        appliedMembership = MembershipCodec.decode(membership);
      } catch (IllegalArgumentException e) {
        throw new StorageException("corrupt applied membership record", e);
      }
    }
    long baseIndex = 0;
    byte[] base = db.get(metaCf, LOG_BASE_KEY);
    if (base != null) {
      ByteBuffer b = checkedPair(base, "log base");
      baseIndex = b.getLong();
      baseTerm = b.getLong();
    }
    try (RocksIterator it = db.newIterator(logCf, readOptions)) {
      it.seekToFirst();
      if (!it.isValid()) {
        it.status();
        bounds = new LogBounds(0, 0, baseIndex);
        return;
      }
      long first = indexOf(it.key());
      it.seekToLast();
      it.status();
      bounds = new LogBounds(first, indexOf(it.key()), baseIndex);
    }
  }

  /** Drops a column family and forgets its handle; the caller holds the write lock or is opening. */
  private void dropColumnFamily(ColumnFamilyHandle h) throws RocksDBException {
    db.dropColumnFamily(h);
    handles.remove(h);
    h.close();
  }

  private HardState readHardState() throws RocksDBException {
    byte[] v = db.get(metaCf, HARD_STATE_KEY);
    if (v == null) return HardState.INITIAL;
    ByteBuffer b = checkedPair(v, "hard state");
    return new HardState(b.getLong(), b.getLong());
  }

  private void ensureOpen() {
    if (closed) throw new StorageException("storage at " + dir + " is closed");
  }

  private void ensureWritable() {
    ensureOpen();
    if (failed) throw new StorageException("storage at " + dir + " failed earlier; the node must stop");
  }

  /** The state machine as seen through the pending batch, so later commands see earlier ones. */
  private final class BatchView implements KvWriteView {
    private final WriteBatchWithIndex wb;

    BatchView(WriteBatchWithIndex wb) {
      this.wb = wb;
    }

    @Override
    public String get(String key) {
      try {
        byte[] v = wb.getFromBatchAndDB(db, kvCf, readOptions, utf8(key));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
      } catch (RocksDBException e) {
        throw new StorageException("read while applying failed", e);
      }
    }

    @Override
    public void put(String key, String value) {
      try {
        wb.put(kvCf, utf8(key), utf8(value));
      } catch (RocksDBException e) {
        throw new StorageException("batching a put failed", e);
      }
    }

    @Override
    public void delete(String key) {
      try {
        wb.delete(kvCf, utf8(key));
      } catch (RocksDBException e) {
        throw new StorageException("batching a delete failed", e);
      }
    }
  }

  static byte[] be(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static long indexOf(byte[] key) {
    if (key.length != 8) throw new StorageException("corrupt log key of " + key.length + " bytes");
    return ByteBuffer.wrap(key).getLong();
  }

  static byte[] encodeEntry(LogEntry e) {
    byte[] data = e.data();
    return ByteBuffer.allocate(LOG_HEADER_BYTES + data.length)
        .putLong(e.term())
        .put((byte) e.kind().ordinal())
        .put(data)
        .array();
  }

  static LogEntry decodeEntry(byte[] key, byte[] value) {
    if (value.length < LOG_HEADER_BYTES) {
      throw new StorageException("corrupt log record of " + value.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    long term = b.getLong();
    int kind = b.get() & 0xff;
    byte[] data = new byte[b.remaining()];
    b.get(data);
    try {
      return new LogEntry(indexOf(key), term, LogEntry.Kind.ofOrdinal(kind), data);
    } catch (IllegalArgumentException e) {
      throw new StorageException("corrupt log record: " + e.getMessage(), e);
    }
  }

  private static LogEntry.Kind kindOf(int ordinal) {
    try {
      return LogEntry.Kind.ofOrdinal(ordinal);
    } catch (IllegalArgumentException e) {
      throw new StorageException("corrupt log record: " + e.getMessage(), e);
    }
  }

  private static byte[] pair(long a, long b) {
    return ByteBuffer.allocate(16).putLong(a).putLong(b).array();
  }

  private static ByteBuffer checkedPair(byte[] v, String what) {
    if (v.length != 16) throw new StorageException("corrupt " + what + " record of " + v.length + " bytes");
    return ByteBuffer.wrap(v);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
