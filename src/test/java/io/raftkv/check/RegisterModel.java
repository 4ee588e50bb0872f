package io.raftkv.check;

import java.util.Objects;

/**
 * The Jepsen compare-and-set register: a single integer cell, initially nil (null).
 *
 * <p>A read returns the current value; a write sets it; {@code cas(expected, new)} that returned
 * ok swapped (so the value was {@code expected} at that instant). A cas that failed did not happen
 * and is not part of the history at all. An unknown-outcome cas may or may not have swapped,
 * depending on the value at the point where it is linearized.
 */
public final class RegisterModel
    implements Model<Integer, RegisterModel.Op, RegisterModel.Result> {

  public sealed interface Op permits Read, Write, Cas {}

  public record Read() implements Op {
    @Override
    public String toString() {
      return "read";
    }
  }

  public record Write(int value) implements Op {
    @Override
    public String toString() {
      return "write(" + value + ")";
    }
  }

  public record Cas(int expected, int newValue) implements Op {
    @Override
    public String toString() {
      return "cas(" + expected + "->" + newValue + ")";
    }
  }

  public sealed interface Result permits ReadResult, Ok {}

  /** What a read returned; {@code value} is null for nil. */
  public record ReadResult(Integer value) implements Result {
    @Override
    public String toString() {
      return value == null ? "nil" : value.toString();
    }
  }

  /** A write was acknowledged, or a cas swapped. */
  public record Ok() implements Result {
    @Override
    public String toString() {
      return "ok";
    }
  }

  public static final Read READ = new Read();
  public static final Ok OK = new Ok();

  @Override
  public Integer init() {
    return null;
  }

  @Override
  public Step<Integer> step(Integer state, Op input, Result output) {
    if (input instanceof Read) {
      if (output == null) {
        return Step.ok(state);
      }
      if (output instanceof ReadResult) {
        ReadResult r = (ReadResult) output;
        return Objects.equals(r.value(), state) ? Step.ok(state) : Step.illegal();
      }
      return Step.illegal();
    }
    if (input instanceof Write) {
      Write w = (Write) input;
      return output == null || output instanceof Ok ? Step.ok(w.value()) : Step.illegal();
    }
    if (input instanceof Cas) {
      Cas c = (Cas) input;
      boolean matches = state != null && state == c.expected();
      if (output == null) {
        // Effect happened, result unseen: it swapped exactly if the value matched.
        return Step.ok(matches ? Integer.valueOf(c.newValue()) : state);
      }
      if (output instanceof Ok) {
        return matches ? Step.ok(c.newValue()) : Step.illegal();
      }
      return Step.illegal();
    }
    throw new IllegalArgumentException("unknown register operation: " + input);
  }

  @Override
  public boolean isReadOnly(Op input) {
    return input instanceof Read;
  }
}
