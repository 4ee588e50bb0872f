package io.raftkv.storage;

/** Durable home of the Raft log and hard state. Implementations fsync before returning. */
public interface RaftLogStore extends AutoCloseable {
  /** The synced state as of the last successful {@link #persist}. */
  Recovered recover();

  /**
   * Writes the batch atomically and durably. Throws {@link StorageException} when the write or
   * the sync fails; the caller must then stop the node, never carry on.
   */
  void persist(PersistBatch batch);

  @Override
  void close();
}
