package io.raftkv.storage;

import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongPredicate;
import org.rocksdb.RocksDBException;

/**
 * A node's durable storage at {@code data_path}: one RocksDB database ({@link RocksDatabase})
 * holding the Raft log ({@link RocksRaftLog}), the key-value state machine ({@link
 * RocksStateMachine}) and the node's identity ({@link RocksIdentity}), with snapshots in a
 * subdirectory ({@link RocksSnapshotStore}). The on-disk format is {@link RocksLayout}.
 *
 * <p>This class opens the parts in recovery order and offers them as one object, so the node can
 * hand the same store to everything that needs one of its interfaces. {@link #persist}, {@link
 * #apply} and the snapshot operations are meant to be called from one thread (the storage actor);
 * reads may come from any thread, and a {@link SnapshotSource} may be read on any thread.
 */
public final class RocksDbStorage implements RaftLogStore, StateMachineStore, SnapshotStore, IdentityStore {
  private final RocksDatabase database;
  private final RocksStateMachine stateMachine;
  private final RocksRaftLog log;
  private final RocksSnapshotStore snapshots;
  private final RocksIdentity identity;

  private RocksDbStorage(
      RocksDatabase database, RocksStateMachine stateMachine, RocksRaftLog log, RocksSnapshotStore snapshots) {
    this.database = database;
    this.stateMachine = stateMachine;
    this.log = log;
    this.snapshots = snapshots;
    this.identity = new RocksIdentity(database);
  }

  /**
   * Opens (creating if missing) the store at {@code dir} and recovers it: the live state machine
   * and its applied position, the log's bounds, and the snapshot of an install a crash
   * interrupted. {@code maxOpenFiles} bounds the file descriptors RocksDB keeps open; -1 means
   * unlimited.
   */
  public static RocksDbStorage open(Path dir, int maxOpenFiles) {
    return open(dir, maxOpenFiles, SyncDelay.NONE);
  }

  /** As {@link #open(Path, int)}, with every synced write first waiting {@code syncDelay} (tests). */
  public static RocksDbStorage open(Path dir, int maxOpenFiles, SyncDelay syncDelay) {
    RocksDatabase database = RocksDatabase.open(dir, maxOpenFiles, syncDelay);
    try {
      RocksSnapshots snapshotDir = RocksSnapshots.open(dir);
      RocksStateMachine stateMachine = RocksStateMachine.load(database);
      RocksRaftLog log = RocksRaftLog.load(database, snapshotDir, stateMachine);
      RocksSnapshotStore snapshots = new RocksSnapshotStore(database, snapshotDir, log, stateMachine);
      snapshots.finishPendingSnapshot();
      return new RocksDbStorage(database, stateMachine, log, snapshots);
    } catch (RocksDBException | RuntimeException e) {
      database.close();
      if (e instanceof StorageException) throw (StorageException) e;
      throw new StorageException("cannot open RocksDB at " + dir, e);
    }
  }

  public Path directory() {
    return database.directory();
  }

  /** The directory holding this store's snapshots (inside {@link #directory()}). */
  public Path snapshotDirectory() {
    return snapshots.directory().root();
  }

  /**
   * Approximate bytes this node uses on disk: every file under the data directory, which holds
   * the snapshots too, counting each file once even where a snapshot hard-links a live SST file.
   */
  public long diskUsageBytes() {
    return RocksSnapshots.treeSize(database.directory());
  }

  /** The membership of the last CONFIG entry applied (or installed), EMPTY if none. */
  public Membership appliedMembership() {
    return stateMachine.appliedMembership();
  }

  /** Every applied key and value, sorted; meant for tests and debugging, not for big stores. */
  public TreeMap<String, String> dumpKv() {
    return stateMachine.dumpKv();
  }

  /** Test seam: runs right after an install's commit batch is durable, so a test can "crash" there. */
  void afterInstallCommitBatch(Runnable action) {
    snapshots.afterInstallCommitBatch(action);
  }

  // ---- RaftLogStore ----

  @Override
  public Recovered recover() {
    return log.recover();
  }

  @Override
  public List<LogEntry> read(long from, long to, int maxCount, long maxBytes) {
    return log.read(from, to, maxCount, maxBytes);
  }

  @Override
  public void persist(PersistBatch batch) {
    log.persist(batch);
  }

  // ---- StateMachineStore ----

  @Override
  public long appliedIndex() {
    return stateMachine.appliedIndex();
  }

  @Override
  public long appliedTerm() {
    return stateMachine.appliedTerm();
  }

  @Override
  public List<KvResult> apply(List<LogEntry> entries, LongPredicate resultWanted) {
    return stateMachine.apply(entries, resultWanted);
  }

  @Override
  public String get(String key) {
    return stateMachine.get(key);
  }

  @Override
  public KvPage scan(String prefix, String startAfter, int limit, long maxBytes) {
    return stateMachine.scan(prefix, startAfter, limit, maxBytes);
  }

  // ---- SnapshotStore ----

  @Override
  public SnapshotMeta createSnapshot() {
    return snapshots.createSnapshot();
  }

  @Override
  public void compactStateMachine() {
    snapshots.compactStateMachine();
  }

  @Override
  public Optional<SnapshotMeta> latestSnapshot() {
    return snapshots.latestSnapshot();
  }

  @Override
  public SnapshotSource openSnapshot() {
    return snapshots.openSnapshot();
  }

  @Override
  public SnapshotSink beginInstall(SnapshotMeta meta) {
    return snapshots.beginInstall(meta);
  }

  @Override
  public SnapshotSink resumeInstall(SnapshotMeta meta, long leaderTerm) {
    return snapshots.resumeInstall(meta, leaderTerm);
  }

  @Override
  public void purgeLog(long uptoIndex) {
    snapshots.purgeLog(uptoIndex);
  }

  // ---- IdentityStore ----

  @Override
  public long incarnation() {
    return identity.incarnation();
  }

  @Override
  public long clusterId() {
    return identity.clusterId();
  }

  @Override
  public void saveIncarnation(long incarnation) {
    identity.saveIncarnation(incarnation);
  }

  @Override
  public void saveClusterId(long clusterId) {
    identity.saveClusterId(clusterId);
  }

  /** Syncs the WAL, so a clean stop keeps every apply, then releases every native handle. */
  @Override
  public void close() {
    database.close();
  }
}
