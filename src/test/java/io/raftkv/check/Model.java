package io.raftkv.check;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sequential specification: the behaviour a linearizable system must be indistinguishable from.
 *
 * <p>States must be treated as immutable values: the checker keeps old states to undo steps and
 * memoizes (linearized-set, state) pairs, so {@link #step} must return a new state rather than
 * mutate its argument. States may be null if {@link #stateEquals}/{@link #stateHash} allow it (the
 * defaults do).
 *
 * @param <S> state
 * @param <I> operation input
 * @param <O> operation output
 */
public interface Model<S, I, O> {

  /** The state before any operation. */
  S init();

  /**
   * Applies {@code input} to {@code state}. If {@code output} is non-null it is what the client
   * observed, and the step is legal only if the specification could have produced it. If it is
   * null the operation's outcome is unknown: the step means "the effect happened, its output went
   * unobserved" and must accept whatever the specification would have returned.
   */
  Step<S> step(S state, I input, O output);

  /**
   * Whether {@code input} never changes the state. An unknown-outcome operation that is read-only
   * can neither be observed nor affect anything, so the checker drops it instead of searching over
   * where to place it. Returning false is always safe.
   */
  default boolean isReadOnly(I input) {
    return false;
  }

  default boolean stateEquals(S a, S b) {
    return Objects.equals(a, b);
  }

  default int stateHash(S state) {
    return Objects.hashCode(state);
  }

  /**
   * Splits a history into independent sub-histories (P-compositionality: a history is
   * linearizable iff every part is, when the parts touch disjoint state, e.g. distinct keys). Keys
   * of the map name the parts in reports; iteration order should be deterministic. The default
   * keeps the history whole.
   */
  default Map<String, List<Operation<I, O>>> partition(List<Operation<I, O>> history) {
    return Map.of("all", history);
  }

  /**
   * The outcome of one step: whether it was legal and, if so, the state after it.
   *
   * @param ok whether the specification allows this input/output in this state
   * @param state the state after the step; meaningless when {@code ok} is false
   */
  record Step<S>(boolean ok, S state) {
    private static final Step<Object> ILLEGAL = new Step<>(false, null);

    public static <S> Step<S> ok(S next) {
      return new Step<>(true, next);
    }

    @SuppressWarnings("unchecked")
    public static <S> Step<S> illegal() {
      // One shared instance: illegal steps are the common case during search.
      return (Step<S>) ILLEGAL;
    }
  }
}
