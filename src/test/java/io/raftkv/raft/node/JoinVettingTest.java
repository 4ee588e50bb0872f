package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.driver.JoinVerdict;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.transport.PeerInfo;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class JoinVettingTest {
  private static final Member REQUESTED = new Member(4, "127.0.0.1:9004", "127.0.0.1:9104");

  private static PeerInfo hello(long id, long cluster, long incarnation) {
    return new PeerInfo(id, "127.0.0.1:9004", "", Membership.EMPTY, 0, cluster, incarnation, false);
  }

  @Test
  void aFreshNodeIsAddedWithTheIncarnationItReports() {
    JoinVerdict v = JoinVetting.decide(REQUESTED, hello(4, 0, 0x44), null, 0xC1);
    assertNull(v.refusal());
    assertEquals(new Member(4, "127.0.0.1:9004", "127.0.0.1:9104", 0x44), v.member());
    assertNull(JoinVetting.decide(REQUESTED, hello(4, 0xC1, 0x44), null, 0xC1).refusal(), "already ours");
  }

  @Test
  void noAnswerOrANonRaftkvAnswerIsInvalid() {
    JoinVerdict silent = JoinVetting.decide(REQUESTED, null, new TimeoutException(), 0xC1);
    AdminOutcome.Invalid i = assertInstanceOf(AdminOutcome.Invalid.class, silent.refusal());
    assertTrue(i.reason().contains("did not answer within"), i.reason());
    JoinVerdict garbage = JoinVetting.decide(REQUESTED, null, new IllegalStateException("protocol error"), 0xC1);
    assertInstanceOf(AdminOutcome.Invalid.class, garbage.refusal());
  }

  @Test
  void anotherNodeIdIsInvalidAndAnotherClusterIsAConflict() {
    assertInstanceOf(AdminOutcome.Invalid.class, JoinVetting.decide(REQUESTED, hello(5, 0, 1), null, 0xC1).refusal());
    AdminOutcome.Conflict c = assertInstanceOf(
        AdminOutcome.Conflict.class, JoinVetting.decide(REQUESTED, hello(4, 0xC2, 1), null, 0xC1).refusal());
    assertTrue(c.reason().contains("another cluster"), c.reason());
  }
}
