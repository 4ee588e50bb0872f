package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.StoredLog;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every storage test shares: a store opened before each test and closed after it, whatever
 * the outcome, the {@link StoreKind} that says how to open, restart and crash one, and helpers to
 * build log entries and move snapshots. The contract tests extend it once per seam and are run
 * against RocksDB and the in-memory twin alike, so the simulator tests what production runs.
 */
abstract class StorageTestSupport<S extends RaftLogStore & StateMachineStore & SnapshotStore> {
  protected S store;
  private StoreKind<S> kind;

  /** The kind of store under test; called once per test, before it opens a store. */
  protected abstract StoreKind<S> storeKind();

  @BeforeEach
  void openStore() {
    kind = storeKind();
    store = kind.open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected S open() {
    return kind.open();
  }

  /** Closes {@code s} cleanly and opens the same durable state again. */
  protected S restart(S s) {
    return kind.restart(s);
  }

  protected Map<String, String> dump(S s) {
    return kind.dump(s);
  }

  /** A second, empty store independent of {@link #store}; the test closes it. */
  protected S openOther() {
    return kind.openOther();
  }

  /**
   * Stops {@code s} the hard way, without finishing what is in flight (an install that was never
   * committed, in particular), and opens what is left on disk.
   */
  protected S crash(S s) {
    return kind.crash(s);
  }

  protected Membership appliedMembership(S s) {
    return kind.appliedMembership(s);
  }

  static LogEntry set(long index, long term, String key, String value) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Set(key, value)));
  }

  static LogEntry del(long index, long term, String key) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Delete(key)));
  }

  static List<LogEntry> sets(long from, long to, long term) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(set(i, term, "k" + i, "v" + i + "@" + term));
    return out;
  }

  static PersistBatch append(List<LogEntry> entries) {
    return new PersistBatch(null, 0, entries);
  }

  /** Every entry the store holds after its base, read back through the bounded reader. */
  static List<LogEntry> entriesOf(RaftLogStore s) {
    StoredLog shape = s.recover().storedLog();
    if (shape.lastIndex() == shape.baseIndex()) return List.of();
    List<LogEntry> all = s.read(shape.baseIndex() + 1, shape.lastIndex(), Integer.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(shape.lastIndex() - shape.baseIndex(), all.size(), "the reader returns the whole recovered range");
    return all;
  }

  static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "127.0.0.1:7001", "127.0.0.1:8001")));
  static final Membership ONE_PLUS_LEARNER = ONE.withLearner(new Member(2, "127.0.0.1:7002", "127.0.0.1:8002"));

  static LogEntry config(long index, long term, Membership m) {
    return new LogEntry(index, term, LogEntry.Kind.CONFIG, MembershipCodec.encode(m));
  }

  /** Persists and applies a config at 1, then sets at 2..{@code last} in term 2. */
  void fill(S s, long last) {
    List<LogEntry> entries = new ArrayList<>();
    entries.add(config(1, 1, ONE));
    entries.addAll(sets(2, last, 2));
    s.persist(new PersistBatch(new HardState(2, 1), 0, entries));
    s.apply(entries);
  }

  /** Every pair in a snapshot, in the order the chunks carry them, checking each chunk's size. */
  static List<Map.Entry<String, String>> readAll(SnapshotSource source, int maxBytes, List<byte[]> chunks) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    for (byte[] chunk = source.nextChunk(maxBytes); chunk != null; chunk = source.nextChunk(maxBytes)) {
      chunks.add(chunk);
      SnapshotChunks.decode(
          chunk,
          (k, v) ->
              pairs.add(
                  new AbstractMap.SimpleImmutableEntry<>(
                      new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8))));
    }
    return pairs;
  }

  /** Streams the latest snapshot of {@code from} into {@code to} and commits it. */
  static void transfer(SnapshotStore from, SnapshotStore to, int maxBytes, boolean keepLog) {
    try (SnapshotSource source = from.openSnapshot()) {
      SnapshotSink sink = to.beginInstall(source.meta());
      for (byte[] chunk = source.nextChunk(maxBytes); chunk != null; chunk = source.nextChunk(maxBytes)) {
        sink.write(chunk);
      }
      sink.commit(keepLog);
    }
  }
}
