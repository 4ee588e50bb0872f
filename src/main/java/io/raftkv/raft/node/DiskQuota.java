package io.raftkv.raft.node;

import io.raftkv.kv.KvCommand;
import java.util.List;

/**
 * The disk quota of the data directory and its {@code NOSPACE} alarm. Replicas receive the same
 * writes and so fill their disks at the same rate; refusing writes that add data once a node is
 * over its quota stops the cluster before every disk is full at once, while deletes and
 * compaction (which is how space comes back) go on. The alarm is raised when a measurement
 * exceeds the quota and clears by itself when one is back under it.
 *
 * <p>Measurements come once a second; in between, the writes admitted since the last one are
 * counted at an estimate of what they add (each value lands in the log and in the state machine),
 * so a burst of large writes is refused as soon as it would pass the quota rather than up to a
 * second of writes later.
 *
 * <p>Updated by the measuring thread and read by request threads, hence volatile fields; the
 * state is plain data, so the rules are tested without a node.
 */
public final class DiskQuota {
  /** The alarm's name, as /health lists it. */
  public static final String NOSPACE = "NOSPACE";

  private final long quotaBytes;
  private volatile long usageBytes;
  private volatile boolean raised;
  // Estimated bytes of the writes admitted since the last measurement; guarded by this.
  private long admittedBytes;

  /** {@code quotaBytes} 0 means no quota: the alarm is never raised. */
  public DiskQuota(long quotaBytes) {
    if (quotaBytes < 0) throw new IllegalArgumentException("quota must be 0 (none) or more, got " + quotaBytes);
    this.quotaBytes = quotaBytes;
  }

  /** What a measurement changed about the alarm. */
  public enum Change {
    NONE,
    RAISED,
    CLEARED
  }

  /** Records a measurement of the data directory and raises or clears the alarm from it. */
  public synchronized Change update(long measuredBytes) {
    usageBytes = measuredBytes;
    admittedBytes = 0;
    boolean over = quotaBytes > 0 && measuredBytes > quotaBytes;
    if (over == raised) return Change.NONE;
    raised = over;
    return over ? Change.RAISED : Change.CLEARED;
  }

  public boolean raised() {
    return raised;
  }

  public long usageBytes() {
    return usageBytes;
  }

  public long quotaBytes() {
    return quotaBytes;
  }

  /** The names of the raised alarms: {@code ["NOSPACE"]} or none. */
  public List<String> alarms() {
    return raised ? List.of(NOSPACE) : List.of();
  }

  /**
   * Whether {@code command} may go ahead: always when it adds no data; otherwise only while the
   * alarm is down and the last measurement plus what was admitted since stays within the quota.
   * An admitted write is counted until the next measurement, which sees it on disk.
   */
  public synchronized boolean admit(KvCommand command) {
    if (!addsData(command)) return true;
    if (raised || (quotaBytes > 0 && usageBytes + admittedBytes > quotaBytes)) return false;
    admittedBytes += estimatedBytes(command);
    return true;
  }

  /**
   * Roughly what a command adds to the disk: its keys and values twice, once in the log entry
   * and once in the state machine. Both branches of a transaction count, as either may run.
   */
  static long estimatedBytes(KvCommand command) {
    long bytes = 0;
    if (command instanceof KvCommand.Set s) bytes = s.key().length() + s.value().length();
    if (command instanceof KvCommand.GetSet g) bytes = g.key().length() + g.value().length();
    if (command instanceof KvCommand.Batch b) bytes = opBytes(b.ops());
    if (command instanceof KvCommand.Txn t) bytes = opBytes(t.ifThen()) + opBytes(t.elseThen());
    return 2 * bytes;
  }

  private static long opBytes(List<KvCommand.Op> ops) {
    long bytes = 0;
    for (KvCommand.Op op : ops) {
      bytes += op.key().length() + (op instanceof KvCommand.Set s ? s.value().length() : 0);
    }
    return bytes;
  }

  /**
   * Whether a command can make the state larger: any set, alone or inside a batch or either
   * branch of a transaction. Deletes (and batches and transactions of deletes only) free space,
   * so they are exactly what a user needs to get back under the quota.
   */
  static boolean addsData(KvCommand command) {
    if (command instanceof KvCommand.Set || command instanceof KvCommand.GetSet) return true;
    if (command instanceof KvCommand.Batch b) return anySet(b.ops());
    if (command instanceof KvCommand.Txn t) return anySet(t.ifThen()) || anySet(t.elseThen());
    return false;
  }

  private static boolean anySet(List<KvCommand.Op> ops) {
    for (KvCommand.Op op : ops) {
      if (op instanceof KvCommand.Set) return true;
    }
    return false;
  }

  /** Why a write was refused, and what to do about it. */
  public synchronized String noSpaceMessage(long nodeId) {
    String state = raised
        ? "the NOSPACE alarm is raised: the data directory of node " + nodeId + " uses " + usageBytes + " bytes"
        : "the data directory of node " + nodeId + " is about to pass its quota: " + usageBytes
            + " bytes measured and about " + admittedBytes + " bytes written since";
    return state + ", more than quota_backend_bytes (" + quotaBytes + "). Writes that add data are refused;"
        + " reads and deletes still work. Free space by deleting keys, then compact: POST /trigger_snapshot,"
        + " then POST /purge_log with the snapshot's index, on each node; or raise quota_backend_bytes"
        + " and restart the node";
  }

  /** The readiness reason while the alarm is raised. */
  String alarmReason() {
    return "alarm NOSPACE: the data directory uses " + usageBytes + " bytes, more than quota_backend_bytes ("
        + quotaBytes + "); writes that add data are refused until deletes and compaction bring it under";
  }
}
