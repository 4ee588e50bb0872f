package io.raftkv.kv;

/**
 * A change to the key-value state, carried as the payload of a COMMAND log entry. Commands are
 * applied by {@link KvApplier} on every node, in log order, exactly once.
 */
public sealed interface KvCommand {
  record Set(String key, String value) implements KvCommand {}

  record Delete(String key) implements KvCommand {}
}
