package io.raftkv.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Real node processes under a seeded schedule of kills, pauses, partitions, slow disks and links,
 * membership changes and leader transfers, with a concurrent client workload whose history must be
 * linearizable and lose no acknowledged write.
 *
 * <p>By default each cluster size runs a short schedule (90 s); {@code -Dchaos.minutes=30} runs a
 * long one, {@code -Dchaos.nodes=3} (or 5) only one size, {@code -Dchaos.seed=N} replays a seed's
 * fault sequence, {@code -Dchaos.strict=true} also fails on a missed availability target.
 * {@code scripts/chaos.sh} runs the long form.
 */
@Tag("chaos")
class ChaosIT {

  @Test
  void threeNodes() throws Exception {
    run(3);
  }

  @Test
  void fiveNodes() throws Exception {
    run(5);
  }

  /** {@code -Dchaos.recheck=.../history.jsonl}: checks a saved history again, without a cluster. */
  @Test
  void recheck() throws Exception {
    String file = System.getProperty("chaos.recheck", "");
    assumeTrue(!file.isBlank(), "no -Dchaos.recheck=history.jsonl given");
    var ops = HistoryFile.read(Path.of(file));
    ChaosRun.Checked checked = ChaosRun.check(ops, Duration.ofMinutes(20));
    System.out.println("recheck of " + file + ": " + ops.size() + " operations, " + checked.leftOut()
        + " unobserved unknown writes left out: " + checked.result().verdict() + " in "
        + checked.result().elapsedMillis() + " ms; " + checked.result().description());
    assertTrue(checked.result().isLinearizable(), checked.result().description());
  }

  private static void run(int voters) throws Exception {
    assumeTrue(System.getProperty("chaos.recheck", "").isBlank(), "rechecking a saved history instead");
    String only = System.getProperty("chaos.nodes", "");
    assumeTrue(only.isBlank() || Integer.parseInt(only.trim()) == voters, "chaos.nodes=" + only);
    long seed = Long.getLong("chaos.seed", System.nanoTime() & 0xffff_ffffL);
    String minutes = System.getProperty("chaos.minutes", "");
    Duration duration = minutes.isBlank()
        ? Duration.ofSeconds(90)
        : Duration.ofMillis(Math.round(Double.parseDouble(minutes) * 60_000));
    Path dir = Path.of("target", "chaos", voters + "-nodes-seed-" + seed).toAbsolutePath();
    ChaosRun.Options options = new ChaosRun.Options(voters, duration, seed, 8, Duration.ofSeconds(10),
        Duration.ofMinutes(minutes.isBlank() ? 2 : 20), Boolean.getBoolean("chaos.strict"), dir);
    System.out.println("chaos: " + voters + " nodes, seed " + seed + ", " + duration.toSeconds() + " s, in " + dir);
    ChaosRun.Verdict verdict = new ChaosRun(options).run();
    System.out.println(verdict.summary());
    assertTrue(verdict.passed(), verdict.summary());
  }
}
