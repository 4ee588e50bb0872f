package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.AdminOutcome;
import io.raftkv.api.ClientApi;
import io.raftkv.api.ClusterMember;
import io.raftkv.api.ClusterMembers;
import io.raftkv.api.SnapshotInfo;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cluster administration: membership (GET /members, POST /join, POST /leave), leadership (POST
 * /transfer_leader) and snapshots
 * (POST /trigger_snapshot, GET /snapshot_status, POST /purge_log). Joins and snapshots can take
 * as long as the data is big, so these routes allow more time than a read or a write.
 */
final class ClusterRoutes {
  static final String JOIN_EXAMPLE = "{\"node_id\": 4, \"endpoint\": \"127.0.0.1:7004\"}";
  static final String LEAVE_EXAMPLE = "{\"node_id\": 4}";
  static final String FORCED_LEAVE_EXAMPLE = "{\"node_id\": 3, \"force\": true}";
  static final String TRANSFER_EXAMPLE = "{\"node_id\": 2} (or {} for the most caught-up voter)";
  static final String PURGE_EXAMPLE = "{\"upto_index\": 1000}";
  /**
   * How much longer than the node's own bound ({@link ClientApi#adminTimeout()}) the route waits,
   * so the node's answer, even a Timeout, reaches the client instead of a bare 503 from Pekko.
   */
  static final Duration ANSWER_MARGIN = Duration.ofSeconds(10);

  private final ClientApi api;
  private final Responses responses;
  private final ErrorMapping errors;
  private final Duration requestTimeout;

  ClusterRoutes(ClientApi api, Responses responses, ErrorMapping errors) {
    this.api = api;
    this.responses = responses;
    this.errors = errors;
    this.requestTimeout = api.adminTimeout().plus(ANSWER_MARGIN);
  }

  Route members() {
    ClusterMembers m = api.status().membership();
    ObjectNode body = responses.object();
    body.put("success", true);
    ObjectNode members = body.putObject("members");
    put(members, m.voters(), "voter");
    put(members, m.learners(), "learner");
    return responses.ok(body);
  }

