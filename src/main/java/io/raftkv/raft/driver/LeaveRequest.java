package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;

/**
 * A request to remove {@code nodeId}; {@code force}: the operator confirmed a removal that leaves
 * fewer than three voters; {@code forwarded}: a follower passed it on to this node.
 */
public record LeaveRequest(long nodeId, boolean force, boolean forwarded, Reply<AdminOutcome> replyTo) {}
