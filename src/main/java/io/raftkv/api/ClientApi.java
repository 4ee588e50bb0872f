package io.raftkv.api;

import io.raftkv.kv.KvCommand;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What a node offers its clients, independent of HTTP. Implementations never complete a stage
 * exceptionally for an expected condition (no leader, timeout): those are outcomes.
 */
public interface ClientApi {
  /** Replicates the command through the log (forwarding to the leader when allowed). */
  CompletionStage<WriteOutcome> write(KvCommand command);

  /**
   * Runs a read. Linearizable reads go through ReadIndex; {@code linearizable=false} reads the
   * local state machine, possibly stale.
   */
  CompletionStage<ReadOutcome> read(ReadQuery query, boolean linearizable);

  /** Reads one key. */
  default CompletionStage<ReadOutcome> get(String key, boolean linearizable) {
    return read(new ReadQuery.Get(key), linearizable);
  }

  NodeStatus status();

  /** Alarms, readiness and disk usage, for /readyz, /health and /metrics. */
  NodeHealth health();

  /** Adds a node to the cluster: as a learner, then as a voter once it has caught up. */
  CompletionStage<AdminOutcome> join(ClusterMember member);

  /**
   * Removes a node from the cluster; a leader that leaves hands its leadership over first.
   * {@code force} confirms a removal that leaves fewer than three voters.
   */
  CompletionStage<AdminOutcome> leave(long nodeId, boolean force);

  /**
   * Moves leadership to voter {@code nodeId}, or to the most caught-up voter when it is 0 (thesis
   * §3.10), answering {@link AdminOutcome.Transferred} once that node leads.
   */
  CompletionStage<AdminOutcome> transferLeader(long nodeId);

  /** Snapshots this node's applied state now (and compacts its log behind it as configured). */
  CompletionStage<SnapshotInfo> triggerSnapshot();

  /** This node's latest snapshot, if any. */
  Optional<SnapshotInfo> snapshotStatus();

  /** Deletes this node's log entries up to {@code uptoIndex}, which a snapshot must cover. */
  CompletionStage<AdminOutcome> purgeLog(long uptoIndex);

  /**
   * The longest a join, leave, snapshot or purge takes to give its outcome: a join or leave not
   * done by then completes as {@link AdminOutcome.Timeout}. A caller that waits for the outcome
   * waits longer than this.
   */
  Duration adminTimeout();
}
