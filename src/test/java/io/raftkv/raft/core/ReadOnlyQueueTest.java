package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadOnlyQueueTest {
  @Test
  void readsWaitForTheRoundAfterTheirArrivalAndLeaveInOrder() {
    ReadOnlyQueue q = new ReadOnlyQueue();
    List<ReadState> out = new ArrayList<>();
    q.add(10, 5);
    q.add(11, 5);
    assertTrue(q.startRoundIfWanted());
    assertEquals(1, q.round());
    assertFalse(q.startRoundIfWanted(), "one round serves every read queued before it");
    q.add(12, 6); // arrives while round 1 is out: round 1 cannot vouch for it
    q.release(0, out);
    assertTrue(out.isEmpty(), "nothing is released before a majority acknowledges");
    q.release(1, out);
    assertEquals(List.of(new ReadState(10, 5), new ReadState(11, 5)), out);
    assertTrue(q.startRoundIfWanted());
    q.release(2, out);
    assertEquals(List.of(new ReadState(10, 5), new ReadState(11, 5), new ReadState(12, 6)), out);
    assertTrue(q.isEmpty());
  }

  @Test
  void readsWithoutAnIndexWaitForTheFirstCommitOfTheTerm() {
    ReadOnlyQueue q = new ReadOnlyQueue();
    List<ReadState> out = new ArrayList<>();
    q.add(1, -1);
    q.startRoundIfWanted();
    q.release(1, out);
    assertTrue(out.isEmpty(), "acknowledged, but the read index is not known yet");
    q.indexKnown(7);
    q.release(1, out);
    assertEquals(List.of(new ReadState(1, 7)), out);
  }

  @Test
  void steppingDownFailsEveryWaitingRead() {
    ReadOnlyQueue q = new ReadOnlyQueue();
    List<ReadState> out = new ArrayList<>();
    q.add(1, 3);
    q.add(2, -1);
    q.failAll(out);
    assertEquals(List.of(new ReadState(1, -1), new ReadState(2, -1)), out);
    assertTrue(q.isEmpty());
    assertFalse(q.startRoundIfWanted(), "no round is wanted for reads that already failed");
  }

  @Test
  void aNewTermCountsRoundsFromZero() {
    ReadOnlyQueue q = new ReadOnlyQueue();
    q.add(1, 1);
    q.startRoundIfWanted();
    q.failAll(new ArrayList<>());
    q.reset();
    assertEquals(0, q.round());
  }
}
