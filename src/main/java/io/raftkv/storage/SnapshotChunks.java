package io.raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.function.BiConsumer;

/**
 * The wire form of snapshot chunks, shared by both stores so that a snapshot streamed from one
 * kind of store installs on the other. A chunk is self-describing: a version byte, a record
 * count, then that many length-prefixed key and value byte strings (UTF-8 in practice, but the
 * format does not care). Nothing in a chunk depends on its neighbours, so a receiver needs no
 * state beyond "apply these pairs".
 */
final class SnapshotChunks {
  static final int VERSION = 1;
  static final int HEADER_BYTES = 1 + 4;
  static final int RECORD_OVERHEAD_BYTES = 4 + 4;

  private SnapshotChunks() {}

  /** Accumulates records until the chunk is full. */
  static final class Builder {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int count;

    int count() {
      return count;
    }

    int sizeBytes() {
      return HEADER_BYTES + body.size();
    }

    /**
     * Adds the pair unless it would take the chunk past {@code maxBytes}; the first pair always
     * fits, so a record larger than the limit still travels, alone in its chunk.
     */
    boolean tryAdd(byte[] key, byte[] value, int maxBytes) {
      int recordBytes = RECORD_OVERHEAD_BYTES + key.length + value.length;
      if (count > 0 && sizeBytes() + recordBytes > maxBytes) return false;
      writeInt(key.length);
      body.writeBytes(key);
      writeInt(value.length);
      body.writeBytes(value);
      count++;
      return true;
    }

    byte[] build() {
      byte[] b = body.toByteArray();
      return ByteBuffer.allocate(HEADER_BYTES + b.length).put((byte) VERSION).putInt(count).put(b).array();
    }

    private void writeInt(int v) {
      body.write(v >>> 24);
      body.write(v >>> 16);
      body.write(v >>> 8);
      body.write(v);
    }
  }

  /** Calls {@code sink} with every pair of the chunk, in order; a malformed chunk throws first. */
  static void decode(byte[] chunk, BiConsumer<byte[], byte[]> sink) {
    // Parsing fully before handing anything over keeps a truncated chunk from half-applying.
    ByteBuffer b = ByteBuffer.wrap(chunk);
    try {
      int version = b.get() & 0xff;
      if (version != VERSION) throw new IllegalArgumentException("unknown snapshot chunk version " + version);
      int count = b.getInt();
      // Every record takes at least its two length prefixes, which bounds a sane count.
      if (count < 0 || count > chunk.length / RECORD_OVERHEAD_BYTES) {
        throw new IllegalArgumentException("bad record count " + count + " in snapshot chunk");
      }
      byte[][] pairs = new byte[count * 2][];
      for (int i = 0; i < pairs.length; i++) {
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) throw new IllegalArgumentException("bad length in snapshot chunk");
        pairs[i] = new byte[len];
        b.get(pairs[i]);
      }
      if (b.hasRemaining()) throw new IllegalArgumentException("trailing bytes in snapshot chunk");
      for (int i = 0; i < pairs.length; i += 2) sink.accept(pairs[i], pairs[i + 1]);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated snapshot chunk", e);
    }
  }
}
