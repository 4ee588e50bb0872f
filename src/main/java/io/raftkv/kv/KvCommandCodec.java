package io.raftkv.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Compact binary encoding of {@link KvCommand}s for log entries: a one-byte tag, then each string
 * as a 4-byte length and its UTF-8 bytes. JSON is used only at the HTTP edge.
 */
public final class KvCommandCodec {
  private static final byte SET = 1;
  private static final byte DELETE = 2;

  private KvCommandCodec() {}

  public static byte[] encode(KvCommand command) {
    if (command instanceof KvCommand.Set s) {
      byte[] k = utf8(s.key());
      byte[] v = utf8(s.value());
      return ByteBuffer.allocate(1 + 4 + k.length + 4 + v.length)
          .put(SET).putInt(k.length).put(k).putInt(v.length).put(v).array();
    }
    if (command instanceof KvCommand.Delete d) {
      byte[] k = utf8(d.key());
      return ByteBuffer.allocate(1 + 4 + k.length).put(DELETE).putInt(k.length).put(k).array();
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  public static KvCommand decode(byte[] data) {
    try {
      ByteBuffer in = ByteBuffer.wrap(data);
      byte tag = in.get();
      KvCommand command = switch (tag) {
        case SET -> new KvCommand.Set(readString(in), readString(in));
        case DELETE -> new KvCommand.Delete(readString(in));
        default -> throw new IllegalArgumentException("unknown command tag " + tag);
      };
      if (in.hasRemaining()) throw new IllegalArgumentException("trailing bytes after command");
      return command;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("corrupt command payload: " + e.getMessage(), e);
    }
  }

  private static String readString(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) throw new IllegalArgumentException("bad string length " + n);
    byte[] b = new byte[n];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
