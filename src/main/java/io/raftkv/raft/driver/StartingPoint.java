package io.raftkv.raft.driver;

import io.raftkv.raft.core.RaftCore;

/**
 * Where a node starts from after recovery: its core, and the state machine's applied index and
 * term, and what was applied since the latest snapshot (so the next one is due on time).
 */
public record StartingPoint(RaftCore core, long appliedIndex, long appliedTerm, SnapshotBacklog sinceSnapshot) {}
