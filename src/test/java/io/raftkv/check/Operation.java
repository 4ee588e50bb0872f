package io.raftkv.check;

import java.util.Objects;

/**
 * One client operation as observed from outside the system: what was asked, what came back, and
 * the interval (call, return) in which it must have taken effect.
 *
 * <p>An operation whose outcome is unknown (the client timed out; Jepsen {@code :info}) has
 * {@code returnTime == UNKNOWN_RETURN} and a null output: it may have taken effect at any point
 * after its call, or never. A completed operation always has a non-null output, so that "null"
 * can unambiguously mean "not observed" when it reaches {@link Model#step}; models whose natural
 * result can be absent (a get of a missing key) wrap it in a result object.
 *
 * <p>An operation that definitely did not happen (Jepsen {@code :fail}) must not be recorded.
 *
 * @param clientId who issued it; only used in reports (a client's ops never overlap in practice,
 *     but the checker relies on times alone)
 * @param callTime when it was invoked (virtual or logical time)
 * @param returnTime when its response arrived, or {@link #UNKNOWN_RETURN}
 */
public record Operation<I, O>(int clientId, I input, O output, long callTime, long returnTime) {

  /** Return time of an operation whose outcome is unknown: "still in flight forever". */
  public static final long UNKNOWN_RETURN = Long.MAX_VALUE;

  public Operation {
    Objects.requireNonNull(input, "input");
    if (returnTime == UNKNOWN_RETURN) {
      if (output != null) {
        throw new IllegalArgumentException("an operation with unknown outcome has no output");
      }
    } else {
      Objects.requireNonNull(output, "a completed operation needs an observed (non-null) output");
      if (returnTime < callTime) {
        throw new IllegalArgumentException(
            "return time " + returnTime + " precedes call time " + callTime);
      }
    }
  }

  /** An operation that returned {@code output} at {@code returnTime}. */
  public static <I, O> Operation<I, O> completed(
      int clientId, I input, O output, long callTime, long returnTime) {
    return new Operation<>(clientId, input, output, callTime, returnTime);
  }

  /** An operation whose outcome is unknown: it may take effect any time after the call, or never. */
  public static <I, O> Operation<I, O> unknown(int clientId, I input, long callTime) {
    return new Operation<>(clientId, input, null, callTime, UNKNOWN_RETURN);
  }

  public boolean outcomeUnknown() {
    return returnTime == UNKNOWN_RETURN;
  }

  @Override
  public String toString() {
    String end = outcomeUnknown() ? "?)" : returnTime + "]";
    String out = outcomeUnknown() ? "?" : String.valueOf(output);
    return "client " + clientId + " " + input + " -> " + out + " @[" + callTime + ", " + end;
  }
}
