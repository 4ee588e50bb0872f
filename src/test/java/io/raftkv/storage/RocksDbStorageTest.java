package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.LogEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.stream.Collectors;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the RocksDB store has: its options, its files on disk, the column-family switch of an
 * install and a crash between its steps, and the disk space a purge or a compaction frees. The
 * contract both stores keep is in the {@code Rocks*ContractTest} classes.
 */
class RocksDbStorageTest extends StorageTestSupport<RocksDbStorage> {
  @TempDir Path dir;

  @Override
  protected StoreKind<RocksDbStorage> storeKind() {
    return new RocksStores(dir);
  }

  @Test
  void maxOpenFilesIsHonoured() throws IOException {
    store.close();
    store = RocksDbStorage.open(dir.resolve("small"), 32);
    store.persist(append(sets(1, 3, 1)));
    store.apply(sets(1, 3, 1));
    assertEquals("v2@1", store.get("k2"));
    // RocksDB records the options it actually runs with in its OPTIONS file.
    assertEquals(Optional.of("32"), optionValue(dir.resolve("small"), "max_open_files"));
  }

  @Test
  void opensInMissingNestedDirectory() {
    store.close();
    store = RocksDbStorage.open(dir.resolve("a/b/c"), -1);
    store.persist(append(sets(1, 1, 1)));
    assertEquals(1, entriesOf(store).size());
  }

  @Test
  void readersOnOtherThreadsSeeAppliedValues() throws Exception {
    store.apply(sets(1, 50, 1));
    AtomicInteger found = new AtomicInteger();
    Thread reader =
        new Thread(
            () -> {
              for (int i = 1; i <= 50; i++) {
                if (("v" + i + "@1").equals(store.get("k" + i))) found.incrementAndGet();
              }
            });
    reader.start();
    reader.join();
    assertEquals(50, found.get());
  }

  @Test
  void emptyPersistIsAllowedAndKeepsState() {
    store.apply(List.of(set(1, 1, "a", "1")));
    store.persist(new PersistBatch(null, 0, List.of()));
    assertEquals(1, store.appliedIndex());
    assertTrue(entriesOf(store).isEmpty());
  }

  // ---- snapshots on disk ----

  @Test
  void snapshotsLiveInASubfolderAndOnlyTheLatestIsKept() throws Exception {
    fill(store, 30);
    store.createSnapshot();
    store.createSnapshot();
    Path snapshots = dir.resolve("db").resolve(RocksSnapshots.DIR_NAME);
    assertEquals(snapshots, store.snapshotDirectory());
    assertEquals(List.of("LATEST", "snap-2"), children(snapshots));
    // Leftovers of a crash in the middle of a snapshot are cleared at open.
    Files.createDirectories(snapshots.resolve("tmp-7"));
    Files.write(snapshots.resolve("LATEST.tmp"), new byte[] {1, 2});
    store = restart(store);
    assertEquals(List.of("LATEST", "snap-2"), children(snapshots));
    // The snapshot holds the state machine but not the log: its log files were dropped.
    assertEquals(
        List.of("default", "kv", "meta"),
        columnFamilies(snapshots.resolve("snap-2")));
    // Numbering continues past every name seen, so a new snapshot never reuses a leftover's name.
    store.createSnapshot();
    assertEquals(List.of("LATEST", "snap-8"), children(snapshots));
  }

  @Test
  void installSwitchesTheLiveColumnFamilyAndDropsTheOldOne() throws Exception {
    RocksDbStorage leader = openOther();
    try {
      fill(leader, 20);
      leader.createSnapshot();
      fill(store, 5);
      transfer(leader, store, 100, false);
      assertEquals(List.of("default", "kv.1", "log", "meta"), columnFamilies(store.directory()));
      transfer(leader, store, 100, false);
      assertEquals(List.of("default", "kv.2", "log", "meta"), columnFamilies(store.directory()));
      store = restart(store);
      assertEquals(dump(leader), dump(store));
    } finally {
      leader.close();
    }
  }

  @Test
  void aCrashAfterTheCommitBatchRecoversTheNewStateAndItsSnapshot() {
    RocksDbStorage leader = openOther();
    try {
      fill(leader, 20);
      SnapshotMeta meta = leader.createSnapshot();
      fill(store, 5);
      store.createSnapshot();
      store.afterInstallCommitBatch(
          () -> {
            throw new IllegalStateException("simulated crash");
          });
      assertThrows(IllegalStateException.class, () -> transfer(leader, store, 100, true));
      store = crash(store);
      assertEquals(dump(leader), dump(store));
      assertEquals(20, store.appliedIndex());
      Recovered r = store.recover();
      assertEquals(20, r.baseIndex());
      assertEquals(2, r.baseTerm());
      assertTrue(entriesOf(store).isEmpty());
      // The open finished the install's last step: the installed state is the latest snapshot.
      SnapshotMeta latest = store.latestSnapshot().orElseThrow();
      assertEquals(meta.index(), latest.index());
      assertEquals(meta.term(), latest.term());
      assertEquals(meta.membership(), latest.membership());
      assertEquals(List.of("default", "kv.1", "log", "meta"), columnFamilies(store.directory()));
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      leader.close();
    }
  }

  @Test
  void snapshotsInstallAcrossStoreKinds() {
    InMemoryStorage memory = new InMemoryStorage();
    RocksDbStorage rocks = openOther();
    InMemoryStorage back = new InMemoryStorage();
    try {
      fill(store, 200);
      store.createSnapshot();
      transfer(store, memory, 300, false);
      assertEquals(dump(store), memory.snapshotOfKv());
      assertEquals(200, memory.appliedIndex());
      assertEquals(ONE, memory.appliedMembership());

      transfer(memory, rocks, 300, false);
      assertEquals(dump(store), rocks.dumpKv());
      assertEquals(ONE, rocks.appliedMembership());
      assertEquals(200, rocks.latestSnapshot().orElseThrow().index());

      transfer(rocks, back, 300, false);
      assertEquals(dump(store), back.snapshotOfKv());
      assertEquals(2, back.appliedTerm());
    } finally {
      memory.close();
      rocks.close();
      back.close();
    }
  }

