package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.ClientApi;
import io.raftkv.api.ClusterMember;
import io.raftkv.api.ClusterMembers;
import io.raftkv.api.NodeHealth;
import io.raftkv.api.NodeStatus;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * GET /health and GET /metrics, the rockraft example's views of one node rendered from its status, plus the
 * probes a supervisor or load balancer asks: GET /livez (the process serves) and GET /readyz
 * (the node can serve clients now).
 */
final class StatusRoutes {
  private final ClientApi api;
  private final Responses responses;

  StatusRoutes(ClientApi api, Responses responses) {
    this.api = api;
    this.responses = responses;
  }

  /** 200 while the process answers HTTP at all: a supervisor restarts it only when this fails. */
  Route livez() {
    ObjectNode body = responses.object();
    body.put("live", true);
    return responses.ok(body);
  }

  /** 200 when the node is ready to serve; 503 with every reason it is not, so an operator knows what to fix. */
  Route readyz() {
    NodeHealth h = api.health();
    ObjectNode body = responses.object();
    body.put("ready", h.ready());
    if (h.ready()) return responses.ok(body);
    ArrayNode reasons = body.putArray("reasons");
    for (String r : h.notReadyReasons()) reasons.add(r);
    return complete(responses.json(StatusCodes.SERVICE_UNAVAILABLE, body));
  }

  Route health() {
    NodeStatus s = api.status();
    NodeHealth h = api.health();
    ObjectNode body = responses.object();
    // "ok" only when ready: a node without a leader or with an alarm is up but degraded.
    body.put("status", h.ready() ? "ok" : "degraded");
    body.put("node_id", s.nodeId());
    body.put("is_leader", s.isLeader());
    putLeader(body, s.currentLeader());
    body.put("current_term", s.currentTerm());
    body.put("state", s.state());
    if (s.identityProblem() != null) body.put("identity_problem", s.identityProblem());
    ArrayNode alarms = body.putArray("alarms");
    for (String a : h.alarms()) alarms.add(a);
    return responses.ok(body);
  }

  Route metrics() {
    NodeStatus s = api.status();
    ObjectNode body = responses.object();
    body.put("node_id", s.nodeId());
    putLeader(body, s.currentLeader());
    body.put("current_term", s.currentTerm());
    ObjectNode applied = body.putObject("last_applied");
    applied.put("term", s.lastAppliedTerm());
    applied.put("index", s.lastAppliedIndex());
    body.put("last_log_index", s.lastLogIndex());
    body.put("commit_index", s.commitIndex());
    body.put("state", s.state());
    ClusterMembers m = s.membership();
    ObjectNode membership = body.putObject("membership");
    putMembers(membership.putObject("voters"), m.voters());
    putMembers(membership.putObject("learners"), m.learners());
    NodeHealth h = api.health();
    body.put("disk_usage_bytes", h.diskUsageBytes());
    body.put("quota_backend_bytes", h.quotaBackendBytes());
    return responses.ok(body);
  }

  private static void putLeader(ObjectNode body, long leader) {
    // 0 means "no leader known" in NodeStatus; the rockraft example renders that as null.
    if (leader > 0) {
      body.put("current_leader", leader);
    } else {
      body.putNull("current_leader");
    }
  }

  private static void putMembers(ObjectNode target, Map<Long, ClusterMember> members) {
    for (ClusterMember m : members.values()) {
      ObjectNode node = target.putObject(Long.toString(m.id()));
      node.put("node_id", m.id());
      node.put("endpoint", m.raftAddr());
      if (m.httpAddr().isEmpty()) {
        node.putNull("http_addr");
      } else {
        node.put("http_addr", m.httpAddr());
      }
    }
  }
}
