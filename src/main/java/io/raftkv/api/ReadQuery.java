package io.raftkv.api;

import io.raftkv.storage.StateMachineStore;

/**
 * A read of the state machine. Linearizable reads run it once the node has applied up to a
 * confirmed read index; local reads run it at once.
 */
public sealed interface ReadQuery {
  /** Runs the query against the applied state. */
  ReadOutcome runOn(StateMachineStore state);

  /** One key: {@link ReadOutcome.Value}. */
  record Get(String key) implements ReadQuery {
    @Override
    public ReadOutcome runOn(StateMachineStore state) {
      return new ReadOutcome.Value(key, state.get(key));
    }
  }

  /**
   * Up to {@code limit} keys starting with {@code prefix}, in key order: {@link ReadOutcome.Items}.
   * Like a get, it is linearizable unless run as a local read.
   */
  record Prefix(String prefix, int limit) implements ReadQuery {
    public Prefix {
      if (prefix == null) throw new IllegalArgumentException("prefix is required");
      if (limit < 0) throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }

    @Override
    public ReadOutcome runOn(StateMachineStore state) {
      return new ReadOutcome.Items(prefix, state.scan(prefix, limit));
    }
  }
}
