package io.raftkv.sim;

import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.storage.InMemoryStorage;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the checkers read of one node's disk: the durable hard state and log of its current
 * {@link InMemoryStorage} (the storage twin the node's driver writes through). A view only:
 * nothing here writes, so checking never changes a run.
 */
final class SimDisk {
  private final Supplier<InMemoryStorage> storage;

  SimDisk(Supplier<InMemoryStorage> storage) {
    this.storage = storage;
  }

  HardState hardState() {
    return storage.get().durableHardState();
  }

  /** The index the log was compacted up to (its entries start after it). */
  long logBase() {
    return storage.get().durableBaseIndex();
  }

  long lastIndex() {
    return storage.get().durableLastIndex();
  }

  /** The durable entry at {@code index}, or null when compacted or beyond the log. */
  LogEntry entry(long index) {
    return storage.get().durableEntry(index);
  }

  /** The term at {@code index}: the base's for the base, -1 when compacted or beyond. */
  long termAt(long index) {
    InMemoryStorage s = storage.get();
    if (index == s.durableBaseIndex()) return s.durableBaseTerm();
    LogEntry e = entry(index);
    return e == null ? -1 : e.term();
  }
}
