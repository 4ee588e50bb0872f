package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.Membership;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbStorageTest extends StorageContractTest<RocksDbStorage> {
  @TempDir Path dir;

  @Override
  protected RocksDbStorage open() {
    return RocksDbStorage.open(dir.resolve("db"), 64);
  }

  @Override
  protected RocksDbStorage restart(RocksDbStorage s) {
    s.close();
    return open();
  }

  @Override
  protected Map<String, String> dump(RocksDbStorage s) {
    return s.dumpKv();
  }

  private int others;

  @Override
  protected RocksDbStorage openOther() {
    return RocksDbStorage.open(dir.resolve("other-" + (++others)), 64);
  }

  /**
   * RocksDB's own crash safety is not what is under test here, only ours: closing without
   * committing leaves exactly what a killed process leaves of an install, a staging column
   * family nobody names as live.
   */
  @Override
  protected RocksDbStorage crash(RocksDbStorage s) {
    Path at = s.directory();
    s.close();
    return RocksDbStorage.open(at, 64);
  }

  @Override
  protected Membership appliedMembership(RocksDbStorage s) {
    return s.appliedMembership();
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
    assertEquals(1, store.recover().log().size());
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
    assertTrue(store.recover().log().isEmpty());
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
