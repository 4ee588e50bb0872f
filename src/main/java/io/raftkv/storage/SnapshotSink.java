package io.raftkv.storage;

/** A snapshot being received from the leader. */
public interface SnapshotSink extends AutoCloseable {
  /** Adds one chunk, as produced by {@link SnapshotSource#nextChunk}, in order. */
  void write(byte[] chunk);

  /**
   * Chunks written so far. A transfer that broke off resumes after them: the staging area holds
   * exactly these, each written whole or not at all.
   */
  long stagedChunks();

  /**
   * Atomically and durably replaces the state machine with the received snapshot: applied index
   * and term become the snapshot's, its membership is recorded, the log up to the snapshot index
   * is dropped (and all of it unless {@code keepLogAfterIndex}, §7: a log that holds the
   * snapshot's last entry keeps what follows it), and the snapshot becomes this node's latest.
   */
  void commit(boolean keepLogAfterIndex);

  /** Abandons the install; the live state is unchanged. */
  void abort();

  @Override
  default void close() {
    abort();
  }
}
