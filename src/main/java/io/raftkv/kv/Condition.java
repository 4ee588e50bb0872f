package io.raftkv.kv;

import java.util.Objects;

/**
 * One test of a {@link KvCommand.Txn}: the current value of {@code key} against {@code value}.
 *
 * <p>Comparisons are {@link String#compareTo} on the current value (UTF-16 code unit order, the
 * same on every node and every JVM). The rule for an absent key: it has no value to compare, so
 * {@code equal}, {@code greater}, {@code less}, {@code greater_equal} and {@code less_equal} fail,
 * while {@code not_equal} holds (an absent key is not equal to any value) and so does {@code
 * not_exists}. {@code exists} and {@code not_exists} take no value; every other test needs one.
 */
public record Condition(String key, Compare compare, String value) {
  /** The tests, with the names the HTTP API uses and stable codes for the log encoding. */
  public enum Compare {
    EXISTS("exists", 1, false),
    NOT_EXISTS("not_exists", 2, false),
    EQUAL("equal", 3, true),
    NOT_EQUAL("not_equal", 4, true),
    GREATER("greater", 5, true),
    LESS("less", 6, true),
    GREATER_EQUAL("greater_equal", 7, true),
    LESS_EQUAL("less_equal", 8, true);

    private final String wireName;
    // Explicit codes rather than ordinals: reordering the enum must never change what an entry
    // already in somebody's log means.
    private final int code;
    private final boolean needsValue;

    Compare(String wireName, int code, boolean needsValue) {
      this.wireName = wireName;
      this.code = code;
      this.needsValue = needsValue;
    }

    public String wireName() {
      return wireName;
    }

    int code() {
      return code;
    }

    public boolean needsValue() {
      return needsValue;
    }

    /** The test with this API name, or null when there is none. */
    public static Compare ofWireName(String name) {
      for (Compare c : values()) {
        if (c.wireName.equals(name)) return c;
      }
      return null;
    }

    static Compare ofCode(int code) {
      for (Compare c : values()) {
        if (c.code == code) return c;
      }
      throw new IllegalArgumentException("unknown condition code " + code);
    }
  }

  public Condition {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(compare, "compare");
    if (compare.needsValue() && value == null) {
      throw new IllegalArgumentException(compare.wireName() + " needs a value to compare with");
    }
    if (!compare.needsValue() && value != null) {
      throw new IllegalArgumentException(compare.wireName() + " takes no value");
    }
  }

  /** Whether the test holds when the key's current value is {@code current} (null: absent). */
  public boolean holds(String current) {
    switch (compare) {
      case EXISTS:
        return current != null;
      case NOT_EXISTS:
        return current == null;
      case NOT_EQUAL:
        return current == null || !current.equals(value);
      default:
        break;
    }
    if (current == null) return false;
    int c = current.compareTo(value);
    switch (compare) {
      case EQUAL:
        return c == 0;
      case GREATER:
        return c > 0;
      case LESS:
        return c < 0;
      case GREATER_EQUAL:
        return c >= 0;
      case LESS_EQUAL:
        return c <= 0;
      default:
        throw new IllegalStateException("unhandled condition " + compare);
    }
  }
}
