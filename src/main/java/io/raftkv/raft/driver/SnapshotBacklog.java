package io.raftkv.raft.driver;

/**
 * What was applied since the latest snapshot, in entries and in {@link
 * io.raftkv.raft.core.LogEntry#sizeBytes()}: the counts that trigger the next automatic snapshot.
 * A node starts from what its disk holds, so a restart neither resets them (which would let the
 * log grow by a whole interval more after each restart) nor counts anything twice.
 */
public record SnapshotBacklog(long entries, long bytes) {
  public static final SnapshotBacklog NONE = new SnapshotBacklog(0, 0);

  public SnapshotBacklog {
    if (entries < 0 || bytes < 0) throw new IllegalArgumentException("negative snapshot backlog");
  }
}
