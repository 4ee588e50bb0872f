package io.raftkv.kv;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What applying one command produced, handed back to the client that proposed it (across the
 * wire through {@link KvResultCodec} when a follower forwarded the write).
 */
public sealed interface KvResult {
  /** A set or delete took effect. {@code previous} is the value before it (null when absent). */
  record Applied(String previous) implements KvResult {}

  /** A batch took effect; {@code opsApplied} is the number of its operations. */
  record BatchApplied(int opsApplied) implements KvResult {}

  /**
   * A transaction ran. {@code branch} is true when every condition held and the if-then
   * operations ran, false when the else operations ran. {@code previousValues} is null unless
   * the transaction asked for it; then it holds, per executed operation and in order, the value
   * the key had just before that operation (null when absent), so a second write to the same key
   * reports the first one's value.
   */
  record TxnApplied(boolean branch, List<String> previousValues) implements KvResult {
    public TxnApplied {
      // List.copyOf refuses nulls, and null is a legitimate "was absent" here.
      if (previousValues != null) {
        previousValues = Collections.unmodifiableList(new ArrayList<>(previousValues));
      }
    }
  }

  /** A getset took effect; {@code oldValue} is the value it replaced (null when absent). */
  record GetSetApplied(String oldValue) implements KvResult {}

  /** A NOOP or CONFIG entry, or an entry proposed by no client: nothing to report. */
  record None() implements KvResult {}

  KvResult NONE = new None();
}
