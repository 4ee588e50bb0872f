package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.Condition;
import io.raftkv.kv.KvCommand;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiskQuotaTest {
  private static final KvCommand SET = new KvCommand.Set("k", "v");
  private static final KvCommand DELETE = new KvCommand.Delete("k");

  @Test
  void raisedAboveTheQuotaAndClearedOnceBackUnder() {
    DiskQuota q = new DiskQuota(1000);
    assertEquals(DiskQuota.Change.NONE, q.update(1000), "at the quota is still within it");
    assertFalse(q.raised());
    assertEquals(List.of(), q.alarms());

    assertEquals(DiskQuota.Change.RAISED, q.update(1001));
    assertTrue(q.raised());
    assertEquals(List.of("NOSPACE"), q.alarms());
    assertEquals(1001, q.usageBytes());
    assertEquals(DiskQuota.Change.NONE, q.update(5000), "raised once, not on every measurement");

    assertEquals(DiskQuota.Change.CLEARED, q.update(999));
    assertFalse(q.raised());
    assertEquals(List.of(), q.alarms());
    assertTrue(q.admit(SET));
  }

  @Test
  void zeroMeansNoQuota() {
    DiskQuota q = new DiskQuota(0);
    assertEquals(DiskQuota.Change.NONE, q.update(Long.MAX_VALUE));
    assertFalse(q.raised());
    assertTrue(q.admit(SET));
    assertEquals(Long.MAX_VALUE, q.usageBytes(), "usage is still measured for /metrics");
  }

  @Test
  void whileRaisedOnlyWritesThatAddDataAreRefused() {
    DiskQuota q = new DiskQuota(10);
    q.update(11);
    assertFalse(q.admit(SET));
    assertFalse(q.admit(new KvCommand.GetSet("k", "v")));
    assertFalse(q.admit(new KvCommand.Batch(List.of(new KvCommand.Delete("a"), new KvCommand.Set("b", "v")))));
    assertFalse(q.admit(txn(List.of(new KvCommand.Delete("a")), List.of(new KvCommand.Set("b", "v")))));
    assertFalse(q.admit(txn(List.of(new KvCommand.Set("b", "v")), List.of())));

    assertTrue(q.admit(DELETE));
    assertTrue(q.admit(new KvCommand.Batch(List.of(new KvCommand.Delete("a"), new KvCommand.Delete("b")))));
    assertTrue(q.admit(txn(List.of(new KvCommand.Delete("a")), List.of(new KvCommand.Delete("b")))));
    assertTrue(q.admit(txn(List.of(), List.of())), "a compare with no writes adds nothing");
  }

  @Test
  void writesAdmittedSinceTheLastMeasurementCountTowardsTheQuota() {
    DiskQuota q = new DiskQuota(1000);
    q.update(700);
    KvCommand big = new KvCommand.Set("k", "v".repeat(99)); // about 2 x 100 bytes on disk
    assertEquals(200, DiskQuota.estimatedBytes(big));
    assertTrue(q.admit(big)); // 700 measured: admitted, counted as 200 more
    assertTrue(q.admit(big)); // 900: still within the quota, admitted
    assertFalse(q.admit(big), "1100 with the writes since the measurement: refused before the next one comes");
    assertFalse(q.raised(), "the alarm itself waits for a measurement");
    assertTrue(q.noSpaceMessage(1).contains("about to pass its quota"), q.noSpaceMessage(1));
    assertTrue(q.admit(DELETE));

    assertEquals(DiskQuota.Change.RAISED, q.update(1150));
    assertFalse(q.admit(big));
    assertEquals(DiskQuota.Change.CLEARED, q.update(400));
    assertTrue(q.admit(big), "a measurement starts the count afresh");
  }

  @Test
  void theRefusalSaysHowToGetBackUnderTheQuota() {
    DiskQuota q = new DiskQuota(100);
    q.update(150);
    String m = q.noSpaceMessage(3);
    assertTrue(m.contains("NOSPACE") && m.contains("node 3") && m.contains("150") && m.contains("100"), m);
    assertTrue(m.contains("deleting keys") && m.contains("/trigger_snapshot") && m.contains("/purge_log")
        && m.contains("quota_backend_bytes"), m);
  }

  private static KvCommand txn(List<KvCommand.Op> ifThen, List<KvCommand.Op> elseThen) {
    return new KvCommand.Txn(List.of(new Condition("a", Condition.Compare.EXISTS, null)), ifThen, elseThen, false);
  }
}
