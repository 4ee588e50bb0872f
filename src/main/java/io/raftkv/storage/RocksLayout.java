package io.raftkv.storage;

import io.raftkv.raft.core.LogEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.rocksdb.RocksDB;

/**
 * The on-disk format of the RocksDB store (see {@code docs/storage.md}): the column families, the
 * keys of the {@code meta} family and how log records and numbers are encoded. Every class of the
 * store writes through these names, so the format is spelled out in one place.
 *
 * <ul>
 *   <li>{@code log}: 8-byte big-endian index to 8-byte term, 1-byte kind ordinal, payload. Big
 *       endian keeps RocksDB's bytewise order equal to index order, so iteration and {@code
 *       deleteRange} work on index ranges.
 *   <li>{@code meta}: the hard state, the applied position and membership, the log base, the name
 *       of the live kv family, the marker of an install not yet snapshotted, and the identity.
 *   <li>{@code kv} (or {@code kv.N} after the N-th snapshot install): user key to value, UTF-8.
 * </ul>
 */
final class RocksLayout {
  static final String CF_DEFAULT = new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8);
  static final String CF_LOG = "log";
  static final String CF_META = "meta";
  static final String CF_KV = "kv";

  /** Term and votedFor, synced with every persist that changes them. */
  static final byte[] HARD_STATE_KEY = utf8("hard_state");
  /** Applied index and term, written in the same batch as the effects of the apply. */
  static final byte[] APPLIED_KEY = utf8("applied");
  /** The membership of the last CONFIG entry applied or installed. */
  static final byte[] APPLIED_MEMBERSHIP_KEY = utf8("applied_membership");
  /** Index and term of the last compacted entry. */
  static final byte[] LOG_BASE_KEY = utf8("log_base");
  /** The name of the live kv family; absent means {@link #CF_KV}. */
  static final byte[] KV_CF_KEY = utf8("kv_cf");
  /** Index and term of an installed snapshot whose own snapshot is not taken yet. */
  static final byte[] SNAPSHOT_PENDING_KEY = utf8("snapshot_pending");
  static final byte[] INCARNATION_KEY = utf8("incarnation");
  static final byte[] CLUSTER_ID_KEY = utf8("cluster_id");

  /** Term (8 bytes) and kind (1 byte) in front of every log record's payload. */
  static final int LOG_HEADER_BYTES = 9;

  private RocksLayout() {}

  static boolean isKvName(String name) {
    return name.equals(CF_KV) || name.startsWith(CF_KV + ".");
  }

  /** The live kv column family named by the stored meta value (plain "kv" when absent). */
  static String liveKvName(byte[] stored) {
    return stored == null ? CF_KV : new String(stored, StandardCharsets.UTF_8);
  }

  /** The family an install stages into: one past the live one, so names never repeat. */
  static String nextKvName(String live) {
    if (live.equals(CF_KV)) return CF_KV + ".1";
    return CF_KV + "." + (Long.parseLong(live.substring(CF_KV.length() + 1)) + 1);
  }

  static byte[] be(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static long indexOf(byte[] key) {
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

  static LogEntry.Kind kindOf(int ordinal) {
    try {
      return LogEntry.Kind.ofOrdinal(ordinal);
    } catch (IllegalArgumentException e) {
      throw new StorageException("corrupt log record: " + e.getMessage(), e);
    }
  }

  /** Two big-endian longs: an index and a term, or a term and a vote. */
  static byte[] pair(long a, long b) {
    return ByteBuffer.allocate(16).putLong(a).putLong(b).array();
  }

  static ByteBuffer checkedPair(byte[] v, String what) {
    if (v.length != 16) throw new StorageException("corrupt " + what + " record of " + v.length + " bytes");
    return ByteBuffer.wrap(v);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
