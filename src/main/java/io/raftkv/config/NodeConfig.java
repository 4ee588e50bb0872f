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
 * @param maxTxnOps most operations in each of the conditions, if_then and else_then lists of one
 *     /txn (413 above)
 * @param maxResponseBytes most bytes of keys and values one /prefix answer carries; a longer
 *     answer is cut there and says where to continue
 * @param maxPendingProposals most client writes a leader holds proposed but not yet applied
 *     (429 above)
 * @param maxPendingProposalBytes most bytes of such writes (429 above)
 * @param snapshotIntervalBytes bytes of log written since the last snapshot that trigger the
 *     next one; 0 turns the byte trigger off
 * @param logCacheEntries most log entries kept in memory behind the newest one
 * @param logCacheBytes most payload bytes of log entries kept in memory
 * @param quotaBackendBytes disk space the data directory may use before writes are refused with
 *     507 and the NOSPACE alarm; 0 turns the quota off
 * @param maxMembers most members (voters and learners) a cluster accepts
 * @param readyMaxApplyLag most entries the applied index may trail the commit index while
 *     /readyz still answers ready
 * @param peerKeepaliveIntervalMs idle time after which a peer connection is pinged
 * @param peerKeepaliveTimeoutMs how long a ping may go unanswered before the connection is closed
 * @param snapshotChunkTimeoutMs how long a snapshot transfer may wait for one chunk to be taken
 *     before it is abandoned and resumed later
 * @param adminTimeoutMs how long a membership change (a join includes the new learner's catch-up)
 *     may take before it answers 504; the waits around it (the forwarded call, the HTTP route)
 *     are derived from it
 * @param advertiseRaftAddr host:port this node tells peers to dial (members list, Hello answers,
 *     the address it joins with); empty or null in the input means {@code raftAddr}. It must be
 *     dialable (no port 0, no wildcard host) when set, and must be set when {@code raftAddr}
 *     binds a wildcard host
 * @param tls TLS on the HTTP port and between peers; null means {@link TlsConfig#NONE}
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
    String logLevel,
    int maxTxnOps,
    int maxResponseBytes,
    int maxPendingProposals,
    long maxPendingProposalBytes,
    long snapshotIntervalBytes,
    int logCacheEntries,
    long logCacheBytes,
    long quotaBackendBytes,
    int maxMembers,
    int readyMaxApplyLag,
    int peerKeepaliveIntervalMs,
    int peerKeepaliveTimeoutMs,
    int snapshotChunkTimeoutMs,
    int adminTimeoutMs,
    String advertiseRaftAddr,
    TlsConfig tls) {

  /** Log levels accepted by {@code log_level}; WARNING is taken as WARN to match Pekko's name. */
  public static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  /**
   * The largest gRPC message a node sends or accepts. A forwarded write carries a whole request
   * body, and an AppendEntries carries up to max_bytes_per_append of entries plus one entry that
   * may be as large as a body, so both limits are checked against this one.
   */
  public static final int GRPC_MAX_MESSAGE_BYTES = 8 << 20;

  /** Room left in a gRPC message for framing, entry headers and the other fields. */
  static final int GRPC_FRAMING_BYTES = 64 << 10;

  public NodeConfig {
    join = List.copyOf(Objects.requireNonNull(join, "join"));
    tls = tls == null ? TlsConfig.NONE : tls;
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
    if ((long) maxBodyBytes + maxBytesPerAppend + GRPC_FRAMING_BYTES > GRPC_MAX_MESSAGE_BYTES) {
      // A write of max_body_bytes must fit in one gRPC message next to a full AppendEntries
      // batch, or a follower could never receive the entry that holds it.
      throw new InvalidSettingException(
          List.of("max_body_bytes", "max_bytes_per_append"),
          "max_body_bytes (" + maxBodyBytes + ") + max_bytes_per_append (" + maxBytesPerAppend
              + ") must stay below the peer message limit of " + (GRPC_MAX_MESSAGE_BYTES - GRPC_FRAMING_BYTES)
              + " bytes");
    }
    positive("max_txn_ops", maxTxnOps);
    positive("max_response_bytes", maxResponseBytes);
    if (maxResponseBytes < maxKeyBytes + maxValueBytes) {
      // One item must always fit, or a scan could never make progress past a large value.
      throw new InvalidSettingException(
          List.of("max_response_bytes", "max_key_bytes", "max_value_bytes"),
          "max_response_bytes (" + maxResponseBytes + ") must be at least max_key_bytes + max_value_bytes ("
              + ((long) maxKeyBytes + maxValueBytes) + ") so that one item always fits");
    }
    positive("max_pending_proposals", maxPendingProposals);
    if (maxPendingProposalBytes < maxBodyBytes) {
      throw new InvalidSettingException(
          List.of("max_pending_proposal_bytes", "max_body_bytes"),
          "max_pending_proposal_bytes (" + maxPendingProposalBytes + ") must be at least max_body_bytes ("
              + maxBodyBytes + ") so that one write always fits");
    }
    if (snapshotIntervalBytes < 0) {
      throw new InvalidSettingException(
          "snapshot_interval_bytes", "must be 0 (no byte trigger) or more, got " + snapshotIntervalBytes);
    }
    positive("log_cache_entries", logCacheEntries);
    if (logCacheBytes <= 0) {
      throw new InvalidSettingException("log_cache_bytes", "must be greater than 0, got " + logCacheBytes);
    }
    if (quotaBackendBytes < 0) {
      throw new InvalidSettingException(
          "quota_backend_bytes", "must be 0 (no quota) or more, got " + quotaBackendBytes);
    }
    if (maxMembers < 1) {
      throw new InvalidSettingException("max_members", "must be at least 1, got " + maxMembers);
    }
    if (readyMaxApplyLag < 0) {
      throw new InvalidSettingException("ready_max_apply_lag", "must be 0 or more, got " + readyMaxApplyLag);
    }
    positive("peer_keepalive_interval_ms", peerKeepaliveIntervalMs);
    positive("peer_keepalive_timeout_ms", peerKeepaliveTimeoutMs);
    positive("snapshot_chunk_timeout_ms", snapshotChunkTimeoutMs);
    positive("admin_timeout_ms", adminTimeoutMs);
    advertiseRaftAddr = advertised(raftAddr, advertiseRaftAddr);
    if (snapshotIntervalEntries < 0) {
      throw new InvalidSettingException(
          "snapshot_interval_entries", "must be 0 (no automatic snapshots) or more, got " + snapshotIntervalEntries);
    }
    if (snapshotKeepLogEntries < 0) {
      throw new InvalidSettingException("snapshot_keep_log_entries", "must be 0 or more, got " + snapshotKeepLogEntries);
    }
    if (snapshotChunkBytes <= 0 || snapshotChunkBytes > (2 << 20)) {
      // A chunk travels in one peer message; 2 MiB keeps it far below GRPC_MAX_MESSAGE_BYTES and
      // keeps what one chunk holds in memory small.
      throw new InvalidSettingException(
          "snapshot_chunk_bytes", "must be between 1 and 2097152, got " + snapshotChunkBytes);
    }
  }

  /** The Raft address, parsed. */
  public HostPort raftHostPort() {
    return HostPort.parse(raftAddr);
  }

  /**
   * What peers are told to dial: {@code raft_addr} unless {@code advertise_raft_addr} is set. A
   * wildcard bind cannot be dialled, so it needs an explicit advertised address; an explicit one
   * must be dialable, since the cluster stores it in its membership.
   */
  private static String advertised(String raftAddr, String advertise) {
    if (advertise == null || advertise.isEmpty()) {
      if (HostPort.parse(raftAddr).isWildcard()) {
        throw new InvalidSettingException(List.of("raft_addr", "advertise_raft_addr"),
            "raft_addr " + Quote.string(raftAddr) + " binds every interface, which peers cannot dial;"
                + " set advertise_raft_addr to the host:port peers reach this node at");
      }
      return raftAddr;
    }
    HostPort hp;
    try {
      hp = HostPort.parse(advertise).requireConnectable();
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("advertise_raft_addr", e.getMessage());
    }
    if (hp.isWildcard()) {
      throw new InvalidSettingException("advertise_raft_addr",
          "must be an address peers can dial, not the wildcard host in " + Quote.string(advertise));
    }
    return advertise;
  }

  /** The HTTP address, parsed. */
  public HostPort httpHostPort() {
    return HostPort.parse(httpAddr);
  }

  /**
   * The block a node prints at start, as in the rockraft example: a header line and one indented line
   * per key, joined with newlines (no trailing newline).
   */
  public String describe() {
    String joinText =
        join.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", ", "[", "]"));
    String text = String.join(
        "\n",
        "Configuration loaded:",
        "  node_id: " + nodeId,
        "  raft_addr: " + raftAddr
            + (advertiseRaftAddr.equals(raftAddr) ? "" : " (advertised as " + advertiseRaftAddr + ")"),
        "  http_addr: " + httpAddr,
        "  data_path: " + dataPath,
        "  single: " + single,
        "  join: " + joinText);
    return tls.httpTls() || tls.peerTls() ? text + "\n" + tls.describe() : text;
  }

  /**
   * The one-line warning a node prints at start when a port that listens beyond loopback speaks
   * plaintext, or empty. Plaintext stays the default, so an operator who opens a port to the
   * network must at least have been told that anyone on it can read and write the data.
   */
  public java.util.Optional<String> plaintextWarning() {
    List<String> open = new java.util.ArrayList<>();
    if (!tls.httpTls() && !httpHostPort().isLoopback()) open.add("HTTP on " + httpAddr);
    if (!tls.peerTls() && !raftHostPort().isLoopback()) open.add("Raft on " + raftAddr);
    if (open.isEmpty()) return java.util.Optional.empty();
    return java.util.Optional.of("WARNING: listening beyond loopback without TLS (" + String.join(", ", open)
        + "): anyone who reaches these ports can read and change the data; see the TLS section of the README");
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
