package io.raftkv.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A test-only slow disk: before every synced write, wait the number of milliseconds written as
 * a decimal in a file. A fault-injection harness writes e.g. {@code 150} into the file to make a
 * node's fsyncs slow and deletes it to heal the disk, without restarting the node. A missing
 * file, or content that is not a non-negative decimal, means no delay.
 *
 * <p>The file is read at most once per {@link #REREAD_NANOS}, so the switch costs one clock read
 * per sync while it is on; {@link #NONE} (the switch unset) costs nothing and never touches a file.
 */
public final class SyncDelay {
  private static final Logger log = LoggerFactory.getLogger(SyncDelay.class);

  /** How stale the cached delay may be. */
  static final long REREAD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** No delay, and no file access. */
  public static final SyncDelay NONE = new SyncDelay(null, System::nanoTime);

  private final Path file;
  private final LongSupplier nanoClock;
  // Only the storage actor syncs, but a snapshot install's sync may run on another thread.
  private long cachedMs;
  private long readAtNanos;
  private boolean read;

  SyncDelay(Path file, LongSupplier nanoClock) {
    this.file = file;
    this.nanoClock = nanoClock;
  }

  /** A delay read from {@code file}; logs once that the switch is on. */
  public static SyncDelay fromFile(Path file) {
    log.warn("test-only sync delay active: every synced write first waits the milliseconds written in {}", file);
    return new SyncDelay(file, System::nanoTime);
  }

  /** True when a file controls the delay. */
  public boolean enabled() {
    return file != null;
  }

  /** Waits the current delay; called right before a synced write. */
  void beforeSync() {
    if (file == null) return;
    long ms = currentMillis();
    if (ms <= 0) return;
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      // The write must still happen: a shorter wait only makes the modelled disk faster.
      Thread.currentThread().interrupt();
    }
  }

  /** The delay in milliseconds, re-read from the file when the cached value is old. */
  synchronized long currentMillis() {
    long now = nanoClock.getAsLong();
    if (!read || now - readAtNanos >= REREAD_NANOS) {
      cachedMs = readFile(file);
      readAtNanos = now;
      read = true;
    }
    return cachedMs;
  }

  static long readFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(text));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
