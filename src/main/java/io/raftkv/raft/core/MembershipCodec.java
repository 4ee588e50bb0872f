package io.raftkv.raft.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/** Binary form of a {@link Membership}, carried in CONFIG log entries and in stored metadata. */
public final class MembershipCodec {
  private static final int VERSION = 1;

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
      if (version != VERSION) throw new IllegalArgumentException("unknown membership encoding " + version);
      TreeMap<Long, Member> voters = readGroup(in);
      TreeMap<Long, Member> learners = readGroup(in);
      return new Membership(voters, learners);
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt membership record", e);
    }
  }

  private static void writeGroup(DataOutputStream out, Map<Long, Member> group) throws IOException {
    out.writeInt(group.size());
    for (Member m : group.values()) {
      out.writeLong(m.id());
      out.writeUTF(m.raftAddr());
      out.writeUTF(m.httpAddr());
    }
  }

  private static TreeMap<Long, Member> readGroup(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 10_000) throw new IOException("bad member count " + n);
    TreeMap<Long, Member> group = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      Member m = new Member(in.readLong(), in.readUTF(), in.readUTF());
      group.put(m.id(), m);
    }
    return group;
  }
}
