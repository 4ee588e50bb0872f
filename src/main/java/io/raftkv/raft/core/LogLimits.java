package io.raftkv.raft.core;

/**
 * How much of the log the core keeps on the heap. Synced entries beyond the cache are read back
 * through a {@link LogEntryReader} when needed.
 *
 * @param cacheEntries most synced entries kept in memory (the newest ones)
 * @param cacheBytes most {@link LogEntry#sizeBytes()} of synced entries kept in memory
 * @param maxApplyingBytes most bytes of committed entries handed to the driver for applying and
 *     not yet reported applied ({@link RaftCore#appliedTo}); while the window has room, a Ready
 *     carries at most that room plus one entry, so a long backlog is applied in bounded batches
 */
public record LogLimits(int cacheEntries, long cacheBytes, long maxApplyingBytes) {
  /** No bound at all: every entry stays in memory, as for a log that was handed over as a list. */
  public static final LogLimits UNBOUNDED = new LogLimits(Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

  public LogLimits {
    if (cacheEntries < 0) throw new IllegalArgumentException("cacheEntries must be >= 0");
    if (cacheBytes < 0) throw new IllegalArgumentException("cacheBytes must be >= 0");
    if (maxApplyingBytes < 1) throw new IllegalArgumentException("maxApplyingBytes must be >= 1");
  }
}
