package io.raftkv.api;

import io.raftkv.kv.KvPage;

/**
 * A read of the state machine. Linearizable reads run it once the node has applied up to a
 * confirmed read index; local reads run it at once.
 */
public sealed interface ReadQuery {
  /** Runs the query against the applied state. */
  ReadOutcome runOn(AppliedState state);

  /** One key: {@link ReadOutcome.Value}. */
  record Get(String key) implements ReadQuery {
    @Override
    public ReadOutcome runOn(AppliedState state) {
      return new ReadOutcome.Value(key, state.get(key));
    }
  }

  /**
   * Up to {@code limit} keys starting with {@code prefix} and greater than {@code startAfter}
   * (null: from the first), in key order, cut at {@code maxBytes} of keys and values: {@link
   * ReadOutcome.Items}. Like a get, it is linearizable unless run as a local read.
   */
  record Prefix(String prefix, String startAfter, int limit, long maxBytes) implements ReadQuery {
    public Prefix {
      if (prefix == null) throw new IllegalArgumentException("prefix is required");
      if (limit < 0) throw new IllegalArgumentException("limit must not be negative, got " + limit);
      if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
    }

    /** A first page with no byte budget beyond the item limit. */
    public Prefix(String prefix, int limit) {
      this(prefix, null, limit, Long.MAX_VALUE);
    }

    @Override
    public ReadOutcome runOn(AppliedState state) {
      KvPage page = state.scan(prefix, startAfter, limit, maxBytes);
      return new ReadOutcome.Items(prefix, page.items(), page.more());
    }
  }
}
