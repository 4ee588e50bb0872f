package io.raftkv.kv;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The building blocks both kv codecs share: big-endian ints, strings as a 4-byte length and
 * UTF-8 bytes, optional strings behind a presence byte, and counts checked against the bytes
 * left so that a corrupt length can never make a node allocate gigabytes.
 */
final class Wire {
  private Wire() {}

  /** An in-memory writer; writing to a byte array cannot fail, so IOException is unchecked. */
  static final class Out {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    Out tag(int tag) {
      try {
        out.writeByte(tag);
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    Out bool(boolean b) {
      return tag(b ? 1 : 0);
    }

    Out count(int n) {
      try {
        out.writeInt(n);
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    Out string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      count(b.length);
      try {
        out.write(b);
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Null and the empty string must stay distinct, hence the presence byte. */
    Out optionalString(String s) {
      if (s == null) return bool(false);
      bool(true);
      return string(s);
    }

    byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  static String readString(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) throw new IllegalArgumentException("bad string length " + n);
    byte[] b = new byte[n];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  static String readOptionalString(ByteBuffer in) {
    return readBool(in) ? readString(in) : null;
  }

  static boolean readBool(ByteBuffer in) {
    byte b = in.get();
    if (b == 0) return false;
    if (b == 1) return true;
    throw new IllegalArgumentException("bad boolean byte " + b);
  }

  /** A count of items each at least {@code minBytesEach} long, which the input must still hold. */
  static int readCount(ByteBuffer in, int minBytesEach) {
    int n = in.getInt();
    if (n < 0 || (long) n * minBytesEach > in.remaining()) {
      throw new IllegalArgumentException("bad count " + n);
    }
    return n;
  }

  static void requireEnd(ByteBuffer in, String what) {
    if (in.hasRemaining()) throw new IllegalArgumentException("trailing bytes after " + what);
  }
}
