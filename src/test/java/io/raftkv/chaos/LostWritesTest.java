package io.raftkv.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.chaos.OpRecord.KeyWrite;
import io.raftkv.chaos.OpRecord.Outcome;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LostWritesTest {
  private static OpRecord set(String key, String value, long call, long ret, Outcome outcome) {
    return new OpRecord(1, "set", 1, call, ret, outcome, outcome == Outcome.OK ? 200 : 0,
        List.of(new KeyWrite(key, value)));
  }

  @Test
  void theLastAcknowledgedWriteOnEveryNodeIsFine() {
    List<OpRecord> records = List.of(set("k", "a", 0, 1, Outcome.OK), set("k", "b", 2, 3, Outcome.OK));
    assertEquals(List.of(), LostWrites.check(records, Map.of(1, Map.of("k", "b"), 2, Map.of("k", "b"))));
  }

  @Test
  void anAcknowledgedWriteNothingCouldOverwriteMustSurvive() {
    List<OpRecord> records = List.of(set("k", "a", 0, 1, Outcome.OK), set("k", "b", 2, 3, Outcome.OK));
    List<String> problems = LostWrites.check(records, Map.of(1, Map.of("k", "a"), 2, Map.of("k", "a")));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("lost write: k=b")), problems.toString());
  }

  @Test
  void aConcurrentOrUnknownWriteMayHaveOverwrittenIt() {
    List<OpRecord> records = List.of(
        set("k", "a", 0, 10, Outcome.OK),
        set("k", "b", 5, 6, Outcome.OK), // overlaps a: either may be last
        set("k", "c", 20, 21, Outcome.UNKNOWN));
    assertEquals(List.of(), LostWrites.check(records, Map.of(1, Map.of("k", "c"))));
    List<String> onlyB = LostWrites.check(List.of(records.get(0), records.get(1)), Map.of(1, Map.of("k", "a")));
    assertEquals(List.of(), onlyB);
  }

  @Test
  void aFailedWriteMustNotShowAndReplicasMustAgree() {
    List<OpRecord> records = List.of(set("k", "a", 0, 1, Outcome.OK), set("k", "x", 2, 3, Outcome.FAILED));
    List<String> problems = LostWrites.check(records, Map.of(1, Map.of("k", "x"), 2, Map.of("k", "a")));
    assertTrue(problems.stream().anyMatch(p -> p.contains("answered as failed")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("replicas diverge on k")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("lost write: k=a")), problems.toString());
  }

  @Test
  void aValueNoRequestWroteIsReported() {
    List<String> problems = LostWrites.check(List.of(), Map.of(1, Map.of("k", "ghost")));
    assertEquals(List.of("node 1 holds k=ghost, which no request wrote"), problems);
  }
}
