package io.raftkv.raft.core;

import java.util.ArrayDeque;

/**
 * The committed entries handed to the driver for applying and not yet reported applied, in bytes.
 * Bounding them keeps a long backlog (after a restart, or on a follower catching up) from being
 * read out of storage and queued for the state machine all at once: the next batch leaves only
 * as earlier ones are applied.
 */
final class ApplyWindow {
  private final long maxBytes;
  /** Batches in flight, oldest first: (last index, bytes) each. */
  private final ArrayDeque<long[]> batches = new ArrayDeque<>();
  private long bytes;

  ApplyWindow(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  boolean isFull() {
    return bytes >= maxBytes;
  }

  /** Bytes that may still be handed out. */
  long room() {
    return maxBytes - bytes;
  }

  void handedOut(long lastIndex, long batchBytes) {
    batches.addLast(new long[] {lastIndex, batchBytes});
    bytes += batchBytes;
  }

  /** Everything up to {@code index} was applied. */
  void appliedTo(long index) {
    while (!batches.isEmpty() && batches.peekFirst()[0] <= index) bytes -= batches.pollFirst()[1];
  }

  /** A snapshot replaced what was in flight: it is applied (or overtaken) ahead of what follows. */
  void clear() {
    batches.clear();
    bytes = 0;
  }
}
