package io.raftkv.storage;

import static io.raftkv.storage.RocksLayout.APPLIED_KEY;
import static io.raftkv.storage.RocksLayout.APPLIED_MEMBERSHIP_KEY;
import static io.raftkv.storage.RocksLayout.KV_CF_KEY;
import static io.raftkv.storage.RocksLayout.checkedPair;
import static io.raftkv.storage.RocksLayout.isKvName;
import static io.raftkv.storage.RocksLayout.liveKvName;
import static io.raftkv.storage.RocksLayout.pair;
import static io.raftkv.storage.RocksLayout.utf8;

import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongPredicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;

/**
 * The key-value state machine in the live kv column family of a {@link RocksDatabase}, with its
 * applied index, term and membership in {@code meta}. An apply writes its effects and the new
 * applied position in one batch, so a crash can never apply an entry twice.
 *
 * <p>The live family changes only when a snapshot install commits ({@link #switchTo}); readers on
 * other threads go through the database's read lock, so none holds the old handle when it is
 * dropped.
 */
final class RocksStateMachine implements StateMachineStore {
  private static final byte[] NO_BYTES = new byte[0];

  private final RocksDatabase database;
  // The live state machine; replaced (under the write lock) when a snapshot install commits.
  private volatile ColumnFamilyHandle kvCf;
  private volatile String kvCfName;
  // Only the writer thread changes these; they are volatile so readers see a consistent value.
  private volatile long appliedIndex;
  private volatile long appliedTerm;
  private volatile Membership appliedMembership = Membership.EMPTY;

  private RocksStateMachine(RocksDatabase database) {
    this.database = database;
  }

  /**
   * Picks the live kv column family, drops the others (a staging family of an install that never
   * committed, or the old live family of one that committed but crashed before dropping it), and
   * reads the applied position.
   */
  static RocksStateMachine load(RocksDatabase database) throws RocksDBException {
    RocksStateMachine sm = new RocksStateMachine(database);
    String live = liveKvName(database.db().get(database.meta(), KV_CF_KEY));
    Map<String, ColumnFamilyHandle> families = database.openedFamilies();
    ColumnFamilyHandle liveCf = families.get(live);
    if (liveCf == null) {
      throw new StorageException("live kv column family " + live + " is missing in " + database.directory());
    }
    sm.kvCf = liveCf;
    sm.kvCfName = live;
    for (Map.Entry<String, ColumnFamilyHandle> f : families.entrySet()) {
      if (isKvName(f.getKey()) && !f.getKey().equals(live)) database.dropColumnFamily(f.getValue());
    }
    sm.loadAppliedPosition();
    return sm;
  }

  private void loadAppliedPosition() throws RocksDBException {
    byte[] applied = database.db().get(database.meta(), APPLIED_KEY);
    if (applied != null) {
      ByteBuffer b = checkedPair(applied, "applied position");
      appliedIndex = b.getLong();
      appliedTerm = b.getLong();
    }
    byte[] membership = database.db().get(database.meta(), APPLIED_MEMBERSHIP_KEY);
    if (membership != null) {
      try {
        appliedMembership = MembershipCodec.decode(membership);
      } catch (IllegalArgumentException e) {
        throw new StorageException("corrupt applied membership record", e);
      }
    }
  }

  @Override
  public long appliedIndex() {
    database.ensureOpen();
    return appliedIndex;
  }

  @Override
  public long appliedTerm() {
    database.ensureOpen();
    return appliedTerm;
  }

  /** The membership of the last CONFIG entry applied (or installed), EMPTY if none. */
  Membership appliedMembership() {
    database.ensureOpen();
    return appliedMembership;
  }

  /** The name of the live kv column family, the one a snapshot keeps. */
  String liveFamilyName() {
    return kvCfName;
  }

  @Override
  public List<KvResult> apply(List<LogEntry> entries, LongPredicate resultWanted) {
    return database.write(
        "write of applied entries failed",
        () -> {
          try (WriteBatchWithIndex wb = new WriteBatchWithIndex(true)) {
            ApplyLoop.Outcome outcome =
                ApplyLoop.run(entries, appliedIndex, appliedTerm, new BatchView(wb), resultWanted);
            if (!outcome.advanced()) return outcome.results();
            // The applied position goes into the same batch as the effects, so a crash can never
            // leave effects without the index that says they happened (no double apply).
            wb.put(database.meta(), APPLIED_KEY, pair(outcome.appliedIndex(), outcome.appliedTerm()));
            // Likewise the membership, which a snapshot taken at this applied index must carry.
            if (outcome.membership() != null) {
              wb.put(database.meta(), APPLIED_MEMBERSHIP_KEY, MembershipCodec.encode(outcome.membership()));
            }
            // Unsynced on purpose: the batch is still atomic through the WAL, and losing it in a
            // power failure is harmless because the synced log still holds these entries, which
            // are simply applied again after restart. The next synced persist flushes the WAL
            // anyway, so applying never pays for an fsync of its own.
            database.db().write(database.asyncWrite, wb);
            appliedIndex = outcome.appliedIndex();
            appliedTerm = outcome.appliedTerm();
            if (outcome.membership() != null) appliedMembership = outcome.membership();
            return outcome.results();
          }
        });
  }

