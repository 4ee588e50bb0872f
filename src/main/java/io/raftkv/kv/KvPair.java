package io.raftkv.kv;

import java.util.Objects;

/** One key and its value, as a prefix scan returns them. */
public record KvPair(String key, String value) {
  public KvPair {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }
}
