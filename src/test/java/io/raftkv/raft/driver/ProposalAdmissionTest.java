package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.WriteOutcome;
import org.junit.jupiter.api.Test;

class ProposalAdmissionTest {
  @Test
  void countBoundRefusesUntilEntriesAreApplied() {
    ProposalAdmission admission = new ProposalAdmission(2, 1 << 20);
    assertNull(admission.refusal(10));
    admission.admitted(5, 10);
    assertNull(admission.refusal(10));
    admission.admitted(6, 10);
    WriteOutcome.Overloaded refused = admission.refusal(10);
    assertNotNull(refused);
    assertTrue(refused.reason().contains("max_pending_proposals = 2"), refused.reason());
    assertEquals(ProposalAdmission.RETRY_AFTER_MS, refused.retryAfterMs());
    admission.applied(5);
    assertNull(admission.refusal(10));
    assertEquals(1, admission.pendingCount());
  }

  @Test
  void byteBoundRefusesButNeverALoneWrite() {
    ProposalAdmission admission = new ProposalAdmission(100, 100);
    // One write larger than the whole bound is still admitted when nothing else waits.
    assertNull(admission.refusal(150));
    admission.admitted(1, 60);
    assertNull(admission.refusal(40));
    WriteOutcome.Overloaded refused = admission.refusal(41);
    assertNotNull(refused);
    assertTrue(refused.reason().contains("max_pending_proposal_bytes = 100"), refused.reason());
    admission.applied(1);
    assertEquals(0, admission.pendingBytes());
    assertNull(admission.refusal(100));
  }

  @Test
  void losingLeadershipForgetsWhatWasPending() {
    ProposalAdmission admission = new ProposalAdmission(1, 100);
    admission.admitted(3, 10);
    assertNotNull(admission.refusal(1));
    admission.clear();
    assertNull(admission.refusal(1));
    assertEquals(0, admission.pendingBytes());
  }
}
