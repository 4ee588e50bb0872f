package io.raftkv.api;

import io.raftkv.kv.KvPair;
import java.util.List;

/** How a read ended. */
public sealed interface ReadOutcome {
  /** The value (null when the key is absent) as of a point that is linearizable unless local. */
  record Value(String key, String value) implements ReadOutcome {}

  /** The keys a prefix query matched, with their values, in key order. */
  record Items(String prefix, List<KvPair> items) implements ReadOutcome {
    public Items {
      items = List.copyOf(items);
    }
  }

  /** No leader could confirm a read index: HTTP 503, retry. */
  record NoLeader(String reason) implements ReadOutcome {}

  /** The read index was not confirmed or applied in time: HTTP 504, retry. */
  record Timeout(String reason) implements ReadOutcome {}
}
