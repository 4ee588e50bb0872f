package io.raftkv.storage;

import static io.raftkv.storage.RocksLayout.CF_DEFAULT;
import static io.raftkv.storage.RocksLayout.CF_KV;
import static io.raftkv.storage.RocksLayout.CF_LOG;
import static io.raftkv.storage.RocksLayout.CF_META;
import static io.raftkv.storage.RocksLayout.isKvName;
import static io.raftkv.storage.RocksLayout.utf8;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * The one RocksDB database a node keeps at {@code data_path}, shared by the log, the state
 * machine, the identity and the snapshot install. It owns every native handle: the database, its
 * column families, the options and the write options (synced for what Raft must not lose, unsynced
 * for applies, WAL-less for staging).
 *
 * <p>It also owns the two rules every part follows. A read-write lock keeps every native call out
 * of {@link #close} and out of the switch of the live kv column family, because touching a freed
 * RocksDB handle crashes the JVM rather than throwing. And a failed write marks the database
 * failed: after a failed sync the state on disk is unknown, so the node must stop, and every later
 * write is refused even if a caller forgets.
 */
final class RocksDatabase implements AutoCloseable {
  static {
    // Loading is idempotent inside RocksDB, but doing it in a static initialiser makes it happen
    // exactly once per class loader and before any handle is created.
    RocksDB.loadLibrary();
  }

  /** A call into RocksDB. */
  @FunctionalInterface
  interface RocksCall<T> {
    T call() throws RocksDBException;
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final RocksDB db;
  // Every open column family handle; changed only under the write lock (or while opening).
  private final List<ColumnFamilyHandle> handles;
  private final Map<String, ColumnFamilyHandle> openedFamilies;
  private final ColumnFamilyHandle logCf;
  private final ColumnFamilyHandle metaCf;
  private final SyncDelay syncDelay;
  final WriteOptions syncWrite = new WriteOptions().setSync(true);
  final WriteOptions asyncWrite = new WriteOptions().setSync(false);
  final WriteOptions noWalWrite = new WriteOptions().setDisableWAL(true);
  final ReadOptions readOptions = new ReadOptions();

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;
  private volatile boolean failed;

  private RocksDatabase(
      Path dir, DBOptions dbOptions, ColumnFamilyOptions cfOptions, RocksDB db, List<String> names,
      List<ColumnFamilyHandle> handles, SyncDelay syncDelay) {
    this.dir = dir;
    this.syncDelay = syncDelay;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.db = db;
    this.handles = handles;
    Map<String, ColumnFamilyHandle> byName = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) byName.put(names.get(i), handles.get(i));
    this.openedFamilies = Collections.unmodifiableMap(byName);
    this.logCf = byName.get(CF_LOG);
    this.metaCf = byName.get(CF_META);
  }

  /**
   * Opens (creating if missing) the database at {@code dir} with every column family it holds.
   * {@code maxOpenFiles} bounds the file descriptors RocksDB keeps open; -1 means unlimited.
   */
  static RocksDatabase open(Path dir, int maxOpenFiles) {
    return open(dir, maxOpenFiles, SyncDelay.NONE);
  }

  /** As {@link #open(Path, int)}, with every synced write first waiting {@code syncDelay}. */
  static RocksDatabase open(Path dir, int maxOpenFiles, SyncDelay syncDelay) {
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
    try {
      // Every existing column family must be opened, and which kv family is live is only known
      // from meta, so open them all and let the state machine sort out stale ones afterwards.
      List<String> names = columnFamilyNames(dir);
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (String n : names) descriptors.add(new ColumnFamilyDescriptor(utf8(n), cfOptions));
      RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      return new RocksDatabase(dir, dbOptions, cfOptions, db, names, handles, syncDelay);
    } catch (RocksDBException | RuntimeException e) {
      for (ColumnFamilyHandle h : handles) h.close();
      cfOptions.close();
      dbOptions.close();
      if (e instanceof StorageException) throw (StorageException) e;
      throw new StorageException("cannot open RocksDB at " + dir, e);
    }
  }

  /** The column families to open: the fixed ones plus whatever the database already holds. */
  private static List<String> columnFamilyNames(Path dir) throws RocksDBException {
    Set<String> names = new LinkedHashSet<>();
    names.add(CF_DEFAULT);
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

  Path directory() {
    return dir;
  }

  /** The native database; call it only under {@link #readLock} (or the write lock). */
  RocksDB db() {
    return db;
  }

  ColumnFamilyHandle log() {
    return logCf;
  }

  ColumnFamilyHandle meta() {
    return metaCf;
  }

  /**
   * The column families found at open, by name, in the order they were opened: for the state
   * machine to pick the live kv family while the store opens. A family dropped since keeps its
   * entry here with a closed handle.
   */
  Map<String, ColumnFamilyHandle> openedFamilies() {
    return openedFamilies;
  }

  /** Creates a column family; the caller holds the write lock. */
  ColumnFamilyHandle createColumnFamily(String name) throws RocksDBException {
    ColumnFamilyHandle h = db.createColumnFamily(new ColumnFamilyDescriptor(utf8(name), cfOptions));
    handles.add(h);
    return h;
  }

  /** Drops a column family and forgets its handle; the caller holds the write lock or is opening. */
  void dropColumnFamily(ColumnFamilyHandle h) throws RocksDBException {
    db.dropColumnFamily(h);
    handles.remove(h);
    h.close();
  }

  /** Held by every native call, so none can run into {@link #close} or a family switch. */
  Lock readLock() {
    return lock.readLock();
  }

  /** Held to close the database and to switch (and drop) the live kv family. */
  Lock writeLock() {
    return lock.writeLock();
  }

  /**
   * Runs a read under the read lock; a RocksDB error becomes a {@link StorageException} whose
   * message is {@code failure}. A failed read leaves the disk as it was, so it does not fail the
   * store.
   */
  <T> T read(String failure, RocksCall<T> call) {
    lock.readLock().lock();
    try {
      ensureOpen();
      return call.call();
    } catch (RocksDBException e) {
      throw new StorageException(failure, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Runs a write under the read lock (writes exclude only close and the family switch, not each
   * other: the storage actor is their one caller). A RocksDB error marks the store failed and
   * becomes a {@link StorageException} whose message is {@code failure}.
   */
  <T> T write(String failure, RocksCall<T> call) {
    lock.readLock().lock();
    try {
      ensureWritable();
      return call.call();
    } catch (RocksDBException e) {
      failed = true;
      throw new StorageException(failure, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Call right before a synced write: a test may model a slow disk here ({@link SyncDelay}). */
  void beforeSync() {
    syncDelay.beforeSync();
  }

  /** Records that a write failed: from now on every write is refused and the node must stop. */
  void markFailed() {
    failed = true;
  }

  boolean hasFailed() {
    return failed;
  }

  boolean isClosed() {
    return closed;
  }

  void ensureOpen() {
    if (closed) throw new StorageException("storage at " + dir + " is closed");
  }

  void ensureWritable() {
    ensureOpen();
    if (failed) throw new StorageException("storage at " + dir + " failed earlier; the node must stop");
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
      noWalWrite.close();
      readOptions.close();
      cfOptions.close();
      dbOptions.close();
      if (failure != null) throw failure;
    } finally {
      lock.writeLock().unlock();
    }
  }
}
