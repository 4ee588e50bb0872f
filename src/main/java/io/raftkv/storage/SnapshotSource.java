package io.raftkv.storage;

/** A snapshot being read, as opaque chunks in a format only {@link SnapshotSink} understands. */
public interface SnapshotSource extends AutoCloseable {
  SnapshotMeta meta();

  /** The next chunk of at most about {@code maxBytes} (at least one record), or null at the end. */
  byte[] nextChunk(int maxBytes);

  @Override
  void close();
}
