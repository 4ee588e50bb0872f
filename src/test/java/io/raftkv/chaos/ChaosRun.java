package io.raftkv.chaos;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.raftkv.check.CheckResult;
import io.raftkv.check.HistoryRecorder;
import io.raftkv.check.KvModel;
import io.raftkv.check.LinearizabilityChecker;
import io.raftkv.check.Operation;
import io.raftkv.check.UnobservedWrites;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One chaos run end to end: start real nodes behind link proxies, run the workload while the
 * nemesis injects faults, heal, let every member catch up, read everything back, and judge the
 * history (linearizability, lost writes, answers from cut-off nodes), writing a JSON report and
 * keeping the node logs next to it.
 */
final class ChaosRun {
  /**
   * What to run.
   *
   * @param strict also fail the run when an availability target is missed (not only on safety)
   */
  record Options(int voters, Duration duration, long seed, int clients, Duration epoch, Duration checkBudget,
      boolean strict, Path dir) {}

  /** What the run concluded. */
  record Verdict(boolean passed, List<String> failures, String summary, Path report) {}

  /** The most one part of the history (one key group in one epoch) may take to check. */
  static final Duration PARTITION_BUDGET = Duration.ofSeconds(30);

  /** Election timeout upper bound at the defaults the targets are stated for. */
  static final long ELECTION_TIMEOUT_MAX_MS = 800;

  private final Options options;
  /** Starts once the cluster is up, so run time 0 is the first request. */
  private RunClock clock;
  private final HistoryRecorder<KvModel.Op, KvModel.Result> history = new HistoryRecorder<>();

  ChaosRun(Options options) {
    this.options = options;
  }

  Verdict run() throws Exception {
    deleteTree(options.dir()); // a run never starts from an earlier run's data
    Files.createDirectories(options.dir());
    try (ChaosCluster cluster = new ChaosCluster(options.dir(), options.voters(), options.seed())) {
      cluster.start(Duration.ofSeconds(120)); // six JVMs starting at once on two cores
      clock = new RunClock();
      KeySpace keys = new KeySpace(5, 4, options.epoch().toNanos() / 1_000);
      Workload workload = new Workload(cluster, keys, clock, history, options.seed());
      Nemesis nemesis = new Nemesis(cluster, clock, options.seed(), workload::probeFailover);
      Thread watcher = daemon("chaos-leader-watch", () -> {
        while (!clock.stopped()) {
          cluster.leader().ifPresent(workload::leaderHint);
          if (!clock.hold(Duration.ofMillis(250))) return;
        }
      });
      List<Throwable> nemesisFailure = new ArrayList<>();
      Thread nemesisThread = daemon("chaos-nemesis", () -> {
        try {
          nemesis.run();
        } catch (Throwable t) {
          nemesisFailure.add(t);
          clock.stop();
        }
      });
      workload.start(options.clients());
      watcher.start();
      nemesisThread.start();
      clock.hold(options.duration());
      clock.stop();
      long end = clock.micros();
      nemesisThread.join(120_000);
      workload.join();
      if (!nemesisFailure.isEmpty()) throw new IllegalStateException("the nemesis failed", nemesisFailure.get(0));

      Map<Integer, Map<String, String>> finals = null;
      String unrecovered = null;
      try {
        finals = readBack(cluster, keys, recover(cluster));
      } catch (ConditionTimeoutException | IllegalStateException e) {
        unrecovered = e.getMessage();
      }
      return judge(cluster, workload.records(), nemesis.faults(), finals, unrecovered, end);
    }
  }

