package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test-only slow disk: a synced write waits what the switch file says, and only then. */
class SyncDelayTest {
  @TempDir Path dir;

  @Test
  void aSyncedAppendWaitsTheMillisecondsInTheFile() throws Exception {
    Path file = dir.resolve("sync-delay");
    Files.writeString(file, "150\n");
    RocksDbStorage store = RocksDbStorage.open(dir.resolve("db"), -1, SyncDelay.fromFile(file));
    try {
      long start = System.nanoTime();
      store.persist(StorageTestSupport.append(StorageTestSupport.sets(1, 3, 1)));
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(elapsedMs >= 150, "the synced append took only " + elapsedMs + " ms");
    } finally {
      store.close();
    }
  }

  @Test
  void missingEmptyOrUnparsableFileMeansNoDelay() throws Exception {
    Path file = dir.resolve("sync-delay");
    assertEquals(0, SyncDelay.readFile(file));
    Files.writeString(file, "");
    assertEquals(0, SyncDelay.readFile(file));
    Files.writeString(file, "slow");
    assertEquals(0, SyncDelay.readFile(file));
    Files.writeString(file, "-5");
    assertEquals(0, SyncDelay.readFile(file));
    Files.writeString(file, " 42 \n");
    assertEquals(42, SyncDelay.readFile(file));
  }

  @Test
  void theFileIsReadAgainOnlyAfterTheCacheInterval() throws Exception {
    Path file = dir.resolve("sync-delay");
    Files.writeString(file, "7");
    AtomicLong now = new AtomicLong(1_000_000_000L);
    SyncDelay delay = new SyncDelay(file, now::get);
    assertEquals(7, delay.currentMillis());
    Files.delete(file);
    now.addAndGet(SyncDelay.REREAD_NANOS - 1);
    assertEquals(7, delay.currentMillis(), "re-read before the cache interval passed");
    now.addAndGet(1);
    assertEquals(0, delay.currentMillis(), "a deleted file turns the delay off");
  }

  @Test
  void unsetSwitchTouchesNoFile() {
    assertFalse(SyncDelay.NONE.enabled());
    SyncDelay.NONE.beforeSync();
  }
}
