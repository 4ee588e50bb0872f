package io.raftkv.storage;

import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
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
 * The node's durable state in one RocksDB database with three column families: {@code log}
 * (8-byte big-endian index -> term, kind, payload), {@code meta} (hard state, applied index) and
 * {@code kv} (the state machine). One database means one write-ahead log, so a batch that spans
 * column families is atomic.
 */
public final class RocksDbStorage implements RaftLogStore, StateMachineStore {
  static {
    RocksDB.loadLibrary();
  }

  private static final byte[] HARD_STATE_KEY = "hard_state".getBytes(StandardCharsets.UTF_8);
  private static final byte[] APPLIED_KEY = "applied".getBytes(StandardCharsets.UTF_8);

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle logCf;
  private final ColumnFamilyHandle metaCf;
  private final ColumnFamilyHandle kvCf;
  private final WriteOptions syncWrite;
  private final WriteOptions asyncWrite;
  private volatile long appliedIndex;
  private volatile long appliedTerm;
  private volatile boolean closed;

  private RocksDbStorage(Path dir, int maxOpenFiles) throws RocksDBException {
    this.dir = dir;
    this.dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setMaxOpenFiles(maxOpenFiles);
    this.cfOptions = new ColumnFamilyOptions();
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(bytes("log"), cfOptions),
        new ColumnFamilyDescriptor(bytes("meta"), cfOptions),
        new ColumnFamilyDescriptor(bytes("kv"), cfOptions));
    this.handles = new ArrayList<>();
    this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    this.logCf = handles.get(1);
    this.metaCf = handles.get(2);
    this.kvCf = handles.get(3);
    this.syncWrite = new WriteOptions().setSync(true);
    this.asyncWrite = new WriteOptions();
    byte[] applied = db.get(metaCf, APPLIED_KEY);
    if (applied != null) {
      ByteBuffer b = ByteBuffer.wrap(applied);
      appliedIndex = b.getLong();
      appliedTerm = b.getLong();
    }
  }

  /** Opens (creating if needed) the database in {@code dir}. */
  public static RocksDbStorage open(Path dir, int maxOpenFiles) {
    try {
      Files.createDirectories(dir);
      return new RocksDbStorage(dir, maxOpenFiles);
    } catch (RocksDBException | java.io.IOException e) {
      throw new StorageException("cannot open the database at " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Recovered recover() {
    ensureOpen();
    try {
      HardState hs = HardState.INITIAL;
      byte[] raw = db.get(metaCf, HARD_STATE_KEY);
      if (raw != null) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        hs = new HardState(b.getLong(), b.getLong());
      }
      List<LogEntry> log = new ArrayList<>();
      try (RocksIterator it = db.newIterator(logCf)) {
        for (it.seekToFirst(); it.isValid(); it.next()) log.add(decodeEntry(it.key(), it.value()));
      }
      return new Recovered(hs, log, appliedIndex, appliedTerm);
    } catch (RocksDBException e) {
      throw new StorageException("cannot read the log at " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void persist(PersistBatch batch) {
    ensureOpen();
    if (batch.isEmpty()) return;
    try (WriteBatch wb = new WriteBatch()) {
      if (batch.hardState() != null) {
        wb.put(metaCf, HARD_STATE_KEY, longs(batch.hardState().term(), batch.hardState().votedFor()));
      }
      if (batch.truncateFrom() > 0) {
        wb.deleteRange(logCf, indexKey(batch.truncateFrom()), indexKey(Long.MAX_VALUE));
      }
      long expected = -1;
      for (LogEntry e : batch.entries()) {
        if (expected != -1 && e.index() != expected) {
          throw new IllegalArgumentException("entries not contiguous at " + e.index());
        }
        expected = e.index() + 1;
        wb.put(logCf, indexKey(e.index()), encodeEntry(e));
      }
      // The sync is what makes the acknowledgement that follows honest (Figure 2).
      db.write(syncWrite, wb);
    } catch (RocksDBException e) {
      throw new StorageException("synced write to " + dir + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public long appliedTerm() {
    return appliedTerm;
  }

  /**
   * Applies entries and records the new applied index in the same batch. The batch is not
   * synced: the log is the durable source of truth, so after a crash that loses this batch the
   * entries are applied again from the log, and because the state and the applied index are in
   * one atomic batch they are applied exactly once either way. Any later synced log write also
   * flushes this batch from the write-ahead log.
   */
  @Override
  public synchronized List<KvResult> apply(List<LogEntry> entries) {
    ensureOpen();
    List<KvResult> results = new ArrayList<>(entries.size());
    long newIndex = appliedIndex;
    long newTerm = appliedTerm;
    try (WriteBatchWithIndex wb = new WriteBatchWithIndex(true);
        ReadOptions ro = new ReadOptions()) {
      KvWriteView view = new BatchView(wb, ro);
      for (LogEntry e : entries) {
        if (e.index() <= newIndex) {
          results.add(KvResult.NONE);
          continue;
        }
        if (e.index() != newIndex + 1) {
          throw new IllegalStateException("apply of " + e.index() + " after applied index " + newIndex);
        }
        results.add(e.kind() == LogEntry.Kind.COMMAND
            ? KvApplier.apply(KvCommandCodec.decode(e.data()), view)
            : KvResult.NONE);
        newIndex = e.index();
        newTerm = e.term();
      }
      if (newIndex == appliedIndex) return results;
      wb.put(metaCf, APPLIED_KEY, longs(newIndex, newTerm));
      db.write(asyncWrite, wb);
    } catch (RocksDBException e) {
      throw new StorageException("apply to " + dir + " failed: " + e.getMessage(), e);
    }
    appliedIndex = newIndex;
    appliedTerm = newTerm;
    return results;
  }

  @Override
  public String get(String key) {
    ensureOpen();
    try {
      byte[] v = db.get(kvCf, bytes(key));
      return v == null ? null : new String(v, StandardCharsets.UTF_8);
    } catch (RocksDBException e) {
      throw new StorageException("read from " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /** Every key and value, sorted; for tests and diagnostics on small data sets. */
  public TreeMap<String, String> dumpKv() {
    ensureOpen();
    TreeMap<String, String> out = new TreeMap<>();
    try (RocksIterator it = db.newIterator(kvCf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.put(new String(it.key(), StandardCharsets.UTF_8), new String(it.value(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    for (ColumnFamilyHandle h : handles) h.close();
    db.close();
    syncWrite.close();
    asyncWrite.close();
    dbOptions.close();
    cfOptions.close();
  }

  private void ensureOpen() {
    if (closed) throw new StorageException("the database at " + dir + " is closed");
  }

  /** Reads through the batch so later commands of one apply see earlier ones. */
  private final class BatchView implements KvWriteView {
    private final WriteBatchWithIndex wb;
    private final ReadOptions ro;

    BatchView(WriteBatchWithIndex wb, ReadOptions ro) {
      this.wb = wb;
      this.ro = ro;
    }

    @Override
    public String get(String key) {
      try {
        byte[] v = wb.getFromBatchAndDB(db, kvCf, ro, bytes(key));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
      } catch (RocksDBException e) {
        throw new StorageException("read during apply failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void put(String key, String value) {
      try {
        wb.put(kvCf, bytes(key), bytes(value));
      } catch (RocksDBException e) {
        throw new StorageException("apply failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void delete(String key) {
      try {
        wb.delete(kvCf, bytes(key));
      } catch (RocksDBException e) {
        throw new StorageException("apply failed: " + e.getMessage(), e);
      }
    }
  }

  static byte[] indexKey(long index) {
    return ByteBuffer.allocate(8).putLong(index).array();
  }

  static byte[] encodeEntry(LogEntry e) {
    return ByteBuffer.allocate(8 + 1 + e.data().length).putLong(e.term()).put((byte) e.kind().ordinal()).put(e.data()).array();
  }

  static LogEntry decodeEntry(byte[] key, byte[] value) {
    long index = ByteBuffer.wrap(key).getLong();
    ByteBuffer b = ByteBuffer.wrap(value);
    long term = b.getLong();
    LogEntry.Kind kind = LogEntry.Kind.ofOrdinal(b.get());
    byte[] data = new byte[b.remaining()];
    b.get(data);
    return new LogEntry(index, term, kind, data);
  }

  private static byte[] longs(long a, long b) {
    return ByteBuffer.allocate(16).putLong(a).putLong(b).array();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
