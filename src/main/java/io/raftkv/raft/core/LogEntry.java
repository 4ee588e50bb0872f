package io.raftkv.raft.core;

import java.util.Arrays;

/**
 * One entry of the replicated log (§5.3). The payload is opaque to Raft: for {@link Kind#COMMAND}
 * it is an encoded key-value command, for {@link Kind#CONFIG} an encoded {@link Membership}, and
 * empty for the {@link Kind#NOOP} a new leader appends at the start of its term (§5.4.2, §8).
 */
public record LogEntry(long index, long term, Kind kind, byte[] data) {

  public enum Kind {
    COMMAND,
    NOOP,
    CONFIG;

    private static final Kind[] VALUES = values();

    public static Kind ofOrdinal(int ordinal) {
      if (ordinal < 0 || ordinal >= VALUES.length) {
        throw new IllegalArgumentException("unknown log entry kind " + ordinal);
      }
      return VALUES[ordinal];
    }
  }

  public LogEntry {
    if (index < 1) throw new IllegalArgumentException("log indices start at 1, got " + index);
    if (term < 0) throw new IllegalArgumentException("negative term " + term);
    if (kind == null) throw new IllegalArgumentException("kind is required");
    if (data == null) data = new byte[0];
  }

  public static LogEntry noop(long index, long term) {
    return new LogEntry(index, term, Kind.NOOP, new byte[0]);
  }

  /** Approximate bytes on the wire, used to keep AppendEntries under the message size limit. */
  public int sizeBytes() {
    return sizeBytes(data.length);
  }

  /** {@link #sizeBytes()} of an entry whose payload has {@code dataBytes}, known without the entry. */
  public static int sizeBytes(int dataBytes) {
    return dataBytes + 24;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogEntry e
        && e.index == index
        && e.term == term
        && e.kind == kind
        && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(index) * 31 + Long.hashCode(term);
  }

  @Override
  public String toString() {
    return "LogEntry[" + index + "@" + term + " " + kind + " " + data.length + "B]";
  }
}
