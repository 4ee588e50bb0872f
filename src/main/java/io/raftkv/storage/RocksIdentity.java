package io.raftkv.storage;

import static io.raftkv.storage.RocksLayout.CLUSTER_ID_KEY;
import static io.raftkv.storage.RocksLayout.INCARNATION_KEY;

import java.nio.ByteBuffer;

/**
 * The node's incarnation and cluster id in the {@code meta} column family, next to the Raft state,
 * so wiping the data directory wipes them too. Each save is its own synced write.
 */
final class RocksIdentity implements IdentityStore {
  private final RocksDatabase database;

  RocksIdentity(RocksDatabase database) {
    this.database = database;
  }

  @Override
  public long incarnation() {
    return readLong(INCARNATION_KEY, "incarnation");
  }

  @Override
  public long clusterId() {
    return readLong(CLUSTER_ID_KEY, "cluster id");
  }

  @Override
  public void saveIncarnation(long incarnation) {
    writeLong(INCARNATION_KEY, incarnation, "incarnation");
  }

  @Override
  public void saveClusterId(long clusterId) {
    writeLong(CLUSTER_ID_KEY, clusterId, "cluster id");
  }

  private long readLong(byte[] key, String what) {
    return database.read(
        "reading the " + what + " failed",
        () -> {
          byte[] v = database.db().get(database.meta(), key);
          if (v == null) return 0L;
          if (v.length != Long.BYTES) throw new StorageException("corrupt " + what + " record: " + v.length + " bytes");
          return ByteBuffer.wrap(v).getLong();
        });
  }

  private void writeLong(byte[] key, long value, String what) {
    database.write(
        "synced write of the " + what + " failed",
        () -> {
          database.beforeSync();
          database.db().put(database.meta(), database.syncWrite, key, ByteBuffer.allocate(Long.BYTES).putLong(value).array());
          return null;
        });
  }
}