  Route join(ObjectNode body) {
    ClusterMember member;
    try {
      Fields.only(body, Set.of("node_id", "endpoint", "http_addr"), JOIN_EXAMPLE);
      long id = nodeId(body, JOIN_EXAMPLE);
      String endpoint = address(Fields.string(body, "endpoint", JOIN_EXAMPLE), "endpoint");
      String http = body.has("http_addr") ? address(Fields.string(body, "http_addr", JOIN_EXAMPLE), "http_addr") : "";
      member = new ClusterMember(id, endpoint, http);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return admin(() -> api.join(member));
  }

  Route leave(ObjectNode body) {
    long id;
    boolean force;
    try {
      Fields.only(body, Set.of("node_id", "force"), LEAVE_EXAMPLE + " or " + FORCED_LEAVE_EXAMPLE);
      id = nodeId(body, LEAVE_EXAMPLE);
      force = force(body);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return admin(() -> api.leave(id, force));
  }

  /** Moves leadership to {@code node_id}, or, without one, to the most caught-up voter. */
  Route transferLeader(ObjectNode body) {
    long id;
    try {
      Fields.only(body, Set.of("node_id"), TRANSFER_EXAMPLE);
      id = body.has("node_id") ? nodeId(body, TRANSFER_EXAMPLE) : 0;
    } catch (ClientError e) {
      return responses.error(e);
    }
    return admin(() -> api.transferLeader(id));
  }

  /** Optional; true confirms a removal that leaves fewer than three voters. */
  private static boolean force(ObjectNode body) throws ClientError {
    JsonNode node = body.get("force");
    if (node == null) return false;
    if (!node.isBoolean()) {
      throw new ClientError(StatusCodes.BAD_REQUEST,
          "field 'force' must be true or false, got " + Fields.describe(node) + ", e.g. " + FORCED_LEAVE_EXAMPLE);
    }
    return node.booleanValue();
  }

  Route triggerSnapshot() {
    return withRequestTimeout(requestTimeout, () -> onComplete(
        ErrorMapping.call(api::triggerSnapshot),
        done -> {
          if (done.isFailure()) return errors.internalError(done.failed().get());
          SnapshotInfo meta = done.get();
          ObjectNode out = responses.object();
          out.put("success", true);
          out.put("term", meta.term());
          out.put("index", meta.index());
          out.put("size_bytes", meta.sizeBytes());
          return responses.ok(out);
        }));
  }

  Route snapshotStatus() {
    Optional<SnapshotInfo> snapshot = api.snapshotStatus();
    ObjectNode out = responses.object();
    out.put("snapshot_exists", snapshot.isPresent());
    if (snapshot.isPresent()) {
      SnapshotInfo meta = snapshot.get();
      out.put("term", meta.term());
      out.put("index", meta.index());
      out.put("size_bytes", meta.sizeBytes());
      out.put("created_at_ms", meta.createdAtMillis());
    } else {
      out.putNull("term");
      out.putNull("index");
    }
    out.put("last_log_index", api.status().lastLogIndex());
    out.put("last_applied_index", api.status().lastAppliedIndex());
    return responses.ok(out);
  }

  Route purgeLog(ObjectNode body) {
    long upto;
    try {
      Fields.only(body, Set.of("upto_index"), PURGE_EXAMPLE);
      upto = positiveLong(body, "upto_index", PURGE_EXAMPLE);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return admin(() -> api.purgeLog(upto));
  }

  // ---------------------------------------------------------------- plumbing

  private Route admin(Supplier<CompletionStage<AdminOutcome>> call) {
    return withRequestTimeout(requestTimeout, () -> onComplete(
        ErrorMapping.call(call),
        done -> {
          if (done.isFailure()) return errors.internalError(done.failed().get());
          AdminOutcome outcome = done.get();
          if (outcome instanceof AdminOutcome.Done d) {
            ObjectNode out = responses.object();
            out.put("success", true);
            out.put("message", d.message());
            return responses.ok(out);
          }
          if (outcome instanceof AdminOutcome.Transferred t) {
            ObjectNode out = responses.object();
            out.put("success", true);
            out.put("leader_id", t.leaderId());
            out.put("message", "Leadership transferred to node " + t.leaderId());
            return responses.ok(out);
          }
          if (outcome instanceof AdminOutcome.Invalid i) return responses.error(StatusCodes.BAD_REQUEST, i.reason());
          if (outcome instanceof AdminOutcome.Conflict c) return responses.error(StatusCodes.CONFLICT, c.reason());
          if (outcome instanceof AdminOutcome.Unavailable u) {
            return complete(Responses.retryLater(responses.json(StatusCodes.SERVICE_UNAVAILABLE, responses.errorBody(u.reason()))));
          }
          return responses.error(StatusCodes.GATEWAY_TIMEOUT, ((AdminOutcome.Timeout) outcome).reason());
        }));
  }

  private void put(ObjectNode target, Map<Long, ClusterMember> members, String role) {
    for (ClusterMember m : members.values()) {
      ObjectNode node = target.putObject(Long.toString(m.id()));
      node.put("node_id", m.id());
      node.put("endpoint", m.raftAddr());
      node.put("role", role);
      if (m.httpAddr().isEmpty()) {
        node.putNull("http_addr");
      } else {
        node.put("http_addr", m.httpAddr());
      }
    }
  }

  private static long nodeId(ObjectNode body, String example) throws ClientError {
    return positiveLong(body, "node_id", example);
  }

  private static long positiveLong(ObjectNode body, String field, String example) throws ClientError {
    JsonNode node = body.get(field);
    if (node == null) {
      throw new ClientError(StatusCodes.BAD_REQUEST, "missing field '" + field + "': the body must look like " + example);
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1) {
      throw new ClientError(StatusCodes.BAD_REQUEST,
          "field '" + field + "' must be a positive integer, got " + Fields.describe(node));
    }
    return node.asLong();
  }

  /** host:port with a port a peer can connect to; anything else would make an unreachable member. */
  private static String address(String value, String field) throws ClientError {
    int colon = value.lastIndexOf(':');
    String host = colon > 0 ? value.substring(0, colon) : "";
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (host.isBlank() || host.contains(" ") || port < 1 || port > 65535) {
      throw new ClientError(StatusCodes.BAD_REQUEST,
          "field '" + field + "' must be host:port with a port from 1 to 65535, e.g. \"127.0.0.1:7004\"; got \""
              + value + "\"");
    }
    return value;
  }
}
