package io.raftkv.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.ClientApi;
import io.raftkv.api.NodeStatus;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import java.util.Map;
import org.apache.pekko.http.javadsl.server.Route;

/** GET /health and GET /metrics: the seed's views of one node, rendered from its status. */
final class StatusRoutes {
  private final ClientApi api;
  private final Responses responses;

  StatusRoutes(ClientApi api, Responses responses) {
    this.api = api;
    this.responses = responses;
  }

  Route health() {
    NodeStatus s = api.status();
    ObjectNode body = responses.object();
    body.put("status", "ok");
    body.put("node_id", s.nodeId());
    body.put("is_leader", s.isLeader());
    putLeader(body, s.currentLeader());
    body.put("current_term", s.currentTerm());
    body.put("state", s.state());
    if (s.identityProblem() != null) body.put("identity_problem", s.identityProblem());
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
    Membership m = s.membership() == null ? Membership.EMPTY : s.membership();
    ObjectNode membership = body.putObject("membership");
    putMembers(membership.putObject("voters"), m.voters());
    putMembers(membership.putObject("learners"), m.learners());
    return responses.ok(body);
  }

  private static void putLeader(ObjectNode body, long leader) {
    // 0 means "no leader known" in NodeStatus; the seed renders that as null.
    if (leader > 0) {
      body.put("current_leader", leader);
    } else {
      body.putNull("current_leader");
    }
  }

  private static void putMembers(ObjectNode target, Map<Long, Member> members) {
    for (Member m : members.values()) {
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
