package io.raftkv.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A string key-value store: get, set, delete and compare-and-set, each touching one key.
 *
 * <p>The state is an immutable map of present keys. Because every operation touches exactly one
 * key, {@link #partition} splits a history by key, so in practice each search sees maps of at most
 * one entry and copying on write is cheap.
 *
 * <p>Outputs are objects even when the natural result is "absent" (a get of a missing key is
 * {@code Value(null)}), because a null output means "not observed".
 */
public final class KvModel implements Model<Map<String, String>, KvModel.Op, KvModel.Result> {

  public sealed interface Op permits Get, Set, Delete, Cas {
    String key();
  }

  public record Get(String key) implements Op {
    public Get {
      Objects.requireNonNull(key, "key");
    }

    @Override
    public String toString() {
      return "get(" + key + ")";
    }
  }

  public record Set(String key, String value) implements Op {
    public Set {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value (use Delete to remove a key)");
    }

    @Override
    public String toString() {
      return "set(" + key + ", " + value + ")";
    }
  }

  public record Delete(String key) implements Op {
    public Delete {
      Objects.requireNonNull(key, "key");
    }

    @Override
    public String toString() {
      return "delete(" + key + ")";
    }
  }

  /** Sets {@code key} to {@code newValue} iff its value equals {@code expected} (null: absent). */
  public record Cas(String key, String expected, String newValue) implements Op {
    public Cas {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(newValue, "newValue");
    }

    @Override
    public String toString() {
      return "cas(" + key + ", " + expected + " -> " + newValue + ")";
    }
  }

  public sealed interface Result permits Value, Ok, Previous, Swapped {}

  /** What a get returned; {@code value} is null when the key was absent. */
  public record Value(String value) implements Result {}

  /** A set or delete was acknowledged; nothing else was observed. */
  public record Ok() implements Result {}

  /**
   * A set or delete was acknowledged together with the value it replaced (null: absent), as the
   * store's state machine reports it. Checked against the model, so it is a stronger observation
   * than {@link Ok}.
   */
  public record Previous(String value) implements Result {}

  /** Whether a cas swapped. */
  public record Swapped(boolean swapped) implements Result {}

  public static final Ok OK = new Ok();

  @Override
  public Map<String, String> init() {
    return Map.of();
  }

  @Override
  public Step<Map<String, String>> step(Map<String, String> state, Op input, Result output) {
    String current = state.get(input.key());
    if (input instanceof Get) {
      if (output == null) {
        return Step.ok(state);
      }
      if (output instanceof Value) {
        return Objects.equals(((Value) output).value(), current)
            ? Step.ok(state)
            : Step.illegal();
      }
      return Step.illegal();
    }
    if (input instanceof Set) {
      Set s = (Set) input;
      return acknowledged(output, current) ? Step.ok(with(state, s.key(), s.value())) : Step.illegal();
    }
    if (input instanceof Delete) {
      return acknowledged(output, current)
          ? Step.ok(with(state, input.key(), null))
          : Step.illegal();
    }
    if (input instanceof Cas) {
      Cas c = (Cas) input;
      boolean matches = Objects.equals(current, c.expected());
      Map<String, String> swappedState = matches ? with(state, c.key(), c.newValue()) : state;
      if (output == null) {
        return Step.ok(swappedState);
      }
      if (output instanceof Swapped) {
        return ((Swapped) output).swapped() == matches ? Step.ok(swappedState) : Step.illegal();
      }
      return Step.illegal();
    }
    throw new IllegalArgumentException("unknown kv operation: " + input);
  }

  /** Whether a set/delete output is consistent with the value it replaced. */
  private static boolean acknowledged(Result output, String current) {
    if (output == null || output instanceof Ok) {
      return true;
    }
    if (output instanceof Previous) {
      return Objects.equals(((Previous) output).value(), current);
    }
    return false;
  }

  private static Map<String, String> with(Map<String, String> state, String key, String value) {
    if (Objects.equals(state.get(key), value)) {
      return state;
    }
    Map<String, String> copy = new HashMap<>(state);
    if (value == null) {
      copy.remove(key);
    } else {
      copy.put(key, value);
    }
    return Map.copyOf(copy);
  }

  @Override
  public boolean isReadOnly(Op input) {
    return input instanceof Get;
  }

  /** One partition per key, named {@code key=<key>}, in key order so reports are deterministic. */
  @Override
  public Map<String, List<Operation<Op, Result>>> partition(List<Operation<Op, Result>> history) {
    Map<String, List<Operation<Op, Result>>> byKey = new TreeMap<>();
    for (Operation<Op, Result> op : history) {
      byKey.computeIfAbsent(op.input().key(), k -> new ArrayList<>()).add(op);
    }
    Map<String, List<Operation<Op, Result>>> named = new LinkedHashMap<>();
    for (Map.Entry<String, List<Operation<Op, Result>>> e : byKey.entrySet()) {
      named.put("key=" + e.getKey(), e.getValue());
    }
    return named;
  }
}
