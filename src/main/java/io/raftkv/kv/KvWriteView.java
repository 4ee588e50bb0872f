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

  /** A view straight onto a map, for in-memory state machines (the simulator, test doubles). */
  static KvWriteView over(java.util.Map<String, String> map) {
    return new KvWriteView() {
      @Override
      public String get(String key) {
        return map.get(key);
      }

      @Override
      public void put(String key, String value) {
        map.put(key, value);
      }

      @Override
      public void delete(String key) {
        map.remove(key);
      }
    };
  }
}
