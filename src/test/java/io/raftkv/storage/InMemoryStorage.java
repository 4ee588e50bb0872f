package io.raftkv.storage;

import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.StoredLog;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The in-memory twin of {@link RocksDbStorage} for the deterministic simulator, with the same
 * crash semantics: {@link #persist} models a synced write and is durable at once, while the
 * effects of {@link #apply} model RocksDB's unsynced WAL writes and only become durable at the
 * next {@link #persist} (whose sync flushes the WAL) or a clean {@link #close}. {@link
 * #crashAndRecover} returns what a restarted node would find on disk.
 *
 * <p>Snapshots follow the RocksDB store too: {@link #createSnapshot}, {@link #purgeLog} and a
 * snapshot install's commit are synced writes, so they are durable at once and make the earlier
 * applies durable with them. A snapshot is a deep copy of the key-value map that is never
 * mutated afterwards, which is what lets a {@link SnapshotSource} read it while the node runs on.
 *
 * <p>Only sorted maps are used and nothing depends on threads or clocks (the snapshot time comes
 * from an injected clock), so one simulator seed always produces the same run. Methods are
 * synchronized only so the class stays safe if a test happens to read from another thread; the
 * simulator itself is single-threaded.
 */
public final class InMemoryStorage implements RaftLogStore, StateMachineStore, SnapshotStore, IdentityStore {
  /** A durable snapshot: its metadata and a private copy of the state it holds. */
  private record Snapshot(SnapshotMeta meta, TreeMap<String, String> kv) {}

  private final LongSupplier clockMillis;

  // Durable state: what survives a crash.
  private HardState hardState;
  private final TreeMap<Long, LogEntry> log;
  private final TreeMap<String, String> durableKv;
  private long durableAppliedIndex;
  private long durableAppliedTerm;
  private Membership durableAppliedMembership;
  private long baseIndex;
  private long baseTerm;
  private Snapshot latest;

  // Live state: what reads see, ahead of the durable copy by the applies since the last persist.
  private final TreeMap<String, String> kv;
  private long appliedIndex;
  private long appliedTerm;
  private Membership appliedMembership;
  // The applies not yet durable, in order, as (key, value-or-null-for-delete). Replaying them at
  // the next persist keeps the cost proportional to the changes rather than to the whole map.
  private final List<Map.Entry<String, String>> unsynced = new ArrayList<>();

  private LogBounds bounds;
  private Sink activeSink;
  private boolean closed;
  // Identity is saved synchronously, so it is always durable and survives a crash.
  private long incarnation;
  private long clusterId;

  public InMemoryStorage() {
    // A fixed time keeps simulated runs reproducible; callers who want real times pass a clock.
    this(() -> 0L);
  }

  /** {@code clockMillis} stamps snapshots; the simulator passes its virtual clock. */
  public InMemoryStorage(LongSupplier clockMillis) {
    this(clockMillis, HardState.INITIAL, new TreeMap<>(), new TreeMap<>(), 0, 0, Membership.EMPTY, 0, 0, null);
  }

  private InMemoryStorage(
      LongSupplier clockMillis,
      HardState hardState,
      TreeMap<Long, LogEntry> log,
      TreeMap<String, String> kv,
      long appliedIndex,
      long appliedTerm,
      Membership appliedMembership,
      long baseIndex,
      long baseTerm,
      Snapshot latest) {
    this.clockMillis = clockMillis;
    this.hardState = hardState;
    this.log = log;
    this.durableKv = kv;
    this.kv = new TreeMap<>(kv);
    this.durableAppliedIndex = appliedIndex;
    this.durableAppliedTerm = appliedTerm;
    this.durableAppliedMembership = appliedMembership;
    this.appliedIndex = appliedIndex;
    this.appliedTerm = appliedTerm;
    this.appliedMembership = appliedMembership;
    this.baseIndex = baseIndex;
    this.baseTerm = baseTerm;
    this.latest = latest;
    this.bounds =
        log.isEmpty() ? new LogBounds(0, 0, baseIndex) : new LogBounds(log.firstKey(), log.lastKey(), baseIndex);
  }

  /**
   * Simulates a process crash and restart: this instance is closed (a dead process writes
   * nothing more) and a new one holds only the durable state. Calling it after {@link #close}
   * models a restart after a clean shutdown, which keeps every apply.
   */
  public synchronized InMemoryStorage crashAndRecover() {
    closed = true;
    // An install still receiving chunks lived only in the dead process; its staging is gone.
    activeSink = null;
    InMemoryStorage recovered = new InMemoryStorage(
        clockMillis,
        hardState,
        new TreeMap<>(log),
        new TreeMap<>(durableKv),
        durableAppliedIndex,
        durableAppliedTerm,
        durableAppliedMembership,
        baseIndex,
        baseTerm,
        latest);
    recovered.incarnation = incarnation;
    recovered.clusterId = clusterId;
    return recovered;
  }

  @Override
  public synchronized long incarnation() {
    return incarnation;
  }

  @Override
  public synchronized long clusterId() {
    return clusterId;
  }

  @Override
  public synchronized void saveIncarnation(long incarnation) {
    if (closed) throw new StorageException("storage is closed");
    this.incarnation = incarnation;
  }

  @Override
  public synchronized void saveClusterId(long clusterId) {
    if (closed) throw new StorageException("storage is closed");
    this.clusterId = clusterId;
  }

  /** A sorted copy of the applied key-value state as reads currently see it. */
  public synchronized Map<String, String> snapshotOfKv() {
    ensureOpen();
    return new TreeMap<>(kv);
  }

  /** The membership of the last CONFIG entry applied (or installed), EMPTY if none. */
  public synchronized Membership appliedMembership() {
    ensureOpen();
    return appliedMembership;
  }

  // ---- what the simulator's checkers read: the durable log, without rebuilding its shape ----

  /** The hard state as last synced. */
  public synchronized HardState durableHardState() {
    return hardState;
  }

  /** The index the log was compacted up to; entries start after it. */
  public synchronized long durableBaseIndex() {
    return baseIndex;
  }

  public synchronized long durableBaseTerm() {
    return baseTerm;
  }

  /** The durable entry at {@code index}, or null when compacted or beyond the log. */
  public synchronized LogEntry durableEntry(long index) {
    return log.get(index);
  }

  /** The last durable log index (the base when the log is empty). */
  public synchronized long durableLastIndex() {
    return log.isEmpty() ? baseIndex : log.lastKey();
  }

  // ---- RaftLogStore ----

  @Override
  public synchronized Recovered recover() {
    ensureOpen();
    StoredLog.Builder shape = new StoredLog.Builder(baseIndex, baseTerm);
    long snapshotIndex = latest == null ? 0 : latest.meta().index();
    long appliedBytes = 0;
    try {
      for (LogEntry e : log.values()) {
        shape.add(e.index(), e.term(), e.kind(), i -> e);
        if (e.index() > snapshotIndex && e.index() <= appliedIndex) appliedBytes += e.sizeBytes();
      }
    } catch (IllegalStateException e) {
      throw new StorageException(e.getMessage(), e);
    }
    return new Recovered(
        hardState,
        shape.build(),
        appliedIndex,
        appliedTerm,
        latest == null ? Membership.EMPTY : latest.meta().membership(),
        snapshotIndex,
        appliedBytes);
  }

  @Override
  public synchronized List<LogEntry> read(long from, long to, int maxCount, long maxBytes) {
    ensureOpen();
    List<LogEntry> out = new ArrayList<>();
    long bytes = 0;
    for (long i = from; i <= to && out.size() < maxCount; i++) {
      LogEntry e = log.get(i);
      if (e == null) break; // compacted or never written: the answer stops here
      bytes += e.sizeBytes();
      if (!out.isEmpty() && bytes > maxBytes) break;
      out.add(e);
    }
    return out;
  }

  @Override
  public synchronized void persist(PersistBatch batch) {
    ensureOpen();
    LogBounds next = bounds.after(batch);
    if (batch.hardState() != null) hardState = batch.hardState();
    if (batch.truncateFrom() > 0) log.tailMap(batch.truncateFrom(), true).clear();
    for (LogEntry e : batch.entries()) log.put(e.index(), e);
    bounds = next;
    flushApplies();
  }

  // ---- StateMachineStore ----

  @Override
  public synchronized long appliedIndex() {
    ensureOpen();
    return appliedIndex;
  }

  @Override
  public synchronized long appliedTerm() {
    ensureOpen();
    return appliedTerm;
  }

  @Override
  public synchronized List<KvResult> apply(List<LogEntry> entries, LongPredicate resultWanted) {
    ensureOpen();
    ApplyLoop.Outcome outcome = ApplyLoop.run(entries, appliedIndex, appliedTerm, new LiveView(), resultWanted);
    appliedIndex = outcome.appliedIndex();
    appliedTerm = outcome.appliedTerm();
    if (outcome.membership() != null) appliedMembership = outcome.membership();
    return outcome.results();
  }

  @Override
  public synchronized String get(String key) {
    ensureOpen();
    return kv.get(key);
  }

  @Override
  public synchronized KvPage scan(String prefix, String startAfter, int limit, long maxBytes) {
    ensureOpen();
    if (limit < 0) throw new IllegalArgumentException("limit must not be negative, got " + limit);
    // Strings sharing a prefix are contiguous in String order too, so the tail from the prefix
    // holds every match before the first non-match. The pairs share the map's strings: nothing
    // is copied here.
    List<KvPair> matches = new ArrayList<>();
    for (Map.Entry<String, String> e : kv.tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) break;
      if (startAfter != null && compareCodePoints(e.getKey(), startAfter) <= 0) continue;
      matches.add(new KvPair(e.getKey(), e.getValue()));
    }
    // RocksDB orders by UTF-8 bytes (code points) while a String TreeMap orders by UTF-16 code
    // units; the two differ for characters above U+FFFF, so the twin re-sorts to match before
    // cutting the page.
    matches.sort((a, b) -> compareCodePoints(a.key(), b.key()));
    List<KvPair> page = new ArrayList<>();
    long bytes = 0;
    for (KvPair p : matches) {
      if (page.size() >= limit) return new KvPage(page, true);
      long size = (long) p.key().getBytes(StandardCharsets.UTF_8).length
          + p.value().getBytes(StandardCharsets.UTF_8).length;
      if (!page.isEmpty() && bytes + size > maxBytes) return new KvPage(page, true);
      page.add(p);
      bytes += size;
    }
    return new KvPage(page, false);
  }

  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) return Integer.compare(ca, cb);
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  // ---- SnapshotStore ----

  @Override
  public synchronized SnapshotMeta createSnapshot() {
    ensureOpen();
    // Like the RocksDB store, which syncs its WAL first: a snapshot never runs ahead of the
    // durable applied state, so a crash cannot leave a snapshot newer than the state machine.
    flushApplies();
    TreeMap<String, String> copy = new TreeMap<>(kv);
    SnapshotMeta meta =
        new SnapshotMeta(appliedIndex, appliedTerm, appliedMembership, sizeOf(copy), clockMillis.getAsLong());
    latest = new Snapshot(meta, copy);
    return meta;
  }

  /** Nothing to do: a map frees a deleted entry at once. */
  @Override
  public synchronized void compactStateMachine() {
    ensureOpen();
  }

  @Override
  public synchronized Optional<SnapshotMeta> latestSnapshot() {
    ensureOpen();
    return latest == null ? Optional.empty() : Optional.of(latest.meta());
  }

  @Override
  public synchronized SnapshotSource openSnapshot() {
    ensureOpen();
    if (latest == null) throw new IllegalStateException("there is no snapshot to open");
    // The snapshot's map is never mutated, so the source can iterate it without the lock.
    return new Source(latest);
  }

  @Override
  public synchronized SnapshotSink beginInstall(SnapshotMeta meta) {
    return resumeInstall(meta, Sink.NOT_RESUMABLE);
  }

  @Override
  public synchronized SnapshotSink resumeInstall(SnapshotMeta meta, long leaderTerm) {
    ensureOpen();
    if (activeSink != null && activeSink.resumes(meta, leaderTerm)) {
      activeSink.meta = meta;
      return activeSink;
    }
    if (activeSink != null) activeSink.abort();
    activeSink = new Sink(meta, leaderTerm);
    return activeSink;
  }

  @Override
  public synchronized void purgeLog(long uptoIndex) {
    ensureOpen();
    long snapshotIndex = latest == null ? 0 : latest.meta().index();
    LogBounds.checkPurge(uptoIndex, snapshotIndex, appliedIndex);
    if (uptoIndex <= baseIndex) return;
    long term = termForBase(uptoIndex);
    log.headMap(uptoIndex, true).clear();
    baseIndex = uptoIndex;
    baseTerm = term;
    bounds = bounds.rebased(uptoIndex, true);
    // A purge is a synced write, which makes earlier applies durable as well.
    flushApplies();
  }

  /** A clean shutdown: like RocksDB's close, which syncs the WAL, it keeps every apply. */
  @Override
  public synchronized void close() {
    if (closed) return;
    flushApplies();
    activeSink = null;
    closed = true;
  }

  // ---- internals ----

  private long termForBase(long index) {
    LogEntry e = log.get(index);
    if (e != null) return e.term();
    if (latest != null && latest.meta().index() == index) return latest.meta().term();
    if (index == appliedIndex) return appliedTerm;
    throw new IllegalStateException("no term known for index " + index + "; log holds " + bounds);
  }

  private static long sizeOf(TreeMap<String, String> map) {
    long bytes = 0;
    for (Map.Entry<String, String> e : map.entrySet()) {
      bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length;
      bytes += e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    return bytes;
  }

  /** What a synced write does to earlier unsynced applies: makes them durable too. */
  private void flushApplies() {
    for (Map.Entry<String, String> change : unsynced) {
      if (change.getValue() == null) {
        durableKv.remove(change.getKey());
      } else {
        durableKv.put(change.getKey(), change.getValue());
      }
    }
    unsynced.clear();
    durableAppliedIndex = appliedIndex;
    durableAppliedTerm = appliedTerm;
    durableAppliedMembership = appliedMembership;
  }

  private void ensureOpen() {
    if (closed) throw new StorageException("in-memory storage is closed");
  }

  /** Writes go straight to the live map, so later commands in a batch see earlier ones. */
  private final class LiveView implements KvWriteView {
    @Override
    public String get(String key) {
      return kv.get(key);
    }

    @Override
    public void put(String key, String value) {
      kv.put(key, value);
      unsynced.add(new AbstractMap.SimpleImmutableEntry<>(key, value));
    }

    @Override
    public void delete(String key) {
      kv.remove(key);
      unsynced.add(new AbstractMap.SimpleImmutableEntry<>(key, null));
    }
  }

  private static final class Source implements SnapshotSource {
    private final SnapshotMeta meta;
    private Iterator<Map.Entry<String, String>> it;
    private byte[] pendingKey;
    private byte[] pendingValue;

    Source(Snapshot snapshot) {
      this.meta = snapshot.meta();
      this.it = snapshot.kv().entrySet().iterator();
    }

    @Override
    public SnapshotMeta meta() {
      return meta;
    }

    @Override
    public synchronized byte[] nextChunk(int maxBytes) {
      if (it == null) throw new IllegalStateException("snapshot source is closed");
      SnapshotChunks.Builder chunk = new SnapshotChunks.Builder();
      while (true) {
        if (pendingKey == null) {
          if (!it.hasNext()) break;
          Map.Entry<String, String> e = it.next();
          pendingKey = e.getKey().getBytes(StandardCharsets.UTF_8);
          pendingValue = e.getValue().getBytes(StandardCharsets.UTF_8);
        }
        // A pair that does not fit waits for the next chunk.
        if (!chunk.tryAdd(pendingKey, pendingValue, maxBytes)) break;
        pendingKey = null;
        pendingValue = null;
      }
      return chunk.count() == 0 ? null : chunk.build();
    }

    @Override
    public synchronized void close() {
      it = null;
    }
  }

  private final class Sink implements SnapshotSink {
    /** The leader term of an install begun by {@link #beginInstall}, which nothing resumes. */
    static final long NOT_RESUMABLE = -1;
    /** Replaced by the latest caller's, which names the same snapshot: see resumeInstall. */
    private SnapshotMeta meta;
    private final long leaderTerm;
    private TreeMap<String, String> staging = new TreeMap<>();
    private long chunks;

    Sink(SnapshotMeta meta, long leaderTerm) {
      this.meta = meta;
      this.leaderTerm = leaderTerm;
    }

    boolean resumes(SnapshotMeta other, long otherLeaderTerm) {
      return leaderTerm != NOT_RESUMABLE && staging != null && leaderTerm == otherLeaderTerm
          && meta.index() == other.index() && meta.term() == other.term();
    }

    @Override
    public long stagedChunks() {
      synchronized (InMemoryStorage.this) {
        return chunks;
      }
    }

    @Override
    public void write(byte[] chunk) {
      synchronized (InMemoryStorage.this) {
        checkActive();
        TreeMap<String, String> target = staging;
        SnapshotChunks.decode(
            chunk,
            (k, v) -> target.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
        chunks++;
      }
    }

    @Override
    public void commit(boolean keepLogAfterIndex) {
      synchronized (InMemoryStorage.this) {
        checkActive();
        // Everything below happens at once, which is what a single synced RocksDB batch gives the
        // real store: a crash sees all of it or none of it.
        unsynced.clear();
        kv.clear();
        kv.putAll(staging);
        durableKv.clear();
        durableKv.putAll(staging);
        appliedIndex = meta.index();
        appliedTerm = meta.term();
        appliedMembership = meta.membership();
        durableAppliedIndex = appliedIndex;
        durableAppliedTerm = appliedTerm;
        durableAppliedMembership = appliedMembership;
        if (keepLogAfterIndex) {
          log.headMap(meta.index(), true).clear();
        } else {
          log.clear();
        }
        baseIndex = meta.index();
        baseTerm = meta.term();
        bounds = bounds.rebased(meta.index(), keepLogAfterIndex);
        // The staging map is handed over to the snapshot and never written again.
        SnapshotMeta installed =
            new SnapshotMeta(meta.index(), meta.term(), meta.membership(), sizeOf(staging), clockMillis.getAsLong());
        latest = new Snapshot(installed, staging);
        staging = null;
        activeSink = null;
      }
    }

    @Override
    public void abort() {
      synchronized (InMemoryStorage.this) {
        staging = null;
        if (activeSink == this) activeSink = null;
      }
    }

    private void checkActive() {
      ensureOpen();
      if (staging == null || activeSink != this) {
        throw new IllegalStateException("this snapshot install was committed, aborted or superseded");
      }
    }
  }
}