  /** After the last fault: a leader, every member ready, and every member applied all it has. */
  private int recover(ChaosCluster cluster) throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(60));
    await("every member ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.allReady(cluster.members()));
    leader = cluster.awaitLeader(Duration.ofSeconds(30));
    long target = metrics(cluster, leader).path("last_log_index").asLong();
    await("every member applies up to " + target).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.members().stream()
            .allMatch(id -> metrics(cluster, id).path("last_applied").path("index").asLong(-1) >= target));
    return leader;
  }

  /**
   * Reads every key with a linearizable get from the leader (into the history, so the checker
   * sees the final state) and every member's local copy of the whole key space.
   */
  private Map<Integer, Map<String, String>> readBack(ChaosCluster cluster, KeySpace keys, int leader)
      throws Exception {
    int reader = options.clients();
    for (String key : keys.allKeys(keys.epochAt(clock.micros()))) {
      long call = clock.micros();
      NodeHttp.Answer a = cluster.http().get(cluster.node(leader).httpPort(),
          "/get?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8), Duration.ofSeconds(10));
      if (!a.ok()) throw new IllegalStateException("final read of " + key + ": " + a.status() + " " + a.body());
      JsonNode v = a.body().path("value");
      int h = history.invoke(reader, new KvModel.Get(key), call);
      history.ok(h, new KvModel.Value(v.isNull() ? null : v.asText()), clock.micros());
    }
    Map<Integer, Map<String, String>> finals = new TreeMap<>();
    for (int id : cluster.members()) {
      finals.put(id, localContents(cluster, id));
    }
    return finals;
  }

  private static Map<String, String> localContents(ChaosCluster cluster, int id) throws Exception {
    Map<String, String> out = new TreeMap<>();
    String after = null;
    while (true) {
      String q = "/prefix?consistency=local&limit=5000&prefix=" + URLEncoder.encode(KeySpace.prefix(), StandardCharsets.UTF_8)
          + (after == null ? "" : "&start_after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
      NodeHttp.Answer a = cluster.http().get(cluster.node(id).httpPort(), q, Duration.ofSeconds(10));
      if (!a.ok()) throw new IllegalStateException("reading node " + id + ": " + a.status() + " " + a.body());
      for (JsonNode item : a.body().path("items")) {
        out.put(item.path("key").asText(), item.path("value").asText());
      }
      if (!a.body().path("more").asBoolean(false)) return out;
      after = a.body().path("next_key").asText();
    }
  }

  /**
   * @param finals each member's contents after recovery, or null when the cluster did not
   *     recover (then {@code unrecovered} says how, and only the history is checked)
   */
  private Verdict judge(ChaosCluster cluster, List<OpRecord> records, List<FaultRecord> faults,
      Map<Integer, Map<String, String>> finals, String unrecovered, long end) throws IOException {
    List<Operation<KvModel.Op, KvModel.Result>> ops = history.history();
    writeRecords(records);
    HistoryFile.write(options.dir().resolve("history.jsonl"), ops);
    Checked checked = check(ops, options.checkBudget());
    CheckResult<KvModel.Op, KvModel.Result> check = checked.result();
    List<String> lost = finals == null ? List.of() : LostWrites.check(records, finals);
    RunFigures figures = new RunFigures(records, faults, end);

    List<String> failures = new ArrayList<>();
    // A run that acknowledged nothing or broke nothing has proved nothing.
    if (figures.counts().get("ok_writes") == 0) failures.add("no write was acknowledged");
    if (faults.isEmpty()) failures.add("no fault was injected");
    if (unrecovered != null) failures.add("the cluster did not recover after the last fault: " + unrecovered);
    if (check.verdict() != CheckResult.Verdict.LINEARIZABLE) failures.add("history: " + check.description());
    lost.stream().limit(20).forEach(p -> failures.add("durability: " + p));
    if (!figures.unexpectedStatuses().isEmpty()) failures.add("unexpected answers: " + figures.unexpectedStatuses());
    long minorityOk = figures.minorityAcknowledged();
    if (minorityOk > 0) failures.add(minorityOk + " writes sent to a cut-off node were acknowledged");
    for (FaultRecord f : faults) {
      if (f.notes().stream().anyMatch(n -> n.startsWith("NOT settled"))) failures.add("did not recover: " + f);
    }
    Map<String, Object> targets = targets(figures);
    if (options.strict()) {
      targets.forEach((name, t) -> {
        if (t instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("met"))) failures.add("target missed: " + name + " " + m);
      });
    }

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("seed", options.seed());
    report.put("voters", options.voters());
    report.put("clients", options.clients());
    report.put("duration_s", end / 1_000_000.0);
    report.put("verdict", failures.isEmpty() ? "pass" : "fail");
    report.put("failures", failures);
    report.put("ops", figures.counts());
    report.put("ok_ops_per_s", Math.round(figures.counts().get("ok") / (end / 1e6)));
    report.put("unexpected_statuses", figures.unexpectedStatuses());
    long[] gap = figures.longestWriteGap(0, end);
    report.put("longest_write_gap_ms", gap[0] / 1000);
    report.put("longest_write_gap_from_ms", gap[1] / 1000);
    report.put("targets", targets);
    report.put("linearizability", Map.of("verdict", check.verdict().name(), "operations", check.operations(),
        "check_ms", check.elapsedMillis(), "description", check.description(),
        "unobserved_unknown_writes_left_out", checked.leftOut(),
        "without_unobserved_unknown_writes", checked.firstPass()));
    report.put("lost_write_problems", lost.size());
    report.put("faults", figures.perFault());
    Path file = options.dir().resolve("report.json");
    NodeHttp.JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);

    if (check.verdict() != CheckResult.Verdict.LINEARIZABLE) writeFailingPart(check, ops);
    String summary = summary(report, faults, failures, file);
    if (failures.isEmpty()) deleteData(cluster);
    return new Verdict(failures.isEmpty(), failures, summary, file);
  }

  /** A verdict on a history, and how many unobserved unknown writes it was reached without. */
  record Checked(CheckResult<KvModel.Op, KvModel.Result> result, int leftOut, String firstPass) {}

  /**
   * Checks a history, first without the unknown writes nobody observed (cheap, and a pass then
   * holds for the whole history), and only if that fails the whole history; each search gets
   * half the budget.
   */
  static Checked check(List<Operation<KvModel.Op, KvModel.Result>> ops, Duration budget) {
    List<Operation<KvModel.Op, KvModel.Result>> pruned = UnobservedWrites.prune(ops);
    long half = budget.toMillis() / 2;
    CheckResult<KvModel.Op, KvModel.Result> check =
        LinearizabilityChecker.check(new KvModel(), pruned, half, PARTITION_BUDGET.toMillis());
    if (check.isLinearizable() || pruned.size() == ops.size()) {
      return new Checked(check, ops.size() - pruned.size(), "");
    }
    CheckResult<KvModel.Op, KvModel.Result> whole =
        LinearizabilityChecker.check(new KvModel(), ops, half, PARTITION_BUDGET.toMillis());
    return new Checked(whole, 0, check.verdict() + ": " + check.description());
  }

  /** The availability targets, each with its measured value and whether it was met. */
  private static Map<String, Object> targets(RunFigures figures) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("first_write_after_leader_loss_ms",
        target(figures.worstLeaderLoss(Set.of("kill", "pause", "isolate", "split")) / 1000, 2_000));
    // A leader that sends but hears nothing keeps its followers from timing out until CheckQuorum
    // deposes it, so failover takes two election timeouts by design: measured, with that bound.
    t.put("first_write_after_deafened_leader_ms",
        target(figures.worstLeaderLoss(Set.of("deafen")) / 1000, 2 * ELECTION_TIMEOUT_MAX_MS + 1_000));
    t.put("minority_write_answer_ms", target(figures.slowestMinorityAnswer() / 1000, 1_000));
    t.put("bridge_stall_ms", target(figures.worstStallUnder("bridge") / 1000, 3 * ELECTION_TIMEOUT_MAX_MS));
    t.put("flapping_stall_ms", target(figures.worstStallUnder("flapping") / 1000, 3 * ELECTION_TIMEOUT_MAX_MS));
    return t;
  }

  private static Map<String, Object> target(long measured, long limit) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("measured", measured);
    m.put("limit", limit);
    m.put("met", measured <= limit);
    return m;
  }

  /** Every client request as one CSV line, for plotting or reading next to the node logs. */
  private void writeRecords(List<OpRecord> records) throws IOException {
    StringBuilder sb = new StringBuilder("client,kind,node,call_ms,return_ms,outcome,status,writes\n");
    for (OpRecord r : records) {
      sb.append(r.client()).append(',').append(r.kind()).append(',').append(r.node()).append(',')
          .append(r.call() / 1000.0).append(',').append(r.ret() / 1000.0).append(',').append(r.outcome()).append(',')
          .append(r.status()).append(',')
          .append(r.writes().stream().map(w -> w.key() + "=" + w.value()).collect(Collectors.joining(" ")))
          .append('\n');
    }
    Files.writeString(options.dir().resolve("ops.csv"), sb);
  }

  /** The failing part's operations in call order, for reading next to the node logs. */
  private void writeFailingPart(CheckResult<KvModel.Op, KvModel.Result> check,
      List<Operation<KvModel.Op, KvModel.Result>> ops) throws IOException {
    Map<String, List<Operation<KvModel.Op, KvModel.Result>>> parts = new KvModel().partition(ops);
    List<Operation<KvModel.Op, KvModel.Result>> part = parts.getOrDefault(check.partition(), List.of());
    String text = part.stream().map(Operation::toString).collect(Collectors.joining("\n"))
        + "\n\nlongest linearizable prefix ends with:\n"
        + check.longestPrefix().stream().skip(Math.max(0, check.longestPrefix().size() - 10))
            .map(Operation::toString).collect(Collectors.joining("\n"));
    Files.writeString(options.dir().resolve("failing-history.txt"), text);
  }

  private String summary(Map<String, Object> report, List<FaultRecord> faults, List<String> failures, Path file) {
    StringBuilder sb = new StringBuilder();
    sb.append("chaos run: ").append(options.voters()).append(" nodes, seed ").append(options.seed())
        .append(", ").append(report.get("duration_s")).append(" s, verdict ").append(report.get("verdict")).append('\n');
    sb.append("  ops ").append(report.get("ops")).append(", ").append(report.get("ok_ops_per_s")).append(" ok/s\n");
    sb.append("  longest write gap ").append(report.get("longest_write_gap_ms")).append(" ms from ")
        .append(report.get("longest_write_gap_from_ms")).append(" ms\n");
    sb.append("  targets ").append(report.get("targets")).append('\n');
    sb.append("  linearizability ").append(report.get("linearizability")).append('\n');
    sb.append("  faults (").append(faults.size()).append("):\n");
    for (FaultRecord f : faults) {
      sb.append("    ").append(f).append('\n');
    }
    for (String f : failures) {
      sb.append("  FAILURE: ").append(f).append('\n');
    }
    sb.append("  report ").append(file).append(failures.isEmpty() ? "" : " (node logs kept next to it)").append('\n');
    if (!failures.isEmpty()) {
      sb.append("  replay: -Dchaos.seed=").append(options.seed()).append(" -Dchaos.nodes=").append(options.voters())
          .append('\n');
    }
    return sb.toString();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static void deleteData(ChaosCluster cluster) {
    for (NodeProcess n : cluster.allNodes()) {
      try {
        n.kill();
        n.wipe();
      } catch (IOException e) {
        // leaving a data directory behind is harmless; the report is what matters
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static JsonNode metrics(ChaosCluster cluster, int id) {
    try {
      NodeHttp.Answer a = cluster.http().get(cluster.node(id).httpPort(), "/metrics", Duration.ofSeconds(2));
      return a.body();
    } catch (IOException e) {
      return NodeHttp.JSON.createObjectNode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return NodeHttp.JSON.createObjectNode();
    }
  }

  private static Thread daemon(String name, ThrowingRunnable body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, name);
    t.setDaemon(true);
    return t;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }
}
