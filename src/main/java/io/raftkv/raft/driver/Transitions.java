package io.raftkv.raft.driver;

import io.raftkv.raft.core.RaftCore;
import io.raftkv.raft.core.Role;
import org.slf4j.Logger;

/**
 * Notices, after each input, when this node's role or its leader changed, and tells the parts
 * whose waiting requests depend on them.
 */
final class Transitions {
  private final long nodeId;
  private final RaftCore core;
  private final ClientWrites writes;
  private final LinearizableReads reads;
  private final Logger log;
  private Role lastRole;
  private long lastLeaderId;
  private long lastTerm;

  Transitions(long nodeId, RaftCore core, ClientWrites writes, LinearizableReads reads, Logger log) {
    this.nodeId = nodeId;
    this.core = core;
    this.writes = writes;
    this.reads = reads;
    this.log = log;
    this.lastRole = core.role();
    this.lastTerm = core.term();
  }

  void afterInput() {
    long leader = core.leaderId();
    // Losing the leader within the same term is this node giving up on it: its election timer
    // ran out (a follower turned pre-candidate, §5.2) or, as leader, it lost its majority
    // (CheckQuorum, thesis §6.2). Then nothing it waits on is coming soon. In a new term someone
    // else is campaigning (as in a leadership transfer), and the answers are likely on their way.
    if (leader == 0 && lastLeaderId != 0 && core.term() == lastTerm) {
      writes.leaderLost(lastLeaderId == nodeId);
      reads.leaderLost();
    }
    lastLeaderId = leader;
    lastTerm = core.term();
    Role role = core.role();
    if (RoleBehavior.of(role) == RoleBehavior.of(lastRole)) return;
    log.info("node {} is now {} in term {}", nodeId, role.displayName(), core.term());
    // A new role starts with nothing of its own pending: a former leader's proposals are the new
    // leader's to commit or overwrite.
    writes.roleChanged();
    lastRole = role;
  }
}
