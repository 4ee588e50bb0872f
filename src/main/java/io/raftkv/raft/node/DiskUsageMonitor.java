package io.raftkv.raft.node;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the data directory once a second and feeds the {@link DiskQuota}. The measurement
 * walks the directory's files, so it runs on Pekko's blocking-I/O dispatcher, never on the Raft
 * node's thread. It counts every file under the data directory once (see
 * {@code RocksDbStorage.diskUsageBytes}); with a few dozen RocksDB files a walk takes about a
 * millisecond, a tenth of a percent of one core at one walk a second.
 */
public final class DiskUsageMonitor {
  private static final Logger log = LoggerFactory.getLogger(DiskUsageMonitor.class);
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private final long nodeId;
  private final LongSupplier measure;
  private final DiskQuota quota;
  private volatile boolean failedBefore;

  public DiskUsageMonitor(long nodeId, LongSupplier measure, DiskQuota quota) {
    this.nodeId = nodeId;
    this.measure = measure;
    this.quota = quota;
  }

  /** Measures now, on the caller's thread (at start-up, so a node restarted over quota serves with its alarm raised). */
  public void measure() {
    long bytes;
    try {
      bytes = measure.getAsLong();
    } catch (RuntimeException e) {
      // A failing measurement keeps the last value rather than stop the node (a real storage
      // failure stops it through the storage actor). The writes admitted since keep counting, so
      // a node that cannot measure its disk refuses writes once the estimate passes the quota
      // instead of filling the disk blindly.
      if (!failedBefore) log.warn("node {}: cannot measure the data directory's disk usage: {}", nodeId, e.toString());
      failedBefore = true;
      return;
    }
    failedBefore = false;
    switch (quota.update(bytes)) {
      case RAISED -> log.warn("node {}: alarm NOSPACE raised: the data directory uses {} bytes, more than"
          + " quota_backend_bytes ({}); writes that add data get 507 until deletes and compaction"
          + " (POST /trigger_snapshot, POST /purge_log) bring it under", nodeId, bytes, quota.quotaBytes());
      case CLEARED -> log.info("node {}: alarm NOSPACE cleared: the data directory uses {} bytes of {}",
          nodeId, bytes, quota.quotaBytes());
      default -> { }
    }
  }

  /** Measures every second until the actor system stops. */
  public Cancellable start(ActorSystem<?> system) {
    return system.scheduler().scheduleWithFixedDelay(
        INTERVAL, INTERVAL, this::measure, system.dispatchers().lookup(DispatcherSelector.blocking()));
  }
}
