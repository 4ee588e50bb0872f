package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.RaftMessage.AppendEntries;
import io.raftkv.raft.core.RaftMessage.AppendEntriesResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower far behind catches up at the speed of the link: once its match is known, full
 * batches are pipelined up to the inflight window; while its match is unknown, one batch at a time.
 */
class CatchUpTest {
  /** RaftCoreTest.CONFIG: 64 entries per append, 4 in flight. */
  static final int BATCH = RaftCoreTest.CONFIG.maxEntriesPerAppend();
  static final int WINDOW = RaftCoreTest.CONFIG.maxInflightAppends();

  /** Node 1 leads term 2 with 501 entries (config@1, 499 commands, its no-op at 501). */
  static RaftCore leaderWith500() {
    long[] terms = new long[499];
    Arrays.fill(terms, 1);
    RaftCore c = RaftCoreTest.leader(1, terms);
    assertEquals(501, c.lastIndex());
    return c;
  }

  static List<AppendEntries> appendsTo(Ready r, long peer) {
    List<AppendEntries> out = new ArrayList<>();
    for (AppendEntries a : RaftCoreTest.sent(r, AppendEntries.class)) if (a.to() == peer) out.add(a);
    return out;
  }

  static AppendEntriesResponse ok(AppendEntries a) {
    return new AppendEntriesResponse(a.to(), a.from(), a.term(), true, a.lastIndex(), 0, a.prevLogIndex(), a.readSeq());
  }

  @Test
  void aFollowerFiveHundredBehindGetsFullBatchesWithSeveralInFlight() {
    RaftCore c = leaderWith500();
    List<AppendEntries> first = appendsTo(c.ready(), 2);
    assertEquals(1, first.size(), "the match is unknown: one probe");
    // Node 2 holds only config@1: it refuses and says where its log ends.
    AppendEntries probe = first.get(0);
    c.step(new AppendEntriesResponse(2, 1, 2, false, 0, 2, probe.prevLogIndex(), probe.readSeq()));
    List<AppendEntries> second = appendsTo(c.ready(), 2);
    assertEquals(1, second.size(), "still probing: one batch, then wait");
    assertEquals(1, second.get(0).prevLogIndex());
    assertEquals(BATCH, second.get(0).entries().size(), "a probe from the hint is a full batch");

    c.step(ok(second.get(0)));
    List<AppendEntries> pipelined = appendsTo(c.ready(), 2);
    assertEquals(WINDOW, pipelined.size(), "the match is known: the window opens");
    long expectedPrev = 1 + BATCH;
    for (AppendEntries a : pipelined) {
      assertEquals(expectedPrev, a.prevLogIndex(), "consecutive batches");
      assertEquals(BATCH, a.entries().size(), "every batch is full-size");
      expectedPrev = a.lastIndex();
    }
    // Each answer frees a slot for the next full batch, so the follower is never a round trip per batch behind.
    long caughtUp = pipelined.get(pipelined.size() - 1).lastIndex();
    List<AppendEntries> outstanding = new ArrayList<>(pipelined);
    int rounds = 0;
    while (!outstanding.isEmpty()) {
      AppendEntries a = outstanding.remove(0);
      c.step(ok(a));
      List<AppendEntries> more = appendsTo(c.ready(), 2);
      assertTrue(more.size() <= 1);
      outstanding.addAll(more);
      for (AppendEntries m : more) caughtUp = m.lastIndex();
      rounds++;
    }
    assertEquals(501, caughtUp);
    assertEquals(501, c.matchIndexOf(2));
    assertTrue(rounds <= 500 / BATCH, rounds + " answers for 500 entries");
  }

  @Test
  void aRejectWhileReplicatingDropsBackToProbing() {
    RaftCore c = leaderWith500();
    AppendEntries probe = appendsTo(c.ready(), 2).get(0);
    c.step(new AppendEntriesResponse(2, 1, 2, false, 0, 2, probe.prevLogIndex(), probe.readSeq()));
    AppendEntries second = appendsTo(c.ready(), 2).get(0);
    c.step(ok(second));
    List<AppendEntries> pipelined = appendsTo(c.ready(), 2);
    assertEquals(WINDOW, pipelined.size());
    // The follower lost the second batch (say it restarted without it) and refuses the third.
    AppendEntries third = pipelined.get(1);
    c.step(ok(pipelined.get(0)));
    c.ready();
    c.step(new AppendEntriesResponse(2, 1, 2, false, 0, pipelined.get(0).lastIndex() + 1, third.prevLogIndex(),
        third.readSeq()));
    List<AppendEntries> after = appendsTo(c.ready(), 2);
    assertEquals(1, after.size(), "probing again: one batch at a time");
    assertEquals(pipelined.get(0).lastIndex(), after.get(0).prevLogIndex(), "from right after the known match");
    // The probe's answer confirms a new match, and the window opens again.
    c.step(ok(after.get(0)));
    assertEquals(WINDOW, appendsTo(c.ready(), 2).size());
  }
}
