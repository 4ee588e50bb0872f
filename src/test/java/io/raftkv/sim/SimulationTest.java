package io.raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic simulation over many seeds. System properties: {@code sim.seed} runs one
 * seed (to replay a failure), {@code sim.seeds} how many (default 2000: a run takes
 * milliseconds, and rare interleavings such as Figure 8 need about a thousand seeds), {@code sim.firstSeed} where
 * to start (default 1).
 */
class SimulationTest {
  private static String replay(long seed) {
    return "./mvnw -B test -Dtest=SimulationTest -Dsim.seed=" + seed;
  }

  @Test
  void seedsKeepEveryInvariantAndConverge() {
    String one = System.getProperty("sim.seed");
    long first = one != null ? Long.parseLong(one) : Long.getLong("sim.firstSeed", 1);
    int count = one != null ? 1 : Integer.getInteger("sim.seeds", 2000);
    int maxFailures = Integer.getInteger("sim.maxFailures", 5);
    List<String> failures = new ArrayList<>();
    int ran = 0;
    long virtualMs = 0;
    int maxHistory = 0;
    long maxHistoryCheckMs = 0;
    long slowestCheckMs = 0;
    long snapshotsInstalled = 0;
    long configChanges = 0;
    long elections = 0;
    long slowestHealToLeaderMs = 0;
    long slowestCalmToLeaderMs = 0;
    int mostCalmElections = 0;
    long startNanos = System.nanoTime(); // wall clock only to report speed, never inside a run
    for (long seed = first; seed < first + count; seed++) {
      ran++;
      try {
        Simulation.Result r = new Simulation(seed).run();
        System.out.println(r.line());
        virtualMs += r.virtualMs();
        if (r.historyOps() > maxHistory) {
          maxHistory = r.historyOps();
          maxHistoryCheckMs = r.lincheckMillis();
        }
        slowestCheckMs = Math.max(slowestCheckMs, r.lincheckMillis());
        snapshotsInstalled += r.snapshotsInstalled();
        configChanges += r.configChanges();
        elections += r.liveness().elections();
        slowestHealToLeaderMs = Math.max(slowestHealToLeaderMs, r.liveness().healToLeaderMs());
        slowestCalmToLeaderMs = Math.max(slowestCalmToLeaderMs, r.liveness().calmToLeaderMaxMs());
        mostCalmElections = Math.max(mostCalmElections, r.liveness().calmElectionsMax());
      } catch (SimulationFailure f) {
        System.out.println("FAILED " + f.getMessage());
        failures.add(f.getMessage() + "\n  replay: " + replay(seed));
        if (failures.size() >= maxFailures) break;
      }
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf(
        "summary: seeds=%d failed=%d seeds/s=%.1f virtual-s/run=%.1f max-history=%d (checked in %d ms)"
            + " slowest-check=%d ms snapshots-installed=%d membership-changes=%d elections=%d"
            + " slowest-heal-to-leader=%d ms slowest-calm-to-leader=%d ms most-calm-elections=%d%n",
        ran, failures.size(), ran / seconds, virtualMs / 1000.0 / Math.max(1, ran - failures.size()), maxHistory,
        maxHistoryCheckMs, slowestCheckMs, snapshotsInstalled, configChanges, elections, slowestHealToLeaderMs,
        slowestCalmToLeaderMs, mostCalmElections);
    if (!failures.isEmpty()) fail(failures.size() + " failing seed(s):\n" + String.join("\n", failures));
  }

  @Test
  void sameSeedGivesSameTrace() {
    long seed = Long.getLong("sim.seed", 42);
    Simulation.Result a = new Simulation(seed).run();
    Simulation.Result b = new Simulation(seed).run();
    assertEquals(a.line(), b.line(), "a seed must replay exactly: " + replay(seed));
  }
}
