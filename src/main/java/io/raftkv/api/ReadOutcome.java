package io.raftkv.api;

import io.raftkv.kv.KvPair;
import java.util.List;

/** How a read ended. */
public sealed interface ReadOutcome {
  /** The value (null when the key is absent) as of a point that is linearizable unless local. */
  record Value(String key, String value) implements ReadOutcome {}

  /**
   * The keys a prefix query matched, with their values, in key order. {@code more} says that
   * further matches follow the last item (the page was cut at its limit or byte budget).
   */
  record Items(String prefix, List<KvPair> items, boolean more) implements ReadOutcome {
    public Items {
      items = List.copyOf(items);
    }

    /** The key a next page starts after, or null when nothing follows. */
    public String nextKey() {
      return more && !items.isEmpty() ? items.get(items.size() - 1).key() : null;
    }
  }

  /** No leader could confirm a read index: HTTP 503, retry. */
  record NoLeader(String reason) implements ReadOutcome {}

  /** The read index was not confirmed or applied in time: HTTP 504, retry. */
  record Timeout(String reason) implements ReadOutcome {}
}
