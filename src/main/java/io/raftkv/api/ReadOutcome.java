package io.raftkv.api;

/** How a read ended. */
public sealed interface ReadOutcome {
  /** The value (null when the key is absent) as of a point that is linearizable unless local. */
  record Value(String key, String value) implements ReadOutcome {}

  /** No leader could confirm a read index: HTTP 503, retry. */
  record NoLeader(String reason) implements ReadOutcome {}

  /** The read index was not confirmed or applied in time: HTTP 504, retry. */
  record Timeout(String reason) implements ReadOutcome {}
}
