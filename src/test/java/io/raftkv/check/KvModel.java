package io.raftkv.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A string key-value store: get, set, delete and compare-and-set on one key, and atomic batches of
 * sets and deletes over several keys.
 *
 * <p>The state is an immutable map of present keys. {@link #partition} splits a history into
 * connected components of keys rather than into single keys: a batch must be seen all-or-nothing
 * by the readers of any of its keys, and checking its keys apart would let a reader of one key see
 * the batch while a later reader of another key does not. So every key a batch touches is searched
 * together with the others, and transitively with the keys of any batch sharing one of them. The
 * workload keeps components small by batching only within fixed key groups, so each search still
 * sees maps of a few entries and copying on write stays cheap.
 *
 * <p>Outputs are objects even when the natural result is "absent" (a get of a missing key is
 * {@code Value(null)}), because a null output means "not observed".
 */
public final class KvModel implements Model<Map<String, String>, KvModel.Op, KvModel.Result> {

  public sealed interface Op permits SingleKey, Batch {
    /** Every key the operation reads or writes; {@link #partition} links them together. */
    List<String> keys();
  }

  /** An operation on exactly one key. */
  public sealed interface SingleKey extends Op permits Get, Set, Delete, Cas {
    String key();

    @Override
    default List<String> keys() {
      return List.of(key());
    }
  }

  public record Get(String key) implements SingleKey {
    public Get {
      Objects.requireNonNull(key, "key");
    }

    @Override
    public String toString() {
      return "get(" + key + ")";
    }
  }

  public record Set(String key, String value) implements SingleKey {
    public Set {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value (use Delete to remove a key)");
    }

    @Override
    public String toString() {
      return "set(" + key + ", " + value + ")";
    }
  }

  public record Delete(String key) implements SingleKey {
    public Delete {
      Objects.requireNonNull(key, "key");
    }

    @Override
    public String toString() {
      return "delete(" + key + ")";
    }
  }

  /** Sets {@code key} to {@code newValue} iff its value equals {@code expected} (null: absent). */
  public record Cas(String key, String expected, String newValue) implements SingleKey {
    public Cas {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(newValue, "newValue");
    }

    @Override
    public String toString() {
      return "cas(" + key + ", " + expected + " -> " + newValue + ")";
    }
  }

  /**
   * Sets and deletes applied atomically, in order, as one log entry: a later write to the same key
   * wins. Acknowledged with {@link #OK}; the values it replaced are not observed.
   */
  public record Batch(List<Op> writes) implements Op {
    public Batch {
      Objects.requireNonNull(writes, "writes");
      if (writes.isEmpty()) {
        throw new IllegalArgumentException("a batch needs at least one write");
      }
      for (Op w : writes) {
        if (!(w instanceof Set) && !(w instanceof Delete)) {
          throw new IllegalArgumentException("a batch holds only sets and deletes, not " + w);
        }
      }
      writes = List.copyOf(writes);
    }

    @Override
    public List<String> keys() {
      return writes.stream().flatMap(w -> w.keys().stream()).distinct().toList();
    }

    @Override
    public String toString() {
      return "batch" + writes;
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
    if (input instanceof Batch) {
      // Only a bare acknowledgement is defined for a batch: it reports no replaced values.
      return output == null || output instanceof Ok
          ? Step.ok(with(state, ((Batch) input).writes()))
          : Step.illegal();
    }
    String current = state.get(((SingleKey) input).key());
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
          ? Step.ok(with(state, ((Delete) input).key(), null))
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

  /** The state after {@code writes} (sets and deletes) in order, copied at most once. */
  private static Map<String, String> with(Map<String, String> state, List<Op> writes) {
    Map<String, String> copy = null;
    for (Op w : writes) {
      String key = ((SingleKey) w).key();
      String value = w instanceof Set ? ((Set) w).value() : null;
      Map<String, String> current = copy == null ? state : copy;
      if (Objects.equals(current.get(key), value)) {
        continue;
      }
      if (copy == null) {
        copy = new HashMap<>(state);
      }
      if (value == null) {
        copy.remove(key);
      } else {
        copy.put(key, value);
      }
    }
    return copy == null ? state : Map.copyOf(copy);
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

  /**
   * One partition per connected component of keys, where an operation links every key it touches
   * (see the class comment for why). A component of one key is named {@code key=<key>}, a larger
   * one {@code keys=<k1,k2,...>} with its keys sorted; parts come in order of their smallest key,
   * and each keeps its operations in history order, so reports are deterministic.
   */
  @Override
  public Map<String, List<Operation<Op, Result>>> partition(List<Operation<Op, Result>> history) {
    KeyComponents components = new KeyComponents();
    for (Operation<Op, Result> op : history) {
      components.link(op.input().keys());
    }
    Map<String, List<Operation<Op, Result>>> byRoot = new HashMap<>();
    for (Operation<Op, Result> op : history) {
      String root = components.find(op.input().keys().get(0));
      byRoot.computeIfAbsent(root, r -> new ArrayList<>()).add(op);
    }
    Map<String, List<Operation<Op, Result>>> named = new LinkedHashMap<>();
    for (TreeSet<String> keys : components.bySmallestKey()) {
      String name = keys.size() == 1 ? "key=" + keys.first() : "keys=" + String.join(",", keys);
      named.put(name, byRoot.get(components.find(keys.first())));
    }
    return named;
  }
}
