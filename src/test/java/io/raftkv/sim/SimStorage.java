package io.raftkv.sim;

import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.driver.Reply;
import io.raftkv.raft.driver.StoragePort;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.storage.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The simulated disk behind a node's driver, as production's storage actor serves it: one
 * request at a time, in the order asked, each taking virtual time (an fsync a few ms, sometimes
 * much longer; on a node the seed made slow, always long). A request's effect on the in-memory
 * store happens when it completes, so a crash before then loses it. Some seeds make an fsync
 * fail now and then; the node must then stop without acknowledging anything more.
 */
final class SimStorage implements StoragePort {
  private final Simulation sim;
  private final SimNode node;
  private final int life;
  /** When the request queued last will complete. */
  private long busyUntil;

  SimStorage(Simulation sim, SimNode node, int life) {
    this.sim = sim;
    this.node = node;
    this.life = life;
  }

  boolean idle() {
    return busyUntil <= sim.now();
  }

  private InMemoryStorage store() {
    return node.storage();
  }

  /** Queues {@code work} behind every earlier request; it runs when this life of the node is still up. */
  private void enqueue(long latencyMs, long code, Runnable work) {
    long start = Math.max(sim.now(), busyUntil);
    busyUntil = start + latencyMs;
    sim.schedule(busyUntil - sim.now(), Simulation.EV_DISK, node.id, code, () -> {
      if (node.alive(life)) work.run();
    });
  }

  @Override
  public void persist(long seq, PersistBatch batch, SnapshotSink install, boolean keepLogAfterIndex) {
    enqueue(sim.fsyncLatencyMs(node.id), 1000 + batch.entries().size(), () -> {
      if (sim.fsyncFails(node.id)) {
        node.storageFailed(life, new StorageException("simulated fsync failure"));
        return;
      }
      var before = store().durableHardState();
      SnapshotMeta installed = null;
      if (install != null) {
        if (Simulation.DEBUG) System.out.println(sim.now() + " n" + node.id + " commits install seq=" + seq);
        install.commit(keepLogAfterIndex);
        installed = store().latestSnapshot().orElseThrow();
      }
      store().persist(batch);
      if (Simulation.DEBUG) {
        System.out.println(sim.now() + " n" + node.id + " persisted seq=" + seq + " hs=" + batch.hardState() + " trunc="
            + batch.truncateFrom() + " entries=" + batch.entries().size()
            + (batch.entries().isEmpty() ? "" : " [" + batch.entries().get(0).index() + ".." + batch.entries().get(batch.entries().size() - 1).index() + "]")
            + (install != null ? " install=" + installed : "") + " durableLast=" + store().durableLastIndex()
            + " base=" + store().durableBaseIndex());
      }
      sim.invariants().onPersisted(node, before, store().durableHardState());
      if (installed != null) {
        node.mirrorApplied();
        sim.invariants().onSnapshot(node, installed.index(), installed.term(), node.stateMachine, true);
      }
      SnapshotMeta live = installed;
      node.input(life, d -> d.persisted(seq, live));
    });
  }

  @Override
  public void apply(List<LogEntry> entries, LongPredicate resultWanted) {
    enqueue(sim.random().nextInt(2), 2000 + entries.size(), () -> {
      List<KvResult> results = new ArrayList<>(entries.size());
      // One entry at a time, so the checkers see the state after each (exactly once, in order).
      for (LogEntry e : entries) {
        sim.invariants().onApply(node, e);
        results.addAll(store().apply(List.of(e), resultWanted));
        node.mirrorApplied();
        sim.invariants().onApplied(node);
      }
      node.input(life, d -> d.applied(entries, results));
    });
  }

  @Override
  public void createSnapshot(long keepLogEntries, boolean compactFirst) {
    enqueue(1 + sim.random().nextInt(3), 3000, () -> {
      SnapshotMeta meta = store().createSnapshot();
      sim.invariants().onSnapshot(node, meta.index(), meta.term(), node.stateMachine, false);
      long purgeTo = meta.index() - keepLogEntries;
      long purged = 0;
      if (keepLogEntries >= 0 && purgeTo > 0) {
        store().purgeLog(purgeTo);
        purged = purgeTo;
        sim.countCompaction();
      }
      long upTo = purged;
      node.input(life, d -> d.snapshotTaken(meta, upTo));
    });
  }

  @Override
  public void purgeLog(long uptoIndex) {
    enqueue(1, 4000, () -> {
      try {
        store().purgeLog(uptoIndex);
      } catch (IllegalArgumentException e) {
        node.input(life, d -> d.logPurged(uptoIndex, null, e.getMessage()));
        return;
      }
      SnapshotMeta latest = store().latestSnapshot().orElseThrow();
      node.input(life, d -> d.logPurged(uptoIndex, latest, null));
    });
  }

  @Override
  public void openSnapshot(long peer) {
    enqueue(0, 5000 + peer, () -> {
      SnapshotSource source = store().latestSnapshot().isPresent() ? store().openSnapshot() : null;
      node.input(life, d -> d.snapshotOpened(peer, source));
    });
  }

  @Override
  public void beginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo) {
    enqueue(sim.random().nextInt(2), 6000, () -> replyTo.tell(store().resumeInstall(meta, leaderTerm)));
  }
}
