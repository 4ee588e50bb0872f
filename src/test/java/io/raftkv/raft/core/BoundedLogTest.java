package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The log kept in storage with a bounded tail in memory: what stays on the heap, that every
 * index keeps its term through truncation and compaction, and that reads beyond the cache go to
 * storage in bounded batches.
 */
class BoundedLogTest {
  static final RaftConfig CONFIG = new RaftConfig(10, 20, 2, 64, 1 << 20, 4, true, true);
  static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "n1:1", "n1:2")));
  static final int KIB_64 = 64 << 10;

  /** A durable log the way a store keeps it: written by persist, read back in bounded ranges. */
  static final class Disk implements LogEntryReader {
    final TreeMap<Long, LogEntry> entries = new TreeMap<>();
    final List<long[]> reads = new ArrayList<>();

    void persist(Ready r) {
      if (r.truncateFrom() != 0) entries.tailMap(r.truncateFrom(), true).clear();
      for (LogEntry e : r.entries()) entries.put(e.index(), e);
    }

    void persist(List<LogEntry> es) {
      for (LogEntry e : es) entries.put(e.index(), e);
    }

    @Override
    public List<LogEntry> read(long from, long to, int maxCount, long maxBytes) {
      reads.add(new long[] {from, to});
      List<LogEntry> out = new ArrayList<>();
      long bytes = 0;
      for (long i = from; i <= to && out.size() < maxCount; i++) {
        LogEntry e = entries.get(i);
        if (e == null) break;
        bytes += e.sizeBytes();
        if (!out.isEmpty() && bytes > maxBytes) break;
        out.add(e);
      }
      return out;
    }
  }

  static LogEntry cmd(long index, long term, int bytes) {
    return new LogEntry(index, term, LogEntry.Kind.COMMAND, new byte[bytes]);
  }

  static LogEntry conf(long index, long term) {
    return new LogEntry(index, term, LogEntry.Kind.CONFIG, MembershipCodec.encode(ONE));
  }

  /** Persists the core's Ready the way a driver does: write, then report the last entry synced. */
  static Ready persistAndAck(RaftCore c, Disk disk) {
    Ready r = c.ready();
    disk.persist(r);
    if (!r.entries().isEmpty()) {
      LogEntry last = r.entries().get(r.entries().size() - 1);
      c.persisted(last.index(), last.term());
    }
    return r;
  }

  @Test
  void writingAThousandLargeEntriesKeepsTheHeapWithinTheCacheBound() {
    long cacheBytes = 1 << 20;
    Disk disk = new Disk();
    RaftCore c = new RaftCore(1, CONFIG, new Random(1), HardState.INITIAL, StoredLog.empty(0, 0), disk, 0,
        Membership.EMPTY, new LogLimits(4096, cacheBytes, 2L << 20));
    c.bootstrap(ONE);
    persistAndAck(c, disk);
    for (int i = 0; i < 30 && !c.isLeader(); i++) {
      c.tick();
      persistAndAck(c, disk);
    }
    assertTrue(c.isLeader());
    long applied = 0;
    long peakApplyingBytes = 0;
    for (int i = 0; i < 1000; i++) {
      // A tail of three unsynced proposals, then one sync for all of them (group commit).
      if (i % 3 == 0) {
        Ready r = persistAndAck(c, disk);
        long handed = 0;
        for (LogEntry e : r.committed()) handed += e.sizeBytes();
        peakApplyingBytes = Math.max(peakApplyingBytes, handed);
        if (!r.committed().isEmpty()) applied = r.committed().get(r.committed().size() - 1).index();
        c.appliedTo(applied);
      }
      assertInstanceOf(ProposeResult.Accepted.class, c.propose(LogEntry.Kind.COMMAND, new byte[KIB_64]));
      long unstableTail = 3L * LogEntry.sizeBytes(KIB_64);
      assertTrue(c.logBytesInMemory() <= cacheBytes + unstableTail,
          "entry " + i + ": " + c.logBytesInMemory() + " bytes of log on the heap");
    }
    persistAndAck(c, disk);
    assertTrue(c.logBytesInMemory() <= cacheBytes, c.logBytesInMemory() + " bytes after the last sync");
    // Everything committed got handed out, never more than the apply window at once.
    while (c.hasCommittedToHandOut()) {
      Ready r = c.ready();
      // Entries long gone from memory come back from the disk intact.
      for (LogEntry e : r.committed()) assertEquals(disk.entries.get(e.index()), e);
      applied = r.committed().get(r.committed().size() - 1).index();
      c.appliedTo(applied);
    }
    assertEquals(c.lastIndex(), applied);
    assertTrue(peakApplyingBytes <= (2L << 20) + LogEntry.sizeBytes(KIB_64), "apply batch of " + peakApplyingBytes);
  }

  @Test
  void termIsRightForEveryIndexThroughTruncationAndCompaction() {
    Disk disk = new Disk();
    RaftLog log = new RaftLog(StoredLog.empty(0, 0), disk, new LogLimits(3, Long.MAX_VALUE, Long.MAX_VALUE));
    List<Long> model = new ArrayList<>(); // model.get(i - 1) is the term at index i
    long[] terms = {1, 1, 1, 2, 2, 3, 3, 3, 3, 5, 5, 6};
    for (int i = 0; i < terms.length; i++) {
      log.append(i == 4 ? conf(i + 1, terms[i]) : cmd(i + 1, terms[i], 10));
      model.add(terms[i]);
    }
    syncAll(log, disk, 8);
    assertTerms(log, model, 0, 0);
    assertEquals(6, log.firstIndexOfTermAt(9));
    assertEquals(1, log.firstIndexOfTermAt(3));

    // A truncation inside the synced part: the cache and the runs both follow.
    log.truncateFrom(7);
    model.subList(6, model.size()).clear();
    assertTerms(log, model, 0, 0);
    assertEquals(6, log.stableIndex());
    for (long t : new long[] {4, 4, 7}) {
      log.append(cmd(model.size() + 1, t, 10));
      model.add(t);
    }
    assertTerms(log, model, 0, 0);
    // A truncation inside the unsynced tail, which also drops a newer configuration.
    log.append(conf(10, 7));
    model.add(7L);
    assertEquals(10, log.lastConfigEntry().index());
    log.truncateFrom(9);
    model.subList(8, model.size()).clear();
    assertEquals(5, log.lastConfigEntry().index(), "the older configuration is in force again");
    log.append(cmd(9, 8, 10));
    model.add(8L);
    assertTerms(log, model, 0, 0);
    assertEquals(7, log.firstIndexOfTermAt(8));
    assertEquals(6, log.firstIndexOfTermAt(6));

    // Compaction inside the synced part: the base takes the compacted entry's term.
    syncAll(log, disk, 9);
    log.compact(4);
    model.subList(0, 4).clear();
    assertTerms(log, model, 4, 2);
    assertEquals(5, log.firstIndexOfTermAt(5), "a run never reaches below the base");
    assertEquals(5, log.lastConfigEntry().index());
    log.compact(5);
    model.remove(0);
    assertTerms(log, model, 5, 2);
    assertNull(log.lastConfigEntry(), "compacted configurations are the snapshot's business");

    // Compaction beyond the synced part, as an install that keeps the log after it does.
    log.append(cmd(10, 8, 10));
    log.append(cmd(11, 9, 10));
    model.add(8L);
    model.add(9L);
    log.compact(10);
    model.subList(0, 5).clear();
    assertTerms(log, model, 10, 8);
    assertEquals(10, log.stableIndex());
    assertEquals(List.of(cmd(11, 9, 10)), log.slice(11, 11, 10, Long.MAX_VALUE));

    log.reset(20, 9);
    assertTerms(log, List.of(), 20, 9);
    assertEquals(0, log.bytesInMemory());
  }

  @Test
  void slicesBeyondTheCacheComeFromStorageInOneBoundedRead() {
    Disk disk = new Disk();
    RaftLog log = new RaftLog(StoredLog.empty(0, 0), disk, new LogLimits(4, Long.MAX_VALUE, Long.MAX_VALUE));
    for (int i = 1; i <= 20; i++) log.append(cmd(i, 1, 100));
    syncAll(log, disk, 18);
    assertEquals(4, log.cachedEntries());
    assertTrue(disk.reads.isEmpty());

    // 15..18 are cached and 19..20 unsynced: no storage read.
    assertEquals(range(15, 20), log.slice(15, 20, 100, Long.MAX_VALUE));
    assertTrue(disk.reads.isEmpty());

    // 1..14 come from storage in one read that stops at the cache; the rest from memory.
    assertEquals(range(1, 20), log.slice(1, 20, 100, Long.MAX_VALUE));
    assertEquals(1, disk.reads.size());
    assertEquals(1, disk.reads.get(0)[0]);
    assertEquals(14, disk.reads.get(0)[1]);

    // Byte and count bounds hold across the two sources.
    long five = 5L * LogEntry.sizeBytes(100);
    assertEquals(range(12, 16), log.slice(12, 20, 100, five));
    assertEquals(range(12, 14), log.slice(12, 20, 3, Long.MAX_VALUE));
    assertEquals(range(3, 3), log.slice(3, 20, 100, 1), "one entry always comes, whatever the bound");

    // What storage compacted before the log heard of it ends the answer, empty here.
    disk.entries.headMap(10L, true).clear();
    assertTrue(log.slice(5, 20, 100, Long.MAX_VALUE).isEmpty());
    assertEquals(range(10, 20).subList(1, 11), log.slice(11, 20, 100, Long.MAX_VALUE));
  }

  @Test
  void aLeaderSendsASnapshotWhenStorageCompactedWhatAFollowerNeeds() {
    Disk disk = new Disk();
    List<LogEntry> stored = new ArrayList<>();
    stored.add(new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(RaftCoreTest.THREE)));
    for (int i = 2; i <= 50; i++) stored.add(cmd(i, 1, 100));
    disk.persist(stored);
    RaftCore c = new RaftCore(1, CONFIG, new Random(1), new HardState(1, 0), StoredLog.of(0, 0, stored), disk, 50,
        Membership.EMPTY, new LogLimits(4, Long.MAX_VALUE, Long.MAX_VALUE));
    for (int i = 0; i < 20; i++) c.tick();
    c.ready();
    c.step(new RaftMessage.RequestVoteResponse(2, 1, 2, true, true));
    c.ready();
    c.step(new RaftMessage.RequestVoteResponse(2, 1, 2, true, false));
    assertTrue(c.isLeader());
    persistAndAck(c, disk);
    // Storage purges behind a snapshot at 40 before the core hears of it; node 2 then says its
    // log ends at 10.
    disk.entries.headMap(40L, true).clear();
    c.step(new RaftMessage.AppendEntriesResponse(2, 1, 2, false, 0, 11, 50, 0));
    Ready r = c.ready();
    assertEquals(List.of(2L), r.sendSnapshotTo());
    for (RaftMessage m : r.messages()) {
      if (m instanceof RaftMessage.AppendEntries ae && ae.to() == 2) assertTrue(ae.entries().isEmpty());
    }
  }

  @Test
  void aBacklogOfCommittedEntriesIsHandedOutInBoundedBatches() {
    Disk disk = new Disk();
    List<LogEntry> stored = new ArrayList<>();
    stored.add(conf(1, 1));
    for (int i = 2; i <= 100; i++) stored.add(cmd(i, 1, 10_000));
    disk.persist(stored);
    long window = 50_000;
    RaftCore c = new RaftCore(1, CONFIG, new Random(1), new HardState(1, 0), StoredLog.of(0, 0, stored), disk, 0,
        Membership.EMPTY, new LogLimits(8, 100_000, window));
    assertEquals(0, c.logBytesInMemory(), "recovery loads no entry");
    List<LogEntry> handed = new ArrayList<>();
    List<LogEntry> unapplied = new ArrayList<>();
    for (int step = 0; step < 200 && handed.size() < 101; step++) {
      if (c.isLeader() && step % 2 == 0 && !unapplied.isEmpty()) {
        // Every other step the driver reports what it applied; in between the window stays full.
        c.appliedTo(unapplied.get(unapplied.size() - 1).index());
        unapplied.clear();
      }
      c.tick();
      Ready r = persistAndAck(c, disk);
      handed.addAll(r.committed());
      unapplied.addAll(r.committed());
      long inFlight = 0;
      for (LogEntry e : unapplied) inFlight += e.sizeBytes();
      // The window may be exceeded by one entry at most, never by more.
      assertTrue(inFlight <= window + LogEntry.sizeBytes(10_000), unapplied.size() + " entries of " + inFlight + " bytes handed out unapplied");
    }
    assertEquals(101, c.commitIndex());
    assertEquals(101, handed.size());
    for (int i = 0; i < 100; i++) assertEquals(stored.get(i), handed.get(i));
    c.appliedTo(101);
    assertFalse(c.hasCommittedToHandOut());
  }

  private static List<LogEntry> range(long from, long to) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(cmd(i, 1, 100));
    return out;
  }

  private static void syncAll(RaftLog log, Disk disk, long upTo) {
    List<LogEntry> es = log.slice(log.stableIndex() + 1, upTo, Integer.MAX_VALUE, Long.MAX_VALUE);
    disk.persist(es);
    log.stableTo(upTo, log.term(upTo));
  }

  private static void assertTerms(RaftLog log, List<Long> model, long base, long baseTerm) {
    assertEquals(base + model.size(), log.lastIndex());
    assertEquals(baseTerm, log.term(base));
    for (int i = 0; i < model.size(); i++) {
      assertEquals((long) model.get(i), log.term(base + i + 1), "term at " + (base + i + 1));
    }
    assertEquals(-1, log.term(log.lastIndex() + 1));
    if (base > 0) assertEquals(-1, log.term(base - 1));
    assertEquals(model.isEmpty() ? baseTerm : model.get(model.size() - 1), log.lastTerm());
  }
}
