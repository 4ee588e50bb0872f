package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.Member;

/** A request to add {@code member}; {@code forwarded}: a follower passed it on to this node. */
public record JoinRequest(Member member, boolean forwarded, Reply<AdminOutcome> replyTo) {}