  @Test
  void aLargeStateStreamsInBoundedChunks() {
    int keys = 50_000;
    int batch = 1_000;
    for (int from = 1; from <= keys; from += batch) {
      List<LogEntry> entries = sets(from, from + batch - 1, 1);
      store.persist(append(entries));
      store.apply(entries);
    }
    SnapshotMeta meta = store.createSnapshot();
    int maxBytes = 64 * 1024;
    int largestRecord = SnapshotChunks.RECORD_OVERHEAD_BYTES + "k50000".length() + "v50000@1".length();
    int count = 0;
    int chunks = 0;
    String previous = "";
    try (SnapshotSource source = store.openSnapshot()) {
      for (byte[] chunk = source.nextChunk(maxBytes); chunk != null; chunk = source.nextChunk(maxBytes)) {
        assertTrue(chunk.length <= maxBytes + largestRecord, "chunk of " + chunk.length + " bytes");
        chunks++;
        List<String> inChunk = new ArrayList<>();
        SnapshotChunks.decode(chunk, (k, v) -> inChunk.add(new String(k, StandardCharsets.UTF_8)));
        for (String k : inChunk) {
          assertTrue(k.compareTo(previous) > 0, k + " after " + previous);
          previous = k;
        }
        count += inChunk.size();
      }
    }
    assertEquals(keys, count);
    assertTrue(chunks > 10, "only " + chunks + " chunks");

    RocksDbStorage follower = openOther();
    try {
      long started = System.nanoTime();
      transfer(store, follower, maxBytes, false);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      System.out.printf(
          "installed a %d-key snapshot of %d bytes in %d chunks in %d ms%n", keys, meta.sizeBytes(), chunks, tookMs);
      assertEquals(keys, follower.appliedIndex());
      assertEquals("v50000@1", follower.get("k50000"));
    } finally {
      follower.close();
    }
  }

  @Test
  void purgingALongLogFreesItsDiskSpace() {
    int writes = 100_000;
    int batch = 1_000;
    for (int from = 1; from <= writes; from += batch) {
      List<LogEntry> entries = new ArrayList<>();
      // Few distinct keys: the state machine stays small while the log grows with every write.
      for (int i = from; i < from + batch; i++) entries.add(set(i, 1, "key" + (i % 1000), "value-" + i));
      store.persist(append(entries));
      store.apply(entries);
    }
    SnapshotMeta meta = store.createSnapshot();
    long before = store.diskUsageBytes();
    store.purgeLog(writes);
    long after = store.diskUsageBytes();
    System.out.printf(
        "disk use after %d writes: %d bytes before purge, %d bytes after; snapshot %d bytes%n",
        writes, before, after, meta.sizeBytes());
    assertTrue(after < before / 2, "before " + before + ", after " + after);
    store = restart(store);
    assertEquals(writes, store.recover().baseIndex());
    assertEquals(1000, store.dumpKv().size());
  }

  @Test
  void compactingTheStateMachineBeforeASnapshotFreesTheSpaceOfDeletedValues() {
    int keys = 200;
    java.util.Random random = new java.util.Random(7);
    List<LogEntry> sets = new ArrayList<>();
    for (int i = 1; i <= keys; i++) {
      // Random letters, so RocksDB's block compression cannot make the values small on its own.
      StringBuilder v = new StringBuilder();
      for (int c = 0; c < 20_000; c++) v.append((char) ('a' + random.nextInt(26)));
      sets.add(set(i, 1, "key" + i, v.toString()));
    }
    store.persist(append(sets));
    store.apply(sets);
    store.createSnapshot(); // the values now sit in the state machine's files, shared by this snapshot
    List<LogEntry> deletes = new ArrayList<>();
    for (int i = 1; i <= keys; i++) deletes.add(del(keys + i, 1, "key" + i));
    store.persist(append(deletes));
    store.apply(deletes);

    SnapshotMeta plain = store.createSnapshot();
    store.purgeLog(plain.index());
    long withoutCompaction = store.diskUsageBytes();
    store.compactStateMachine();
    SnapshotMeta compacted = store.createSnapshot();
    store.purgeLog(compacted.index());
    long withCompaction = store.diskUsageBytes();
    assertTrue(withoutCompaction > 4_000_000, "deleted values still use their space: " + withoutCompaction);
    assertTrue(withCompaction < 1_000_000, "before " + withoutCompaction + ", after " + withCompaction);
    assertEquals(0, store.dumpKv().size());
  }

  private static List<String> children(Path p) throws IOException {
    try (Stream<Path> files = Files.list(p)) {
      return files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private static List<String> columnFamilies(Path db) throws RocksDBException {
    try (Options options = new Options()) {
      return RocksDB.listColumnFamilies(options, db.toString()).stream()
          .map(n -> new String(n, StandardCharsets.UTF_8))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private static Optional<String> optionValue(Path db, String name) throws IOException {
    Path latest;
    try (Stream<Path> files = Files.list(db)) {
      latest =
          files
              .filter(p -> p.getFileName().toString().startsWith("OPTIONS-"))
              .max((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
              .orElseThrow();
    }
    String prefix = name + "=";
    return Files.readAllLines(latest).stream()
        .map(String::trim)
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()))
        .findFirst();
  }
}
