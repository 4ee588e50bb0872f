package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.transport.PeerStamp;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class NodeIdentityTest {
  @Test
  void anEmptyStoreGetsADurableNonZeroIncarnationAndKeepsIt() {
    InMemoryStorage store = new InMemoryStorage();
    NodeIdentity first = NodeIdentity.load(2, store, new Random(1), () -> Membership.EMPTY);
    assertNotEquals(0, first.incarnation());
    assertEquals(first.incarnation(), store.incarnation(), "saved before anyone hears of it");
    NodeIdentity again = NodeIdentity.load(2, store.crashAndRecover(), new Random(99), () -> Membership.EMPTY);
    assertEquals(first.incarnation(), again.incarnation(), "a restart keeps the incarnation");
    NodeIdentity wiped = NodeIdentity.load(2, new InMemoryStorage(), new Random(99), () -> Membership.EMPTY);
    assertNotEquals(first.incarnation(), wiped.incarnation(), "a wiped disk gets a new one");
  }

  @Test
  void aNodeWithoutClusterLearnsItOnlyFromAnAdmittedLeaderMessageAndSavesIt() {
    InMemoryStorage store = new InMemoryStorage();
    NodeIdentity id = NodeIdentity.load(2, store, new Random(1), () -> Membership.EMPTY);
    PeerStamp fromLeader = new PeerStamp(0xC1, 1, 0x11, 2, id.incarnation());
    assertNull(id.admitRequest(fromLeader, 1, 2, false), "a RequestVote is admitted...");
    assertEquals(0, id.clusterId(), "...but teaches nothing");
    assertNotNull(id.admitRequest(new PeerStamp(0xC1, 1, 0x11, 2, id.incarnation() + 1), 1, 2, true));
    assertEquals(0, id.clusterId(), "a refused message teaches nothing either");
    assertNull(id.admitRequest(fromLeader, 1, 2, true));
    assertEquals(0xC1, id.clusterId());
    assertEquals(0xC1, store.clusterId(), "saved before the message is answered");
    assertNotNull(id.admitRequest(new PeerStamp(0xC2, 1, 0x11, 2, id.incarnation()), 1, 2, true),
        "from now on another cluster is refused");
    assertEquals(0xC1, id.replyTo(fromLeader).clusterId());
  }

  @Test
  void aWipedMemberReportsItsProblemUntilTheMembershipListsItsNewIncarnation() {
    AtomicReference<Membership> members = new AtomicReference<>(Membership.EMPTY);
    NodeIdentity id = NodeIdentity.load(2, new InMemoryStorage(), new Random(5), members::get);
    assertNull(id.problem());
    String refused = id.admitRequest(new PeerStamp(0xC1, 1, 0x11, 2, id.incarnation() ^ 1), 1, 2, false);
    assertNotNull(refused, "a vote request for the old incarnation is refused");
    assertNotNull(id.problem());
    assertTrue(id.problem().contains("/leave"), id.problem());
    members.set(Membership.ofVoters(List.of(new Member(1, "a:1", "", 0x11), new Member(2, "b:1", "", id.incarnation()))));
    assertNull(id.problem(), "once it is a member as itself, nothing is wrong");
  }

  @Test
  void outgoingMessagesAreStampedWithTheMembersRecordedIncarnation() {
    Membership m = Membership.ofVoters(List.of(new Member(1, "a:1", "", 0x11), new Member(3, "c:1", "", 0x33)));
    NodeIdentity id = NodeIdentity.load(1, new InMemoryStorage(), new Random(5), () -> m);
    id.joinCluster(0xC1);
    assertEquals(new PeerStamp(0xC1, 1, id.incarnation(), 3, 0x33), id.toPeer(3));
    id.rejected("test", "counted");
    assertEquals(1, id.rejectedCount());
  }
}
