package io.raftkv.kv;

/** The pure apply logic of the key-value state machine, shared by RocksDB and in-memory stores. */
public final class KvApplier {
  private KvApplier() {}

  public static KvResult apply(KvCommand command, KvWriteView view) {
    if (command instanceof KvCommand.Set s) {
      String previous = view.get(s.key());
      view.put(s.key(), s.value());
      return new KvResult.Applied(previous);
    }
    if (command instanceof KvCommand.Delete d) {
      String previous = view.get(d.key());
      if (previous != null) view.delete(d.key());
      return new KvResult.Applied(previous);
    }
    throw new IllegalArgumentException("unknown command " + command);
  }
}
