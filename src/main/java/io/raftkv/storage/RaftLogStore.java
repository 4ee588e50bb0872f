package io.raftkv.storage;

import io.raftkv.raft.core.LogEntryReader;

/**
 * Durable home of the Raft log and hard state. Implementations fsync before returning. The log is
 * read back in bounded ranges ({@link LogEntryReader#read}), never whole; reads may come from
 * another thread than writes and see every completed {@link #persist}.
 */
public interface RaftLogStore extends LogEntryReader, AutoCloseable {
  /** The synced state as of the last successful {@link #persist}, without the log's entries. */
  Recovered recover();

  /**
   * Writes the batch atomically and durably. Throws {@link StorageException} when the write or
   * the sync fails; the caller must then stop the node, never carry on.
   */
  void persist(PersistBatch batch);

  @Override
  void close();
}
