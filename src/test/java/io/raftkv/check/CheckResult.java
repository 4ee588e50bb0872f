package io.raftkv.check;

import java.util.List;

/**
 * What {@link LinearizabilityChecker#check} concluded.
 *
 * @param verdict the answer; {@link Verdict#TIMED_OUT} means "unknown", never "fine"
 * @param partition the name of the failing (or first timed-out) partition, or null
 * @param longestPrefix for a failure, the longest sequence of that partition's operations found
 *     to be linearizable in order (a hint at where things went wrong); empty otherwise
 * @param description a short human-readable summary, suitable for an assertion message
 * @param operations how many operations were checked in total (after dropping unobservable ones)
 * @param elapsedMillis wall-clock time spent checking
 */
public record CheckResult<I, O>(
    Verdict verdict,
    String partition,
    List<Operation<I, O>> longestPrefix,
    String description,
    int operations,
    long elapsedMillis) {

  public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    /** The search ran out of time: the history may or may not be linearizable. */
    TIMED_OUT
  }

  public boolean isLinearizable() {
    return verdict == Verdict.LINEARIZABLE;
  }
}
