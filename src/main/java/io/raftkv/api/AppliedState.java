package io.raftkv.api;

import io.raftkv.kv.KvPage;

/** The state machine as far as it has applied the log: what a {@link ReadQuery} reads. */
public interface AppliedState {
  /** The value of {@code key}, or null when it is absent. */
  String get(String key);

  /**
   * Up to {@code limit} keys starting with {@code prefix} and greater than {@code startAfter}
   * (null: from the first), in key order, cut at {@code maxBytes} of keys and values.
   */
  KvPage scan(String prefix, String startAfter, int limit, long maxBytes);
}
