package io.raftkv.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One node's validated configuration. Field names are the camelCase forms of the snake_case keys
 * in the config files ({@code node_id} is {@link #nodeId}); units are the last word of a name.
 *
 * <p>The constructor enforces every invariant, so a {@code NodeConfig} that exists is usable;
 * {@link ConfigLoader} is the normal way to build one because it also says which file a bad value
 * came from.
 *
 * @param nodeId this node's Raft id, unique in the cluster, greater than 0
 * @param raftAddr host:port the gRPC Raft transport binds (port 0 = ephemeral, for tests)
 * @param httpAddr host:port the JSON HTTP API binds (port 0 = ephemeral, for tests)
 * @param single bootstrap a one-member cluster instead of joining others
 * @param join Raft addresses of peers to contact when this node has no cluster yet
 * @param dataPath directory of this node's RocksDB database
 * @param maxOpenFiles RocksDB's max_open_files: greater than 0, or -1 to keep every file open
 * @param forwardWrites followers forward writes to the leader instead of answering 421
 * @param electionTimeoutMsMin lower bound of the randomized election timeout
 * @param electionTimeoutMsMax upper bound (exclusive) of the randomized election timeout
 * @param heartbeatIntervalMs how often a leader sends empty AppendEntries
 * @param tickMs length of one logical tick fed to the Raft core
 * @param requestTimeoutMs how long a client request waits before a 504
 * @param maxBodyBytes largest HTTP request body accepted (413 above it)
 * @param maxKeyBytes largest key, UTF-8 encoded
 * @param maxValueBytes largest value, UTF-8 encoded
 * @param maxBatchOps most operations in one /batch_write, and in each list of one /txn (413 above)
 * @param maxPrefixLimit most items one /prefix returns; also the limit when the request gives none
 * @param maxEntriesPerAppend most log entries in one AppendEntries
 * @param maxBytesPerAppend most payload bytes in one AppendEntries (at least one entry is sent)
 * @param maxInflightAppends AppendEntries a leader keeps unacknowledged per follower
 * @param maxBatchEntries most client commands proposed and synced as one group commit
 * @param snapshotIntervalEntries applied entries between automatic snapshots; 0 turns them off
 * @param snapshotKeepLogEntries log entries kept behind a snapshot when the log is compacted
 * @param snapshotChunkBytes data per InstallSnapshot message
 * @param joinRetryIntervalMs pause between rounds of asking join addresses for a cluster
 * @param shutdownTimeoutMs bound on a clean shutdown after SIGTERM
 * @param logLevel root log level: TRACE, DEBUG, INFO, WARN, ERROR or OFF
 */
public record NodeConfig(
    long nodeId,
    String raftAddr,
    String httpAddr,
    boolean single,
    List<String> join,
    Path dataPath,
    int maxOpenFiles,
    boolean forwardWrites,
    int electionTimeoutMsMin,
    int electionTimeoutMsMax,
    int heartbeatIntervalMs,
    int tickMs,
    int requestTimeoutMs,
    int maxBodyBytes,
    int maxKeyBytes,
    int maxValueBytes,
    int maxBatchOps,
    int maxPrefixLimit,
    int maxEntriesPerAppend,
    int maxBytesPerAppend,
    int maxInflightAppends,
    int maxBatchEntries,
    int snapshotIntervalEntries,
    int snapshotKeepLogEntries,
    int snapshotChunkBytes,
    int joinRetryIntervalMs,
    int shutdownTimeoutMs,
    String logLevel) {

  /** Log levels accepted by {@code log_level}; WARNING is taken as WARN to match Pekko's name. */
  public static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  public NodeConfig {
    join = List.copyOf(Objects.requireNonNull(join, "join"));
    logLevel = normalizeLogLevel(logLevel);
    if (nodeId <= 0) {
      throw new InvalidSettingException("node_id", "must be greater than 0, got " + nodeId);
    }
    address("raft_addr", raftAddr);
    address("http_addr", httpAddr);
    Set<String> seen = new HashSet<>();
    for (String peer : join) {
      try {
        HostPort.parse(peer).requireConnectable();
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException("join", e.getMessage());
      }
      if (!seen.add(peer)) {
        throw new InvalidSettingException("join", "lists " + Quote.string(peer) + " twice");
      }
    }
    if (single && !join.isEmpty()) {
      // A single node bootstraps alone; a join list next to it means the operator expected a
      // multi-node cluster, and guessing which one was meant could create two clusters.
      throw new InvalidSettingException(
          List.of("single", "join"), "single = true cannot be combined with a non-empty join list");
    }
    if (dataPath == null || dataPath.toString().isBlank()) {
      throw new InvalidSettingException("data_path", "must not be empty");
    }
    if (maxOpenFiles <= 0 && maxOpenFiles != -1) {
      throw new InvalidSettingException(
          "max_open_files", "must be greater than 0, or -1 for unlimited, got " + maxOpenFiles);
    }
    positive("election_timeout_ms_min", electionTimeoutMsMin);
    positive("election_timeout_ms_max", electionTimeoutMsMax);
    positive("heartbeat_interval_ms", heartbeatIntervalMs);
    positive("tick_ms", tickMs);
    positive("request_timeout_ms", requestTimeoutMs);
    positive("max_body_bytes", maxBodyBytes);
    positive("max_key_bytes", maxKeyBytes);
    positive("max_value_bytes", maxValueBytes);
    positive("max_batch_ops", maxBatchOps);
    positive("max_prefix_limit", maxPrefixLimit);
    positive("max_entries_per_append", maxEntriesPerAppend);
    positive("max_bytes_per_append", maxBytesPerAppend);
    positive("max_inflight_appends", maxInflightAppends);
    positive("max_batch_entries", maxBatchEntries);
    positive("join_retry_interval_ms", joinRetryIntervalMs);
    positive("shutdown_timeout_ms", shutdownTimeoutMs);
    if (electionTimeoutMsMin >= electionTimeoutMsMax) {
      // §5.2: timeouts must be randomized over a range, or split votes can repeat forever.
      throw new InvalidSettingException(
          List.of("election_timeout_ms_min", "election_timeout_ms_max"),
          "election_timeout_ms_min ("
              + electionTimeoutMsMin
              + ") must be less than election_timeout_ms_max ("
              + electionTimeoutMsMax
              + ")");
    }
    if (heartbeatIntervalMs >= electionTimeoutMsMin) {
      // §5.6: broadcastTime << electionTimeout, or followers time out under a healthy leader.
      throw new InvalidSettingException(
          List.of("heartbeat_interval_ms", "election_timeout_ms_min"),
          "heartbeat_interval_ms ("
              + heartbeatIntervalMs
              + ") must be less than election_timeout_ms_min ("
              + electionTimeoutMsMin
              + ")");
    }
    if (tickMs > heartbeatIntervalMs) {
      // The core only sees ticks, so a tick longer than a heartbeat would stretch every heartbeat.
      throw new InvalidSettingException(
          List.of("tick_ms", "heartbeat_interval_ms"),
          "tick_ms (" + tickMs + ") must not exceed heartbeat_interval_ms (" + heartbeatIntervalMs + ")");
    }
    if (maxKeyBytes > maxBodyBytes) {
      // Such a key could never arrive: the body limit would reject the request first.
      throw new InvalidSettingException(
          List.of("max_key_bytes", "max_body_bytes"),
          "max_key_bytes (" + maxKeyBytes + ") must not exceed max_body_bytes (" + maxBodyBytes + ")");
    }
    if (maxValueBytes > maxBodyBytes) {
      throw new InvalidSettingException(
          List.of("max_value_bytes", "max_body_bytes"),
          "max_value_bytes ("
              + maxValueBytes
              + ") must not exceed max_body_bytes ("
              + maxBodyBytes
              + ")");
    }
    if (snapshotIntervalEntries < 0) {
      throw new InvalidSettingException(
          "snapshot_interval_entries", "must be 0 (no automatic snapshots) or more, got " + snapshotIntervalEntries);
    }
    if (snapshotKeepLogEntries < 0) {
      throw new InvalidSettingException("snapshot_keep_log_entries", "must be 0 or more, got " + snapshotKeepLogEntries);
    }
    if (snapshotChunkBytes <= 0 || snapshotChunkBytes > (2 << 20)) {
      // gRPC refuses messages over 4 MiB by default; half of that leaves room for framing.
      throw new InvalidSettingException(
          "snapshot_chunk_bytes", "must be between 1 and 2097152, got " + snapshotChunkBytes);
    }
  }

  /** The Raft address, parsed. */
  public HostPort raftHostPort() {
    return HostPort.parse(raftAddr);
  }

  /** The HTTP address, parsed. */
  public HostPort httpHostPort() {
    return HostPort.parse(httpAddr);
  }

  /**
   * The block a node prints at start, as in the seed example: a header line and one indented line
   * per key, joined with newlines (no trailing newline).
   */
  public String describe() {
    String joinText =
        join.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", ", "[", "]"));
    return String.join(
        "\n",
        "Configuration loaded:",
        "  node_id: " + nodeId,
        "  raft_addr: " + raftAddr,
        "  http_addr: " + httpAddr,
        "  data_path: " + dataPath,
        "  single: " + single,
        "  join: " + joinText);
  }

  /**
   * Pekko settings that must follow this node's values rather than application.conf's defaults:
   * a TOML file can change {@code max_body_bytes}, {@code request_timeout_ms} or {@code
   * log_level}, and Pekko only reads its
   * own config. Layer this over {@code ConfigFactory.load()} when creating the ActorSystem.
   */
  public Config pekkoOverrides() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pekko.http.server.parsing.max-content-length", (long) maxBodyBytes);
    m.put("pekko.loglevel", pekkoLogLevel(logLevel));
    // Pekko's own timeout answers 503 in plain text; leaving it later than ours means a slow
    // request gets the node's JSON 504 instead.
    m.put("pekko.http.server.request-timeout", (requestTimeoutMs + 5000L) + " ms");
    return ConfigFactory.parseMap(m, "raftkv node settings");
  }

  // Pekko names the warning level WARNING and has no TRACE; anything else makes it refuse to start.
  static String pekkoLogLevel(String level) {
    switch (level) {
      case "TRACE":
        return "DEBUG";
      case "WARN":
        return "WARNING";
      default:
        return level;
    }
  }

  static String normalizeLogLevel(String level) {
    if (level == null) {
      throw new InvalidSettingException("log_level", "expected one of " + LOG_LEVELS + ", got null");
    }
    String upper = level.strip().toUpperCase(Locale.ROOT);
    if (upper.equals("WARNING")) {
      upper = "WARN";
    }
    if (!LOG_LEVELS.contains(upper)) {
      throw new InvalidSettingException(
          "log_level", "expected one of " + LOG_LEVELS + ", got " + Quote.string(level));
    }
    return upper;
  }

  // Kept as one static method so that the rules read as a list; the order matters only for which
  // error a config with several mistakes reports first (the simplest one).

  private static void address(String key, String value) {
    try {
      HostPort.parse(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(key, e.getMessage());
    }
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new InvalidSettingException(key, "must be greater than 0, got " + value);
    }
  }
}
