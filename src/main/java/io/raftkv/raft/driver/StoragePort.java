package io.raftkv.raft.driver;

import io.raftkv.raft.core.LogEntry;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * What the driver asks of durable storage. Every request is carried out in the order it was
 * made (a single storage thread in production, a FIFO disk queue in the simulator), so an apply
 * requested after a persist's completion always sees that persist's entries, and a snapshot is
 * taken between two applies. Each request completes later, by the matching input on {@link
 * RaftDriver} ({@link RaftDriver#persisted}, {@link RaftDriver#applied}, ...), never from inside
 * the call. A storage failure is reported through {@link RaftDriver#storageFailed} and stops the
 * node.
 */
public interface StoragePort {
  /**
   * Durably write {@code batch} (fsync), after making {@code install} live if it is set (a
   * snapshot received from the leader), then complete with {@link RaftDriver#persisted}.
   */
  void persist(long seq, PersistBatch batch, SnapshotSink install, boolean keepLogAfterIndex);

  /**
   * Apply committed entries to the state machine, then complete with {@link RaftDriver#applied};
   * results are built only for the indices {@code resultWanted} accepts.
   */
  void apply(List<LogEntry> entries, LongPredicate resultWanted);

  /**
   * Snapshot the applied state and purge the log behind it, keeping {@code keepLogEntries}
   * (negative: keep all); {@code compactFirst} compacts the state machine before. Completes with
   * {@link RaftDriver#snapshotTaken}.
   */
  void createSnapshot(long keepLogEntries, boolean compactFirst);

  /** Purge the log up to {@code uptoIndex}; completes with {@link RaftDriver#logPurged}. */
  void purgeLog(long uptoIndex);

  /** Open the latest snapshot for sending to {@code peer}; completes with {@link RaftDriver#snapshotOpened}. */
  void openSnapshot(long peer);

  /**
   * Start (or resume) receiving the snapshot {@code meta} from the leader of {@code leaderTerm};
   * the sink goes straight to {@code replyTo}, the receiving end of the transfer.
   */
  void beginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo);
}
