package io.raftkv.storage;

import io.raftkv.raft.core.Membership;

/**
 * A snapshot of the state machine: it holds the effect of every entry up to {@code index}
 * (whose term is {@code term}), and {@code membership} is the configuration in force there.
 */
public record SnapshotMeta(long index, long term, Membership membership, long sizeBytes, long createdAtMillis) {}
