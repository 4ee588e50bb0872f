package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class MembershipCodecTest {
  @Test
  void incarnationsRoundTrip() {
    Membership m = Membership.ofVoters(List.of(new Member(1, "a:1", "a:2", 0x1234L), new Member(2, "b:1", "", -7L)))
        .withLearner(new Member(3, "c:1", "c:2", 99));
    Membership back = MembershipCodec.decode(MembershipCodec.encode(m));
    assertEquals(m, back);
    assertEquals(-7L, back.member(2).incarnation());
  }

  @Test
  void version1RecordsDecodeWithUnknownIncarnations() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeInt(1);
    out.writeLong(1);
    out.writeUTF("a:1");
    out.writeUTF("a:2");
    out.writeInt(0);
    Membership back = MembershipCodec.decode(bytes.toByteArray());
    assertEquals(Membership.ofVoters(List.of(new Member(1, "a:1", "a:2", 0))), back);
  }

  @Test
  void corruptRecordsAreRefusedWithIllegalArgument() {
    byte[] good = MembershipCodec.encode(Membership.ofVoters(List.of(new Member(1, "a:1", "a:2", 5))));
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 3);
    assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(truncated));
    byte[] longer = java.util.Arrays.copyOf(good, good.length + 2);
    assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(longer));
    assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(new byte[] {9}));
  }
}
