package io.raftkv.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One fault of a run, as the report shows it: what was done to whom, from when to when (run
 * microseconds), and what the harness observed while it lasted.
 */
final class FaultRecord {
  final String kind;
  final String description;
  final long start;
  /** Nodes cut off from every majority while the fault lasted: their writes must never get 200. */
  final Set<Integer> minority;
  /** Whether the fault took the leader away (killed, paused, cut off or deafened it). */
  final boolean losesLeader;
  final List<String> notes = new ArrayList<>();
  volatile long end = -1;

  FaultRecord(String kind, String description, long start, Set<Integer> minority, boolean losesLeader) {
    this.kind = kind;
    this.description = description;
    this.start = start;
    this.minority = Set.copyOf(minority);
    this.losesLeader = losesLeader;
  }

  synchronized void note(String s) {
    notes.add(s);
  }

  synchronized List<String> notes() {
    return List.copyOf(notes);
  }

  boolean covers(long micros) {
    return micros >= start && (end < 0 || micros <= end);
  }

  @Override
  public String toString() {
    return String.format("%8.3fs-%8.3fs %-18s %s%s", start / 1e6, end / 1e6, kind, description,
        notes().isEmpty() ? "" : " " + notes());
  }
}
