package io.raftkv.kv;

/** What applying one command produced, handed back to the client that proposed it. */
public sealed interface KvResult {
  /** The command took effect. {@code previous} is the value before it (null when absent). */
  record Applied(String previous) implements KvResult {}

  /** A NOOP or CONFIG entry, or an entry proposed by no client: nothing to report. */
  record None() implements KvResult {}

  KvResult NONE = new None();
}
