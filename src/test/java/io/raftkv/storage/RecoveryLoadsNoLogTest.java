package io.raftkv.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.LogLimits;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.Ready;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node restarted on a long log of large values: recovery hands the core the log's shape only,
 * the core keeps no entry in memory until it needs one, and the committed backlog is read from
 * RocksDB in bounded batches.
 */
class RecoveryLoadsNoLogTest {
  static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "127.0.0.1:1", "127.0.0.1:2")));
  static final int VALUE_BYTES = 32 << 10;

  @TempDir Path dir;

  @Test
  void aRestartedCoreHoldsNoEntriesAndReadsTheBacklogInBatches() {
    List<LogEntry> written = new ArrayList<>();
    written.add(new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(ONE)));
    for (int i = 2; i <= 600; i++) {
      long term = i <= 200 ? 1 : i <= 400 ? 2 : 3;
      byte[] data = KvCommandCodec.encode(new KvCommand.Set("k" + i, "v".repeat(VALUE_BYTES)));
      written.add(new LogEntry(i, term, LogEntry.Kind.COMMAND, data));
    }
    try (RocksDbStorage store = RocksDbStorage.open(dir, 64)) {
      for (int from = 0; from < written.size(); from += 100) {
        store.persist(new PersistBatch(new HardState(3, 1), 0, written.subList(from, from + 100)));
      }
      store.apply(written.subList(0, 50));
    }

    try (RocksDbStorage store = RocksDbStorage.open(dir, 64)) {
      Recovered r = store.recover();
      assertEquals(600, r.lastIndex());
      assertEquals(3, r.storedLog().termRuns().size(), "one run per term, not one per entry");
      assertEquals(1, r.storedLog().configEntries().size());
      assertEquals(50, r.appliedIndex());

      long cacheBytes = 256 << 10;
      long window = 1 << 20;
      RaftCore core = new RaftCore(1, RaftConfig.defaults(), new Random(1), r.hardState(), r.storedLog(), store,
          r.appliedIndex(), r.baseMembership(), new LogLimits(16, cacheBytes, window));
      assertEquals(0, core.logBytesInMemory(), "recovery loads no entry");
      assertEquals(ONE, core.membership());
      for (LogEntry e : written) assertEquals(e.term(), core.termAt(e.index()));

      for (int i = 0; i < 40 && !core.isLeader(); i++) {
        core.tick();
        persist(core, store);
      }
      assertTrue(core.isLeader());
      long applied = 50;
      for (int round = 0; round < 100 && applied < core.commitIndex(); round++) {
        Ready ready = persist(core, store);
        long bytes = 0;
        for (LogEntry e : ready.committed()) {
          assertEquals(++applied, e.index());
          if (e.index() <= 600) assertEquals(written.get((int) e.index() - 1), e);
          bytes += e.sizeBytes();
        }
        assertTrue(bytes <= window, "a batch of " + bytes + " bytes");
        store.apply(ready.committed());
        core.appliedTo(applied);
        assertTrue(core.logBytesInMemory() <= cacheBytes, core.logBytesInMemory() + " bytes of log in memory");
      }
      assertEquals(601, applied, "the whole backlog and the new leader's no-op were applied");
    }
  }

  private static Ready persist(RaftCore core, RocksDbStorage store) {
    Ready r = core.ready();
    store.persist(new PersistBatch(r.hardState(), r.truncateFrom(), r.entries()));
    if (!r.entries().isEmpty()) {
      LogEntry last = r.entries().get(r.entries().size() - 1);
      core.persisted(last.index(), last.term());
    }
    return r;
  }
}
