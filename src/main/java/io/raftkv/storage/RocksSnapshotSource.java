package io.raftkv.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Streams one snapshot directory through a private read-only RocksDB instance, independent of the
 * live database, so it outlives a newer snapshot and even the close of the store. It iterates the
 * kv column family in key order, so memory use is bounded by a chunk, not by the state.
 */
final class RocksSnapshotSource implements SnapshotSource {
  private final SnapshotMeta meta;
  private final String dirName;
  private final Runnable onClose;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final ReadOptions readOptions;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;
  private final RocksIterator it;
  private boolean closed;

  /** Opens the snapshot at {@code dir}; {@code onClose} runs once, when the source is closed. */
  RocksSnapshotSource(SnapshotMeta meta, String dirName, Path dir, Runnable onClose) {
    this.meta = meta;
    this.dirName = dirName;
    this.onClose = onClose;
    this.dbOptions = new DBOptions();
    this.cfOptions = new ColumnFamilyOptions();
    // A one-pass scan would only evict useful blocks from the cache.
    this.readOptions = new ReadOptions().setFillCache(false);
    RocksDB opened = null;
    try {
      List<byte[]> names;
      try (Options options = new Options()) {
        names = RocksDB.listColumnFamilies(options, dir.toString());
      }
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (byte[] n : names) descriptors.add(new ColumnFamilyDescriptor(n, cfOptions));
      opened = RocksDB.openReadOnly(dbOptions, dir.toString(), descriptors, handles);
      Map<String, ColumnFamilyHandle> byName = new HashMap<>();
      for (int i = 0; i < names.size(); i++) {
        byName.put(new String(names.get(i), StandardCharsets.UTF_8), handles.get(i));
      }
      ColumnFamilyHandle metaCf = byName.get(RocksLayout.CF_META);
      if (metaCf == null) throw new StorageException("snapshot " + dir + " has no meta column family");
      // The copy's own meta names its kv family: the one that was live when it was taken.
      String kvName = RocksLayout.liveKvName(opened.get(metaCf, RocksLayout.KV_CF_KEY));
      ColumnFamilyHandle kv = byName.get(kvName);
      if (kv == null) throw new StorageException("snapshot " + dir + " lacks column family " + kvName);
      this.db = opened;
      this.it = opened.newIterator(kv, readOptions);
      it.seekToFirst();
    } catch (RocksDBException | RuntimeException e) {
      for (ColumnFamilyHandle h : handles) h.close();
      if (opened != null) opened.close();
      readOptions.close();
      cfOptions.close();
      dbOptions.close();
      if (e instanceof StorageException) throw (StorageException) e;
      throw new StorageException("cannot open snapshot " + dir, e);
    }
  }

  @Override
  public SnapshotMeta meta() {
    return meta;
  }

  @Override
  public synchronized byte[] nextChunk(int maxBytes) {
    if (closed) throw new IllegalStateException("snapshot source is closed");
    SnapshotChunks.Builder chunk = new SnapshotChunks.Builder();
    // The iterator stays on a pair that did not fit, so it starts the next chunk.
    while (it.isValid() && chunk.tryAdd(it.key(), it.value(), maxBytes)) it.next();
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new StorageException("reading snapshot " + dirName + " failed", e);
    }
    return chunk.count() == 0 ? null : chunk.build();
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    it.close();
    for (ColumnFamilyHandle h : handles) h.close();
    db.close();
    readOptions.close();
    cfOptions.close();
    dbOptions.close();
    onClose.run();
  }
}
