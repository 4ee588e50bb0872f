package io.raftkv.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.chaos.OpRecord.KeyWrite;
import io.raftkv.chaos.OpRecord.Outcome;
import io.raftkv.check.HistoryRecorder;
import io.raftkv.check.KvModel;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Clients that each send one request at a time, as fast as answers come: linearizable gets, sets,
 * deletes, compare-and-sets (a {@code /txn} whose one condition is the value last seen) and
 * atomic {@code /batch_write}s within one key group, every written value unique. Half the requests
 * go to the node that leads, half to any member, so followers forward and serve ReadIndex.
 *
 * <p>Each request is recorded twice: as a {@code KvModel} operation for the linearizability
 * checker (a 503, 421 or 429, or a request never sent, definitely did nothing and is left out; a
 * 504, a timeout or a lost connection is unknown) and as an {@link OpRecord} for the figures.
 */
final class Workload {
  /**
   * How long a client waits for an answer. Shorter than the node's 5 s request timeout, as many
   * real clients are: a node that is paused or cut off costs a client 4 s at most, and the request
   * counts as unknown.
   */
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(4);
  /** A failover probe gives each node a second before it tries the next. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
  /** The probe's pause between attempts: the precision of the failover time it measures. */
  static final Duration PROBE_PAUSE = Duration.ofMillis(50);

  private final ChaosCluster cluster;
  private final KeySpace keys;
  private final RunClock clock;
  private final HistoryRecorder<KvModel.Op, KvModel.Result> history;
  private final List<OpRecord> records = Collections.synchronizedList(new ArrayList<>());
  private final NodeHttp http = new NodeHttp(Duration.ofSeconds(1));
  private final List<Thread> threads = new ArrayList<>();
  private final long seed;
  private volatile int leaderHint = -1;
  private int probes;
  private final List<Thread> probeThreads = new ArrayList<>();

  Workload(ChaosCluster cluster, KeySpace keys, RunClock clock,
      HistoryRecorder<KvModel.Op, KvModel.Result> history, long seed) {
    this.cluster = cluster;
    this.keys = keys;
    this.clock = clock;
    this.history = history;
    this.seed = seed;
  }

