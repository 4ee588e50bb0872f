package io.raftkv.raft.driver;

import io.raftkv.raft.core.LogLimits;
import io.raftkv.raft.core.RaftConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * How a node's driver behaves around the core. Built by name through {@link #builder}:
 * nineteen positional values, most of them numbers, would be too easy to swap unnoticed.
 *
 * @param maxBatchEntries most client writes appended together before their Ready is collected:
 *     proposals that queue up while a sync runs share the next one (group commit), up to this
 * @param snapshotIntervalEntries applied entries between automatic snapshots (0: never)
 * @param snapshotKeepLogEntries entries kept in the log behind a snapshot, so a follower that is
 *     only a little behind catches up from the log instead of a whole snapshot
 * @param snapshotChunkBytes data per InstallSnapshot chunk, well under gRPC's message limit
 * @param snapshotIntervalBytes log bytes written since the last snapshot that trigger the next
 *     one (0: no byte trigger)
 * @param logCacheEntries most log entries the core keeps in memory
 * @param logCacheBytes most log payload bytes the core keeps in memory
 * @param maxPendingProposals most writes proposed and not yet applied before new ones get 429
 * @param maxPendingProposalBytes most bytes of such writes
 * @param maxMembers most members (voters and learners) of the cluster
 * @param quotaBackendBytes disk quota of the data directory (0: none)
 * @param adminTimeout how long the node itself gives a membership change (a join includes the
 *     learner's catch-up) before it answers Timeout; every outer wait on such a request is derived
 *     from it: {@link #adminAskTimeout}, {@link #adminCallDeadline}, and the HTTP route's wait
 *     (ClientApi#adminTimeout plus a margin)
 */
public record NodeSettings(
    long nodeId,
    String raftAddr,
    String httpAddr,
    RaftConfig raft,
    Duration tick,
    Duration requestTimeout,
    boolean forwardWrites,
    int maxBatchEntries,
    long snapshotIntervalEntries,
    long snapshotKeepLogEntries,
    int snapshotChunkBytes,
    long snapshotIntervalBytes,
    int logCacheEntries,
    long logCacheBytes,
    int maxPendingProposals,
    long maxPendingProposalBytes,
    int maxMembers,
    long quotaBackendBytes,
    Duration adminTimeout) {

  /** The default of {@link #adminTimeout}: a join of a learner that must catch up on a large log. */
  public static final Duration DEFAULT_ADMIN_TIMEOUT = Duration.ofSeconds(110);

  /**
   * Between two chained waits on one admin request: the inner wait expires, and its Timeout
   * answer travels back, this long before the outer one would, so a client always gets the
   * node's own answer rather than a bare expiry of the transport or the HTTP server.
   */
  public static final Duration ADMIN_MARGIN = Duration.ofSeconds(5);

  public NodeSettings {
    Objects.requireNonNull(raft, "raft");
    Objects.requireNonNull(tick, "tick");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (adminTimeout == null || adminTimeout.isZero() || adminTimeout.isNegative()) {
      throw new IllegalArgumentException("adminTimeout must be positive, got " + adminTimeout);
    }
  }

  /**
   * Settings for node {@code nodeId} with the defaults of application.conf (and no disk quota);
   * set what differs.
   */
  public static Builder builder(long nodeId, String raftAddr, String httpAddr) {
    return new Builder(nodeId, raftAddr, httpAddr);
  }

  /**
   * How much of the log the core keeps on the heap. Committed entries handed out for applying and
   * not yet applied count against the same byte budget as the cache: both are log in memory.
   */
  public LogLimits logLimits() {
    return new LogLimits(logCacheEntries, logCacheBytes, Math.max(1, logCacheBytes));
  }

  /** How long the gateway waits for the node's answer to an admin request: one margin past the node's own bound. */
  public Duration adminAskTimeout() {
    return adminTimeout.plus(ADMIN_MARGIN);
  }

  /**
   * The gRPC deadline of a join or leave forwarded to the leader: past the leader's gateway wait,
   * so the leader's answer (even its Timeout) comes back before the call expires.
   */
  public Duration adminCallDeadline() {
    return adminTimeout.plus(ADMIN_MARGIN.multipliedBy(2));
  }

  /** Names each setting of a {@link NodeSettings}. */
  public static final class Builder {
    private final long nodeId;
    private final String raftAddr;
    private final String httpAddr;
    private RaftConfig raft = RaftConfig.defaults();
    private Duration tick = Duration.ofMillis(10);
    private Duration requestTimeout = Duration.ofSeconds(5);
    private boolean forwardWrites = true;
    private int maxBatchEntries = 1024;
    private long snapshotIntervalEntries = 10_000;
    private long snapshotKeepLogEntries = 1000;
    private int snapshotChunkBytes = 1 << 20;
    private long snapshotIntervalBytes = 64L << 20;
    private int logCacheEntries = 4096;
    private long logCacheBytes = 16L << 20;
    private int maxPendingProposals = 4096;
    private long maxPendingProposalBytes = 64L << 20;
    private int maxMembers = 9;
    private long quotaBackendBytes;
    private Duration adminTimeout = DEFAULT_ADMIN_TIMEOUT;

    private Builder(long nodeId, String raftAddr, String httpAddr) {
      this.nodeId = nodeId;
      this.raftAddr = raftAddr;
      this.httpAddr = httpAddr;
    }

    public Builder raft(RaftConfig v) {
      raft = v;
      return this;
    }

    public Builder tick(Duration v) {
      tick = v;
      return this;
    }

    public Builder requestTimeout(Duration v) {
      requestTimeout = v;
      return this;
    }

    public Builder forwardWrites(boolean v) {
      forwardWrites = v;
      return this;
    }

    public Builder maxBatchEntries(int v) {
      maxBatchEntries = v;
      return this;
    }

    public Builder snapshotIntervalEntries(long v) {
      snapshotIntervalEntries = v;
      return this;
    }

    public Builder snapshotKeepLogEntries(long v) {
      snapshotKeepLogEntries = v;
      return this;
    }

    public Builder snapshotChunkBytes(int v) {
      snapshotChunkBytes = v;
      return this;
    }

    public Builder snapshotIntervalBytes(long v) {
      snapshotIntervalBytes = v;
      return this;
    }

    public Builder logCacheEntries(int v) {
      logCacheEntries = v;
      return this;
    }

    public Builder logCacheBytes(long v) {
      logCacheBytes = v;
      return this;
    }

    public Builder maxPendingProposals(int v) {
      maxPendingProposals = v;
      return this;
    }

    public Builder maxPendingProposalBytes(long v) {
      maxPendingProposalBytes = v;
      return this;
    }

    public Builder maxMembers(int v) {
      maxMembers = v;
      return this;
    }

    public Builder quotaBackendBytes(long v) {
      quotaBackendBytes = v;
      return this;
    }

    public Builder adminTimeout(Duration v) {
      adminTimeout = v;
      return this;
    }

    public NodeSettings build() {
      return new NodeSettings(nodeId, raftAddr, httpAddr, raft, tick, requestTimeout, forwardWrites, maxBatchEntries,
          snapshotIntervalEntries, snapshotKeepLogEntries, snapshotChunkBytes, snapshotIntervalBytes, logCacheEntries,
          logCacheBytes, maxPendingProposals, maxPendingProposalBytes, maxMembers, quotaBackendBytes, adminTimeout);
    }
  }
}
