package io.raftkv.kv;

/**
 * The state machine as seen while applying: reads see every write made earlier in the same
 * apply batch, so commands applied together behave exactly as if applied one by one.
 */
public interface KvWriteView {
  /** The current value, or null when the key is absent. */
  String get(String key);

  void put(String key, String value);

  void delete(String key);
}