  void start(int clients) {
    for (int c = 0; c < clients; c++) {
      int id = c;
      Thread t = new Thread(() -> new Client(id, new Random(seed * 7919 + id)).run(), "chaos-client-" + c);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /**
   * Waits for every client and probe to finish its request in flight (the clock must be stopped
   * first), so that every request that may have been applied is in the records.
   */
  void join() throws InterruptedException {
    for (Thread t : threads) {
      t.join(CLIENT_TIMEOUT.toMillis() + 5_000);
    }
    List<Thread> probing;
    synchronized (probeThreads) {
      probing = List.copyOf(probeThreads);
    }
    for (Thread t : probing) {
      t.join(PROBE_TIMEOUT.toMillis() + 5_000);
    }
  }

  /**
   * After the leader was taken away (killed, paused, cut off): a client of its own sends a write
   * to each other member in turn, a second each, until one is acknowledged, so the time to the
   * first acknowledged write measures the cluster's failover rather than how many of the
   * workload's clients happen to wait on the lost leader.
   */
  void probeFailover(int lost) {
    int id;
    synchronized (this) {
      id = threads.size() + 1000 + probes++;
    }
    long until = clock.micros() + 15_000_000L;
    Thread t = new Thread(() -> new Client(id, new Random(seed * 31 + id)).probe(lost, until), "chaos-probe-" + id);
    t.setDaemon(true);
    synchronized (probeThreads) {
      probeThreads.add(t);
    }
    t.start();
  }

  void leaderHint(int id) {
    leaderHint = id;
  }

  List<OpRecord> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  private final class Client {
    private final int id;
    private final Random random;
    private final Map<String, String> lastSeen = new HashMap<>();
    private Outcome last = Outcome.OK;
    private long seq;

    Client(int id, Random random) {
      this.id = id;
      this.random = random;
    }

    void run() {
      while (!clock.stopped()) {
        try {
          once();
          // After an error, a short pause, as a client backs off: a node that answers at once
          // (no leader, or a leader it cannot reach) is not asked thousands of times a second.
          if (last != Outcome.OK && !clock.hold(Duration.ofMillis(20 + random.nextInt(60)))) return;
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private void record(OpRecord r) {
      last = r.outcome();
      records.add(r);
    }

    private void once() throws InterruptedException {
      long epoch = keys.epochAt(clock.micros());
      int group = random.nextInt(keys.groups());
      String key = keys.key(epoch, group, random.nextInt(keys.perGroup()));
      int node = target();
      int roll = random.nextInt(100);
      if (roll < 35) {
        get(node, key);
      } else if (roll < 60) {
        String value = value();
        write(node, "set", new KvModel.Set(key, value), "/set", body("key", key, "value", value),
            List.of(new KeyWrite(key, value)), CLIENT_TIMEOUT);
      } else if (roll < 70) {
        write(node, "delete", new KvModel.Delete(key), "/delete", body("key", key),
            List.of(new KeyWrite(key, null)), CLIENT_TIMEOUT);
      } else if (roll < 85) {
        cas(node, key);
      } else {
        batch(node, epoch, group);
      }
    }

    void probe(int lost, long until) {
      int turn = 0;
      while (!clock.stopped() && clock.micros() < until) {
        List<Integer> others = new ArrayList<>(cluster.members());
        others.remove(Integer.valueOf(lost));
        if (others.isEmpty()) return;
        int node = others.get(turn++ % others.size());
        String key = keys.key(keys.epochAt(clock.micros()), random.nextInt(keys.groups()),
            random.nextInt(keys.perGroup()));
        String value = value();
        try {
          Outcome o = write(node, "set", new KvModel.Set(key, value), "/set", body("key", key, "value", value),
              List.of(new KeyWrite(key, value)), PROBE_TIMEOUT);
          if (o == Outcome.OK) return;
          // A node that answers at once (no leader yet, or its leader is gone) is asked again
          // after a pause, as a client would, not hundreds of times a second.
          if (!clock.hold(PROBE_PAUSE)) return;
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private int target() {
      List<Integer> members = new ArrayList<>(cluster.members());
      int hint = leaderHint;
      if (hint > 0 && members.contains(hint) && random.nextBoolean()) return hint;
      return members.get(random.nextInt(members.size()));
    }

    private String value() {
      return "c" + id + "-" + (++seq);
    }

    private void get(int node, String key) throws InterruptedException {
      KvModel.Op op = new KvModel.Get(key);
      long call = clock.micros();
      int h = history.invoke(id, op, call);
      String path = "/get?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8);
      try {
        NodeHttp.Answer a = http.get(cluster.node(node).httpPort(), path, CLIENT_TIMEOUT);
        long ret = clock.micros();
        if (a.ok()) {
          JsonNode v = a.body().path("value");
          String value = v.isNull() || v.isMissingNode() ? null : v.asText();
          lastSeen.put(key, value);
          history.ok(h, new KvModel.Value(value), ret);
        }
        finish(h, "get", node, call, ret, a.status(), List.of());
      } catch (NodeHttp.NotSent e) {
        history.fail(h);
        record(new OpRecord(id, "get", node, call, clock.micros(), Outcome.FAILED, 0, List.of()));
      } catch (IOException e) {
        history.info(h);
        record(new OpRecord(id, "get", node, call, clock.micros(), Outcome.UNKNOWN, 0, List.of()));
      }
    }

    private void cas(int node, String key) throws InterruptedException {
      String expected = lastSeen.get(key);
      String value = value();
      KvModel.Op op = new KvModel.Cas(key, expected, value);
      ObjectNode cond = NodeHttp.JSON.createObjectNode().put("key", key);
      if (expected == null) {
        cond.put("op", "not_exists");
      } else {
        cond.put("op", "equal").put("value", expected);
      }
      ObjectNode txn = NodeHttp.JSON.createObjectNode();
      txn.putArray("conditions").add(cond);
      txn.putArray("if_then").addObject().put("op", "set").put("key", key).put("value", value);
      txn.putArray("else_then");
      long call = clock.micros();
      int h = history.invoke(id, op, call);
      try {
        NodeHttp.Answer a = http.post(cluster.node(node).httpPort(), "/txn", txn, CLIENT_TIMEOUT);
        long ret = clock.micros();
        List<KeyWrite> writes = List.of(new KeyWrite(key, value));
        if (a.ok()) {
          boolean swapped = a.body().path("branch").asBoolean();
          history.ok(h, new KvModel.Swapped(swapped), ret);
          if (swapped) lastSeen.put(key, value);
          if (!swapped) writes = List.of();
        }
        finish(h, "cas", node, call, ret, a.status(), writes);
      } catch (NodeHttp.NotSent e) {
        history.fail(h);
        record(new OpRecord(id, "cas", node, call, clock.micros(), Outcome.FAILED, 0, List.of()));
      } catch (IOException e) {
        history.info(h);
        record(new OpRecord(id, "cas", node, call, clock.micros(), Outcome.UNKNOWN, 0,
            List.of(new KeyWrite(key, value))));
      }
    }

    private void batch(int node, long epoch, int group) throws InterruptedException {
      int n = 2 + random.nextInt(2);
      List<KvModel.Op> ops = new ArrayList<>();
      List<KeyWrite> writes = new ArrayList<>();
      ObjectNode body = NodeHttp.JSON.createObjectNode();
      ArrayNode list = body.putArray("operations");
      for (int i = 0; i < n; i++) {
        String key = keys.key(epoch, group, random.nextInt(keys.perGroup()));
        if (random.nextInt(4) == 0) {
          ops.add(new KvModel.Delete(key));
          writes.add(new KeyWrite(key, null));
          list.addObject().put("op", "delete").put("key", key);
        } else {
          String value = value();
          ops.add(new KvModel.Set(key, value));
          writes.add(new KeyWrite(key, value));
          list.addObject().put("op", "set").put("key", key).put("value", value);
        }
      }
      write(node, "batch", new KvModel.Batch(ops), "/batch_write", body, writes, CLIENT_TIMEOUT);
    }

    private Outcome write(int node, String kind, KvModel.Op op, String path, Object body, List<KeyWrite> writes,
        Duration timeout) throws InterruptedException {
      long call = clock.micros();
      int h = history.invoke(id, op, call);
      try {
        NodeHttp.Answer a = http.post(cluster.node(node).httpPort(), path, body, timeout);
        long ret = clock.micros();
        if (a.ok()) history.ok(h, KvModel.OK, ret);
        return finish(h, kind, node, call, ret, a.status(), writes);
      } catch (NodeHttp.NotSent e) {
        history.fail(h);
        record(new OpRecord(id, kind, node, call, clock.micros(), Outcome.FAILED, 0, writes));
        return Outcome.FAILED;
      } catch (IOException e) {
        history.info(h);
        record(new OpRecord(id, kind, node, call, clock.micros(), Outcome.UNKNOWN, 0, writes));
        return Outcome.UNKNOWN;
      }
    }

    /** Sorts an answer that came back; a 200 is already in the history. */
    private Outcome finish(int h, String kind, int node, long call, long ret, int status, List<KeyWrite> writes) {
      Outcome outcome;
      if (status == 200) {
        outcome = Outcome.OK;
      } else if (status == 503 || status == 421 || status == 429) {
        history.fail(h);
        outcome = Outcome.FAILED;
      } else if (status == 504) {
        history.info(h);
        outcome = Outcome.UNKNOWN;
      } else {
        history.info(h);
        outcome = Outcome.UNEXPECTED;
      }
      record(new OpRecord(id, kind, node, call, ret, outcome, status, writes));
      return outcome;
    }

    private ObjectNode body(String... kv) {
      ObjectNode o = NodeHttp.JSON.createObjectNode();
      for (int i = 0; i < kv.length; i += 2) {
        o.put(kv[i], kv[i + 1]);
      }
      return o;
    }
  }
}
