package io.raftkv.storage;

import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
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
 *   <li>{@code meta}: the hard state (term, votedFor) and the applied index and term.
 *   <li>{@code kv}: user key to value, both UTF-8.
 * </ul>
 *
 * <p>{@link #persist} and {@link #apply} are meant to be called from one thread (the storage
 * actor); {@link #get} may be called from any thread. A read-write lock keeps every native call
 * out of {@link #close}, because touching a freed RocksDB handle crashes the JVM rather than
 * throwing.
 */
public final class RocksDbStorage implements RaftLogStore, StateMachineStore {
  static final String CF_LOG = "log";
  static final String CF_META = "meta";
  static final String CF_KV = "kv";

  private static final byte[] HARD_STATE_KEY = "hard_state".getBytes(StandardCharsets.UTF_8);
  private static final byte[] APPLIED_KEY = "applied".getBytes(StandardCharsets.UTF_8);
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
  private final ReadOptions readOptions;
  private final List<ColumnFamilyHandle> handles;
  private final RocksDB db;
  private final ColumnFamilyHandle logCf;
  private final ColumnFamilyHandle metaCf;
  private final ColumnFamilyHandle kvCf;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;
  // Set once a write fails: after a failed sync the state on disk is unknown, so the node must
  // stop and this store refuses further writes even if the caller forgets.
  private volatile boolean failed;

  // Only the writer thread changes these; they are volatile so readers see a consistent value.
  private volatile LogBounds bounds;
  private volatile long appliedIndex;
  private volatile long appliedTerm;

  private RocksDbStorage(
      Path dir,
      DBOptions dbOptions,
      ColumnFamilyOptions cfOptions,
      List<ColumnFamilyHandle> handles,
      RocksDB db) {
    this.dir = dir;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.handles = handles;
    this.db = db;
    this.logCf = handles.get(1);
    this.metaCf = handles.get(2);
    this.kvCf = handles.get(3);
    this.syncWrite = new WriteOptions().setSync(true);
    this.asyncWrite = new WriteOptions().setSync(false);
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
    // The order here fixes the positions of the handles used by the constructor.
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
            new ColumnFamilyDescriptor(utf8(CF_LOG), cfOptions),
            new ColumnFamilyDescriptor(utf8(CF_META), cfOptions),
            new ColumnFamilyDescriptor(utf8(CF_KV), cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db = null;
    RocksDbStorage storage = null;
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      storage = new RocksDbStorage(dir, dbOptions, cfOptions, handles, db);
      storage.loadPositions();
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
      if (e instanceof StorageException se) throw se;
      throw new StorageException("cannot open RocksDB at " + dir, e);
    }
  }

  public Path directory() {
    return dir;
  }

  // ---- RaftLogStore ----

  @Override
  public Recovered recover() {
    lock.readLock().lock();
    try {
      ensureOpen();
      HardState hs = readHardState();
      List<LogEntry> log = new ArrayList<>();
      try (RocksIterator it = db.newIterator(logCf, readOptions)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          LogEntry e = decodeEntry(it.key(), it.value());
          if (!log.isEmpty() && e.index() != log.get(log.size() - 1).index() + 1) {
            throw new StorageException("stored log has a gap before index " + e.index());
          }
          log.add(e);
        }
        it.status();
      }
      return new Recovered(hs, log, appliedIndex, appliedTerm);
    } catch (RocksDBException e) {
      throw new StorageException("cannot read the log", e);
    } finally {
      lock.readLock().unlock();
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
  public List<KvResult> apply(List<LogEntry> entries) {
    lock.readLock().lock();
    try {
      ensureWritable();
      try (WriteBatchWithIndex wb = new WriteBatchWithIndex(true)) {
        ApplyLoop.Outcome outcome =
            ApplyLoop.run(entries, appliedIndex, appliedTerm, new BatchView(wb));
        if (!outcome.advanced()) return outcome.results();
        // The applied position goes into the same batch as the effects, so a crash can never
        // leave effects without the index that says they happened (no double apply).
        wb.put(metaCf, APPLIED_KEY, pair(outcome.appliedIndex(), outcome.appliedTerm()));
        // Unsynced on purpose: the batch is still atomic through the WAL, and losing it in a
        // power failure is harmless because the synced log still holds these entries, which are
        // simply applied again after restart. The next synced persist flushes the WAL anyway,
        // so applying never pays for an fsync of its own.
        db.write(asyncWrite, wb);
        appliedIndex = outcome.appliedIndex();
        appliedTerm = outcome.appliedTerm();
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
      syncWrite.close();
      asyncWrite.close();
      readOptions.close();
      cfOptions.close();
      dbOptions.close();
      if (failure != null) throw failure;
    } finally {
      lock.writeLock().unlock();
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
    try (RocksIterator it = db.newIterator(logCf, readOptions)) {
      it.seekToFirst();
      if (!it.isValid()) {
        it.status();
        bounds = LogBounds.EMPTY;
        return;
      }
      long first = indexOf(it.key());
      it.seekToLast();
      it.status();
      bounds = new LogBounds(first, indexOf(it.key()));
    }
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
