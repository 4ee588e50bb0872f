package io.raftkv.api;

/**
 * A snapshot as /trigger_snapshot and /snapshot_status report it.
 *
 * @param index the last log index the snapshot covers
 * @param term the term of that entry
 * @param sizeBytes the snapshot's size on disk
 * @param createdAtMillis when it was taken, in milliseconds since the epoch
 */
public record SnapshotInfo(long index, long term, long sizeBytes, long createdAtMillis) {}
