package io.raftkv.storage;

import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-memory twin of {@link RocksDbStorage} for the deterministic simulator, with the same
 * crash semantics: {@link #persist} models a synced write and is durable at once, while the
 * effects of {@link #apply} model RocksDB's unsynced WAL writes and only become durable at the
 * next {@link #persist} (whose sync flushes the WAL) or a clean {@link #close}. {@link
 * #crashAndRecover} returns what a restarted node would find on disk.
 *
 * <p>Only sorted maps are used and nothing depends on threads or clocks, so one simulator seed
 * always produces the same run. Methods are synchronized only so the class stays safe if a test
 * happens to read from another thread; the simulator itself is single-threaded.
 */
public final class InMemoryStorage implements RaftLogStore, StateMachineStore {
  // Durable state: what survives a crash.
  private HardState hardState;
  private final TreeMap<Long, LogEntry> log;
  private final TreeMap<String, String> durableKv;
  private long durableAppliedIndex;
  private long durableAppliedTerm;

  // Live state: what reads see, ahead of the durable copy by the applies since the last persist.
  private final TreeMap<String, String> kv;
  private long appliedIndex;
  private long appliedTerm;
  // The applies not yet durable, in order, as (key, value-or-null-for-delete). Replaying them at
  // the next persist keeps the cost proportional to the changes rather than to the whole map.
  private final List<Map.Entry<String, String>> unsynced = new ArrayList<>();

  private LogBounds bounds;
  private boolean closed;

  public InMemoryStorage() {
    this(HardState.INITIAL, new TreeMap<>(), new TreeMap<>(), 0, 0);
  }

  private InMemoryStorage(
      HardState hardState, TreeMap<Long, LogEntry> log, TreeMap<String, String> kv, long appliedIndex, long appliedTerm) {
    this.hardState = hardState;
    this.log = log;
    this.durableKv = kv;
    this.kv = new TreeMap<>(kv);
    this.durableAppliedIndex = appliedIndex;
    this.durableAppliedTerm = appliedTerm;
    this.appliedIndex = appliedIndex;
    this.appliedTerm = appliedTerm;
    this.bounds = log.isEmpty() ? LogBounds.EMPTY : new LogBounds(log.firstKey(), log.lastKey());
  }

  /**
   * Simulates a process crash and restart: this instance is closed (a dead process writes
   * nothing more) and a new one holds only the durable state. Calling it after {@link #close}
   * models a restart after a clean shutdown, which keeps every apply.
   */
  public synchronized InMemoryStorage crashAndRecover() {
    closed = true;
    return new InMemoryStorage(
        hardState, new TreeMap<>(log), new TreeMap<>(durableKv), durableAppliedIndex, durableAppliedTerm);
  }

  /** A sorted copy of the applied key-value state as reads currently see it. */
  public synchronized Map<String, String> snapshotOfKv() {
    ensureOpen();
    return new TreeMap<>(kv);
  }

  // ---- RaftLogStore ----

  @Override
  public synchronized Recovered recover() {
    ensureOpen();
    return new Recovered(hardState, new ArrayList<>(log.values()), appliedIndex, appliedTerm);
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
  public synchronized List<KvResult> apply(List<LogEntry> entries) {
    ensureOpen();
    ApplyLoop.Outcome outcome = ApplyLoop.run(entries, appliedIndex, appliedTerm, new LiveView());
    appliedIndex = outcome.appliedIndex();
    appliedTerm = outcome.appliedTerm();
    return outcome.results();
  }

  @Override
  public synchronized String get(String key) {
    ensureOpen();
    return kv.get(key);
  }

  /** A clean shutdown: like RocksDB's close, which syncs the WAL, it keeps every apply. */
  @Override
  public synchronized void close() {
    if (closed) return;
    flushApplies();
    closed = true;
  }

  // ---- internals ----

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
}
