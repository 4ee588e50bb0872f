package io.raftkv.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Collects a client history while a test runs: {@link #invoke} when a client sends a request,
 * then exactly one of {@link #ok}, {@link #fail} or {@link #info} when it learns the outcome.
 * Invocations still open when {@link #history} is called count as unknown-outcome operations,
 * which is what they are: the request may yet be applied.
 *
 * <p>Synchronized so a multi-threaded cluster test can share one; a deterministic simulator pays
 * only uncontended locks.
 */
public final class HistoryRecorder<I, O> {

  private static final int OPEN = 0;
  private static final int DONE = 1;
  private static final int DROPPED = 2;

  private final List<Operation<I, O>> ops = new ArrayList<>();
  private final List<Integer> status = new ArrayList<>();

  /** Records an invocation; returns the handle to complete it with. */
  public synchronized int invoke(int clientId, I input, long time) {
    ops.add(Operation.unknown(clientId, input, time));
    status.add(OPEN);
    return ops.size() - 1;
  }

  /** The operation returned {@code output}, which must not be null (wrap "absent" values). */
  public synchronized void ok(int handle, O output, long time) {
    Operation<I, O> op = open(handle);
    ops.set(handle, Operation.completed(op.clientId(), op.input(), output, op.callTime(), time));
    status.set(handle, DONE);
  }

  /** The operation definitely did not take effect: it is left out of the history. */
  public synchronized void fail(int handle) {
    open(handle);
    status.set(handle, DROPPED);
  }

  /** The outcome is unknown (timeout, lost connection): it may take effect at any later time. */
  public synchronized void info(int handle) {
    open(handle);
    status.set(handle, DONE);
  }

  /** The history so far, in invocation order. */
  public synchronized List<Operation<I, O>> history() {
    List<Operation<I, O>> out = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      if (status.get(i) != DROPPED) {
        out.add(ops.get(i));
      }
    }
    return out;
  }

  private Operation<I, O> open(int handle) {
    Objects.checkIndex(handle, ops.size());
    if (status.get(handle) != OPEN) {
      throw new IllegalStateException("operation " + handle + " already completed: " + ops.get(handle));
    }
    return ops.get(handle);
  }
}
