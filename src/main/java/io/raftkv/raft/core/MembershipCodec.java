package io.raftkv.raft.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Binary form of a {@link Membership}, carried in CONFIG log entries and in stored metadata.
 * Version 2 adds each member's incarnation; version 1 records (written before incarnations
 * existed) still decode, with every incarnation 0 ("not known").
 */
public final class MembershipCodec {
  private static final int VERSION_1 = 1;
  private static final int VERSION = 2;

  private MembershipCodec() {}

  public static byte[] encode(Membership m) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(VERSION);
      writeGroup(out, m.voters());
      writeGroup(out, m.learners());
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Membership decode(byte[] data) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
      int version = in.readUnsignedByte();
      if (version != VERSION && version != VERSION_1) {
        throw new IllegalArgumentException("unknown membership encoding " + version);
      }
      boolean withIncarnation = version == VERSION;
      TreeMap<Long, Member> voters = readGroup(in, withIncarnation);
      TreeMap<Long, Member> learners = readGroup(in, withIncarnation);
      if (in.available() > 0) throw new IOException("trailing bytes after the membership");
      return new Membership(voters, learners);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("corrupt membership record: " + e.getMessage(), e);
    }
  }

  private static void writeGroup(DataOutputStream out, Map<Long, Member> group) throws IOException {
    out.writeInt(group.size());
    for (Member m : group.values()) {
      out.writeLong(m.id());
      out.writeUTF(m.raftAddr());
      out.writeUTF(m.httpAddr());
      out.writeLong(m.incarnation());
    }
  }

  private static TreeMap<Long, Member> readGroup(DataInputStream in, boolean withIncarnation) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 10_000) throw new IOException("bad member count " + n);
    TreeMap<Long, Member> group = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      Member m = new Member(in.readLong(), in.readUTF(), in.readUTF(), withIncarnation ? in.readLong() : 0);
      group.put(m.id(), m);
    }
    return group;
  }
}