  @Override
  public String get(String key) {
    return database.read(
        "read of key failed",
        () -> {
          byte[] v = database.db().get(kvCf, database.readOptions, utf8(key));
          return v == null ? null : new String(v, StandardCharsets.UTF_8);
        });
  }

  @Override
  public KvPage scan(String prefix, String startAfter, int limit, long maxBytes) {
    if (limit < 0) throw new IllegalArgumentException("limit must not be negative, got " + limit);
    byte[] start = utf8(prefix);
    byte[] after = startAfter == null ? null : utf8(startAfter);
    return database.read("prefix scan of the state machine failed", () -> scanPage(start, after, limit, maxBytes));
  }

  private KvPage scanPage(byte[] start, byte[] after, int limit, long maxBytes) throws RocksDBException {
    List<KvPair> page = new ArrayList<>(Math.min(limit, 1024));
    long bytes = 0;
    // Keys sharing a prefix are contiguous in bytewise order, so a seek to the prefix (or to the
    // key to continue after, when that comes later) and a walk until the first key without the
    // prefix visits exactly the matches, never the whole store.
    try (RocksIterator it = database.db().newIterator(kvCf, database.readOptions)) {
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
        // The value's size first (a zero-length read copies nothing), so a value that does not
        // fit the budget is never copied out of RocksDB.
        long size = (long) key.length + it.value(NO_BYTES);
        if (!page.isEmpty() && bytes + size > maxBytes) return new KvPage(page, true);
        page.add(new KvPair(new String(key, StandardCharsets.UTF_8), new String(it.value(), StandardCharsets.UTF_8)));
        bytes += size;
      }
      it.status();
    }
    return new KvPage(page, false);
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) return false;
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) return false;
    }
    return true;
  }

  /** Every applied key and value, sorted; meant for tests and debugging, not for big stores. */
  TreeMap<String, String> dumpKv() {
    return database.read(
        "scan of the state machine failed",
        () -> {
          TreeMap<String, String> out = new TreeMap<>();
          try (RocksIterator it = database.db().newIterator(kvCf, database.readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
              out.put(new String(it.key(), StandardCharsets.UTF_8), new String(it.value(), StandardCharsets.UTF_8));
            }
            it.status();
          }
          return out;
        });
  }

  /**
   * Deletes only write tombstones; a full compaction of the live kv family (bottommost level
   * included, which RocksDB skips by default) drops them together with the values they hide.
   */
  void compact() {
    database.write(
        "compaction of the state machine failed",
        () -> {
          try (CompactRangeOptions options =
              new CompactRangeOptions()
                  .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
            database.db().compactRange(kvCf, null, null, options);
          }
          return null;
        });
  }

  /**
   * Adds to an install's commit batch what makes {@code family} the live state machine at the
   * snapshot's position: its name, the applied index and term, and the membership.
   */
  void addInstallTo(WriteBatch wb, String family, SnapshotMeta meta) throws RocksDBException {
    wb.put(database.meta(), KV_CF_KEY, utf8(family));
    wb.put(database.meta(), APPLIED_KEY, pair(meta.index(), meta.term()));
    wb.put(database.meta(), APPLIED_MEMBERSHIP_KEY, MembershipCodec.encode(meta.membership()));
  }

  /**
   * Makes the installed family live once its commit batch is durable, and returns the replaced
   * one for the caller to drop. The caller holds the database's write lock.
   */
  ColumnFamilyHandle switchTo(ColumnFamilyHandle family, String name, SnapshotMeta meta) {
    ColumnFamilyHandle old = kvCf;
    kvCf = family;
    kvCfName = name;
    appliedIndex = meta.index();
    appliedTerm = meta.term();
    appliedMembership = meta.membership();
    return old;
  }

  /** Closes the shared database: the state machine cannot outlive it. */
  @Override
  public void close() {
    database.close();
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
        byte[] v = wb.getFromBatchAndDB(database.db(), kvCf, database.readOptions, utf8(key));
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
}
