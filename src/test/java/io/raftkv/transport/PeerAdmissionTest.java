package io.raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerAdmissionTest {
  private static final long CLUSTER = 0xC1;
  private static final PeerAdmission.Self SELF = new PeerAdmission.Self(2, 0x22, CLUSTER);
  private static final Membership MEMBERS = Membership.ofVoters(List.of(
      new Member(1, "a:1", "", 0x11), new Member(2, "b:1", "", 0x22), new Member(3, "c:1", "", 0x33)));

  private static String admit(PeerAdmission.Self self, Membership m, PeerStamp s) {
    return PeerAdmission.admit(self, m, s, s.fromId(), s.toId());
  }

  @Test
  void aMemberOfTheSameClusterAddressingThisIncarnationIsAdmitted() {
    assertNull(admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 1, 0x11, 2, 0x22)));
    assertNull(admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 3, 0x33, 2, 0x22)));
  }

  @Test
  void anotherClusterOrNoClusterIsRefused() {
    String r = admit(SELF, MEMBERS, new PeerStamp(0xC2, 1, 0x11, 2, 0x22));
    assertNotNull(r);
    assertTrue(r.contains("cluster c2"), r);
    assertNotNull(admit(SELF, MEMBERS, new PeerStamp(0, 1, 0x11, 2, 0x22)));
    assertNotNull(admit(SELF, MEMBERS, PeerStamp.NONE));
  }

  @Test
  void aNonMemberOrAMemberWithAnotherIncarnationIsRefused() {
    String stranger = admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 9, 0x99, 2, 0x22));
    assertNotNull(stranger);
    assertTrue(stranger.contains("not a member"), stranger);
    String wiped = admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 3, 0x34, 2, 0x22));
    assertNotNull(wiped, "a wiped member's vote or acknowledgement must not count");
    assertTrue(wiped.contains("/leave"), wiped);
  }

  @Test
  void aLeaderThisNodesConfigurationDoesNotListYetIsHeardButNotAWipedMember() {
    // Node 4 joined and leads while this node was down; only its AppendEntries can catch us up.
    PeerStamp newLeader = new PeerStamp(CLUSTER, 4, 0x44, 2, 0x22);
    assertNull(PeerAdmission.admit(SELF, MEMBERS, newLeader, 4, 2, true));
    assertNotNull(PeerAdmission.admit(SELF, MEMBERS, newLeader, 4, 2, false), "its votes are another matter");
    assertNotNull(PeerAdmission.admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 3, 0x34, 2, 0x22), 3, 2, true),
        "a member listed with another incarnation is refused even as a leader");
    assertNotNull(PeerAdmission.admit(SELF, MEMBERS, new PeerStamp(0xC2, 4, 0x44, 2, 0x22), 4, 2, true));
    assertNotNull(PeerAdmission.admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 4, 0x44, 2, 0x21), 4, 2, true));
  }

  @Test
  void aMessageForAnotherNodeOrAnotherIncarnationOfThisOneIsRefused() {
    assertNotNull(admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 1, 0x11, 3, 0x33)));
    PeerStamp toOldSelf = new PeerStamp(CLUSTER, 1, 0x11, 2, 0x21);
    assertNotNull(admit(SELF, MEMBERS, toOldSelf), "this node was wiped: it is not incarnation 21 any more");
    assertTrue(PeerAdmission.addressedToOldSelf(SELF, toOldSelf));
    assertFalse(PeerAdmission.addressedToOldSelf(SELF, new PeerStamp(CLUSTER, 1, 0x11, 2, 0x22)));
  }

  @Test
  void theBodyMustNameTheSameSenderAndReceiverAsTheHeader() {
    PeerStamp s = new PeerStamp(CLUSTER, 1, 0x11, 2, 0x22);
    assertNotNull(PeerAdmission.admit(SELF, MEMBERS, s, 3, 2), "forged sender in the body");
    assertNotNull(PeerAdmission.admit(SELF, MEMBERS, s, 1, 3), "forged receiver in the body");
  }

  @Test
  void aNodeWithoutClusterAcceptsOnlyWhatIsAddressedToItsIdAndIncarnation() {
    PeerAdmission.Self fresh = new PeerAdmission.Self(4, 0x44, 0);
    assertNull(admit(fresh, Membership.EMPTY, new PeerStamp(CLUSTER, 1, 0x11, 4, 0x44)));
    assertNotNull(admit(fresh, Membership.EMPTY, new PeerStamp(CLUSTER, 1, 0x11, 4, 0x45)));
    assertNotNull(admit(fresh, Membership.EMPTY, new PeerStamp(CLUSTER, 1, 0x11, 5, 0x44)));
    assertNull(admit(fresh, Membership.EMPTY, new PeerStamp(0, 1, 0x11, 4, 0x44)),
        "members whose data predates cluster ids talk without one");
  }

  @Test
  void membersRecordedWithoutIncarnationAreMatchedOnIdAlone() {
    Membership old = Membership.ofVoters(List.of(new Member(1, "a:1", ""), new Member(2, "b:1", "")));
    assertNull(admit(SELF, old, new PeerStamp(CLUSTER, 1, 0x99, 2, 0x22)));
    assertNull(admit(SELF, old, new PeerStamp(CLUSTER, 1, 0x99, 2, 0)), "peers address this node as incarnation 0");
    assertNotNull(admit(SELF, MEMBERS, new PeerStamp(CLUSTER, 1, 0x11, 2, 0)), "but not when its incarnation is known");
  }
}
