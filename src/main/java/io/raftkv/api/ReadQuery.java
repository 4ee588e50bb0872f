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
}
