package io.raftkv.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.raftkv.check.CheckResult.Verdict;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real Jepsen histories of etcd as a compare-and-set register, with verdicts nobody here wrote
 * (src/test/resources/jepsen-etcd, from Porcupine's test data, MIT). Every listed file must get
 * its recorded verdict, within a generous budget: a timeout counts as a failure, so slowness shows
 * up as a wrong answer rather than as a flaky timing assertion.
 */
class JepsenEtcdHistoriesTest {

  private static final String DIR = "/jepsen-etcd/";
  private static final long BUDGET_MILLIS = 5_000;

  @Test
  void everyHistoryGetsItsRecordedVerdict() throws IOException {
    Map<String, Verdict> expected = verdicts();
    assertFalse(expected.isEmpty(), "no verdicts found");
    RegisterModel model = new RegisterModel();
    long maxMicros = 0;
    String slowest = null;
    int largest = 0;
    String largestFile = null;
    for (Map.Entry<String, Verdict> e : expected.entrySet()) {
      List<Operation<RegisterModel.Op, RegisterModel.Result>> history = load(e.getKey());
      long start = System.nanoTime();
      CheckResult<RegisterModel.Op, RegisterModel.Result> r =
          LinearizabilityChecker.check(model, history, BUDGET_MILLIS);
      // Printed for information only; the budget above is the one enforced.
      long micros = (System.nanoTime() - start) / 1_000;
      System.out.printf("%s: %d ops, %s in %d us%n", e.getKey(), history.size(), r.verdict(), micros);
      assertNotEquals(Verdict.TIMED_OUT, r.verdict(), e.getKey() + ": " + r.description());
      assertEquals(e.getValue(), r.verdict(), e.getKey() + ": " + r.description());
      if (micros >= maxMicros) {
        maxMicros = micros;
        slowest = e.getKey();
      }
      if (history.size() > largest) {
        largest = history.size();
        largestFile = e.getKey();
      }
    }
    System.out.printf(
        "jepsen-etcd: %d files, slowest %s (%d us), largest history %s (%d ops)%n",
        expected.size(), slowest, maxMicros, largestFile, largest);
  }

  @Test
  void aFailureNamesTheStuckPoint() throws IOException {
    List<Operation<RegisterModel.Op, RegisterModel.Result>> history = load("etcd_000.log");
    CheckResult<RegisterModel.Op, RegisterModel.Result> r =
        LinearizabilityChecker.check(new RegisterModel(), history, BUDGET_MILLIS);
    System.out.println("etcd_000.log: " + r.description());
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertEquals("all", r.partition());
    // The prefix found must itself be a legal sequential run of the model.
    RegisterModel model = new RegisterModel();
    Integer state = model.init();
    for (Operation<RegisterModel.Op, RegisterModel.Result> op : r.longestPrefix()) {
      Model.Step<Integer> step = model.step(state, op.input(), op.output());
      assertEquals(true, step.ok(), "prefix step " + op);
      state = step.state();
    }
  }

  private static Map<String, Verdict> verdicts() throws IOException {
    Map<String, Verdict> verdicts = new LinkedHashMap<>();
    try (BufferedReader in = open("verdicts.tsv")) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) continue;
        String[] cols = line.split("\t");
        assertEquals(2, cols.length, "verdicts.tsv line: " + line);
        switch (cols[1].trim()) {
          case "linearizable":
            verdicts.put(cols[0].trim(), Verdict.LINEARIZABLE);
            break;
          case "not-linearizable":
            verdicts.put(cols[0].trim(), Verdict.NOT_LINEARIZABLE);
            break;
          default:
            throw new IllegalStateException("unknown verdict in: " + line);
        }
      }
    }
    return verdicts;
  }

  private static List<Operation<RegisterModel.Op, RegisterModel.Result>> load(String file)
      throws IOException {
    try (BufferedReader in = open(file)) {
      return JepsenLogParser.parse(in);
    }
  }

  private static BufferedReader open(String file) {
    InputStream stream = JepsenEtcdHistoriesTest.class.getResourceAsStream(DIR + file);
    assertNotNull(stream, "missing test resource " + DIR + file);
    return new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
  }
}
