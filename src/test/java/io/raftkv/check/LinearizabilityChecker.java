package io.raftkv.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a concurrent history is linearizable with respect to a sequential {@link Model}.
 *
 * <p>The search is the one of Wing &amp; Gong as improved by Lowe ("Testing for linearizability",
 * 2017) and used by Porcupine: the history becomes a doubly linked list of call and return events
 * in time order. Walking from the head, a call event is a candidate to linearize next: if the model
 * accepts it, its call and return events are unlinked ("lifted") and the walk restarts at the head.
 * Meeting a return event means that operation should already have taken effect, so the most recent
 * choice is undone (the events are relinked in place) and the walk continues after it. A cache of
 * (set of linearized operations, model state) pairs prunes configurations already explored: from
 * the same set and state the rest of the search is identical.
 *
 * <p>Unknown-outcome operations get a call event but no return event: nothing ever forces them to
 * be linearized, which is exactly "took effect any time after the call, or never". If the walk
 * runs off the end of the list, every remaining event is such a call, and leaving those operations
 * out is a valid linearization.
 *
 * <p>Unknown-outcome operations also widen the cache's reach. They never constrain the order, so a
 * configuration that has linearized a superset of the unknown operations of an explored one, with
 * the same completed operations and state, has only fewer options and cannot succeed where the
 * explored one did not; the cache treats it as seen. Without this, every subset of the timed-out
 * operations is a distinct configuration, and a few dozen of them make the search explode.
 *
 * <p>Events at equal times are ordered calls first, so operations that merely touch are treated as
 * concurrent: with coarse (virtual) clocks this can only hide a violation, never invent one.
 *
 * <p>The history is first split by {@link Model#partition}; each part is searched on its own.
 */
public final class LinearizabilityChecker {

  /**
   * How many search steps between deadline checks: nanoTime is cheap but not free, and one step
   * can be slow (a cache bucket full of configurations that differ only in unknown operations).
   */
  private static final int DEADLINE_CHECK_INTERVAL = 1 << 8;

  /** How many operations of the longest prefix to show in a description. */
  private static final int PREFIX_TAIL_SHOWN = 4;

  private LinearizabilityChecker() {}

  /** Checks without a time limit. */
  public static <S, I, O> CheckResult<I, O> check(
      Model<S, I, O> model, List<Operation<I, O>> history) {
    return check(model, history, 0);
  }

  /**
   * Checks {@code history} against {@code model}.
   *
   * @param timeoutMillis a wall-clock budget for the whole check; zero or negative means none. On
   *     expiry the verdict is {@link CheckResult.Verdict#TIMED_OUT} unless some partition was
   *     already proven not linearizable.
   */
  public static <S, I, O> CheckResult<I, O> check(
      Model<S, I, O> model, List<Operation<I, O>> history, long timeoutMillis) {
    return check(model, history, timeoutMillis, 0);
  }

  /**
   * Checks {@code history} against {@code model}, giving each partition at most
   * {@code partitionMillis} (zero or negative: no limit of its own), so that one hard partition
   * cannot use up the whole budget before the others are searched; the verdict then names how
   * many partitions timed out.
   */
  public static <S, I, O> CheckResult<I, O> check(
      Model<S, I, O> model, List<Operation<I, O>> history, long timeoutMillis, long partitionMillis) {
    long start = System.nanoTime();
    long deadline = timeoutMillis > 0 ? start + timeoutMillis * 1_000_000L : Long.MAX_VALUE;
    int total = 0;
    String timedOut = null;
    int timedOutParts = 0;
    Map<String, List<Operation<I, O>>> parts = model.partition(history);
    for (Map.Entry<String, List<Operation<I, O>>> part : parts.entrySet()) {
      List<Operation<I, O>> ops = observable(model, part.getValue());
      total += ops.size();
      long partDeadline = partitionMillis > 0
          ? Math.min(deadline, System.nanoTime() + partitionMillis * 1_000_000L)
          : deadline;
      Search<S, I, O> search = new Search<>(model, ops, partDeadline);
      Outcome outcome = search.run();
      if (outcome == Outcome.NOT_LINEARIZABLE) {
        // One bad partition decides the whole history; the others cannot repair it.
        long ms = elapsedMillis(start);
        return new CheckResult<>(
            CheckResult.Verdict.NOT_LINEARIZABLE,
            part.getKey(),
            search.longestPrefix(),
            search.describeFailure(part.getKey()),
            total,
            ms);
      }
      if (outcome == Outcome.TIMED_OUT) {
        // Keep going: a later small partition may still prove a violation within a few steps.
        if (timedOut == null) timedOut = part.getKey() + " (" + ops.size() + " operations)";
        timedOutParts++;
      }
    }
    long ms = elapsedMillis(start);
    if (timedOut != null) {
      return new CheckResult<>(
          CheckResult.Verdict.TIMED_OUT,
          timedOut,
          List.of(),
          "timed out on " + timedOutParts + " of " + parts.size() + " partitions after " + ms
              + " ms, first on '" + timedOut + "': verdict unknown",
          total,
          ms);
    }
    return new CheckResult<>(
        CheckResult.Verdict.LINEARIZABLE, null, List.of(), "linearizable", total, ms);
  }

  private static long elapsedMillis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000L;
  }

  /** Drops unknown-outcome read-only operations: they can neither be seen nor change anything. */
  private static <S, I, O> List<Operation<I, O>> observable(
      Model<S, I, O> model, List<Operation<I, O>> ops) {
    List<Operation<I, O>> kept = new ArrayList<>(ops.size());
    for (Operation<I, O> op : ops) {
      if (!(op.outcomeUnknown() && model.isReadOnly(op.input()))) {
        kept.add(op);
      }
    }
    return kept;
  }

  private enum Outcome {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    TIMED_OUT
  }

  /** The search over one partition. Mutable, single use. */
  private static final class Search<S, I, O> {
    private static final int END = -1;

    private final Model<S, I, O> model;
    private final List<Operation<I, O>> ops;
    private final long deadline;

    // Events, in time order, as parallel arrays (cheaper than an object per event).
    private final int[] eventOp; // operation index of each event
    private final boolean[] isCall;
    private final int[] returnOf; // for a call event: its return event, or END if outcome unknown
    // The doubly linked list of not-yet-linearized events; index `head` is a sentinel.
    private final int head;
    private final int[] next;
    private final int[] prev;

    private final boolean[] unknown; // per operation: outcome unknown
    private final LinearizedSet linearized;
    private final StateCache<S> cache;

    // Undo stack: the call event lifted at each depth and the state before it.
    private final int[] stackEvent;
    private final Object[] stackState;
    private final boolean[] stackLazy; // the pass in which each lifted call was chosen
    private int depth;

    // Failure diagnostics: deepest configuration from which the search had to back out.
    private int[] bestPrefix = new int[0];
    private int blockingOp = -1;

    Search(Model<S, I, O> model, List<Operation<I, O>> ops, long deadline) {
      this.model = model;
      this.ops = ops;
      this.deadline = deadline;
      int n = ops.size();

      // Sort keys: (time, calls before returns, operation index) make the order total and stable.
      List<long[]> events = new ArrayList<>(2 * n);
      for (int i = 0; i < n; i++) {
        Operation<I, O> op = ops.get(i);
        events.add(new long[] {op.callTime(), 0, i});
        if (!op.outcomeUnknown()) {
          events.add(new long[] {op.returnTime(), 1, i});
        }
      }
      events.sort(
          (a, b) -> {
            int c = Long.compare(a[0], b[0]);
            if (c != 0) return c;
            c = Long.compare(a[1], b[1]);
            return c != 0 ? c : Long.compare(a[2], b[2]);
          });

      int m = events.size();
      eventOp = new int[m];
      isCall = new boolean[m];
      returnOf = new int[m];
      int[] callEventOf = new int[n];
      for (int e = 0; e < m; e++) {
        long[] ev = events.get(e);
        int op = (int) ev[2];
        eventOp[e] = op;
        isCall[e] = ev[1] == 0;
        returnOf[e] = END;
        if (isCall[e]) {
          callEventOf[op] = e;
        } else {
          returnOf[callEventOf[op]] = e;
        }
      }

      head = m;
      next = new int[m + 1];
      prev = new int[m + 1];
      int last = head;
      for (int e = 0; e < m; e++) {
        next[last] = e;
        prev[e] = last;
        last = e;
      }
      next[last] = END;

      boolean[] unknown = new boolean[n];
      for (int i = 0; i < n; i++) {
        unknown[i] = ops.get(i).outcomeUnknown();
      }
      this.unknown = unknown;
      linearized = new LinearizedSet(unknown);
      cache = new StateCache<>(model);
      stackEvent = new int[n];
      stackState = new Object[n];
      stackLazy = new boolean[n];
    }

    @SuppressWarnings("unchecked")
    Outcome run() {
      S state = model.init();
      // The start counts as explored too, so that reaching it again via no-op unknown operations
      // is recognised as going nowhere new.
      cache.addIfAbsent(linearized, state);
      int cur = next[head];
      // Each configuration is scanned in two passes: completed operations first, then (only when
      // those ran into a return event) unknown-outcome ones. Same candidates, same completeness;
      // but a timed-out write is applied only once nothing else fits, instead of eagerly because
      // its call came early, which otherwise sends the search down long wrong paths.
      boolean lazyPass = false;
      int sinceDeadlineCheck = 0;
      while (true) {
        if (++sinceDeadlineCheck == DEADLINE_CHECK_INTERVAL) {
          sinceDeadlineCheck = 0;
          if (System.nanoTime() > deadline) {
            return Outcome.TIMED_OUT;
          }
        }
        if (cur == END) {
          // Only calls of unknown-outcome operations remain: leaving them out is legitimate.
          return Outcome.LINEARIZABLE;
        }
        if (isCall[cur]) {
          int op = eventOp[cur];
          if (unknown[op] != lazyPass) {
            cur = next[cur]; // belongs to the other pass
            continue;
          }
          Operation<I, O> operation = ops.get(op);
          Model.Step<S> step = model.step(state, operation.input(), operation.output());
          if (step.ok()) {
            linearized.set(op);
            if (cache.addIfAbsent(linearized, step.state())) {
              stackEvent[depth] = cur;
              stackState[depth] = state;
              stackLazy[depth] = lazyPass;
              depth++;
              state = step.state();
              lift(cur);
              lazyPass = false;
              cur = next[head];
              continue;
            }
            // Seen this (set, state) before and it led nowhere: not worth exploring again.
            linearized.clear(op);
          }
          cur = next[cur];
        } else {
          if (!lazyPass) {
            // Completed candidates are exhausted here; now try the unknown-outcome ones.
            lazyPass = true;
            cur = next[head];
            continue;
          }
          // A return event: its operation should have been linearized by now. Undo the last choice.
          if (depth > bestPrefix.length || blockingOp < 0) {
            recordFailurePoint(eventOp[cur]);
          }
          if (depth == 0) {
            return Outcome.NOT_LINEARIZABLE;
          }
          depth--;
          int call = stackEvent[depth];
          state = (S) stackState[depth];
          stackState[depth] = null;
          lazyPass = stackLazy[depth];
          linearized.clear(eventOp[call]);
          unlift(call);
          cur = next[call];
        }
      }
    }

    private void recordFailurePoint(int blockedOp) {
      bestPrefix = new int[depth];
      for (int d = 0; d < depth; d++) {
        bestPrefix[d] = eventOp[stackEvent[d]];
      }
      blockingOp = blockedOp;
    }

    /** Unlinks a call event and its return event (if any). */
    private void lift(int call) {
      unlink(call);
      int ret = returnOf[call];
      if (ret != END) {
        unlink(ret);
      }
    }

    /** Relinks in the reverse order of {@link #lift}, so the stale pointers are still valid. */
    private void unlift(int call) {
      int ret = returnOf[call];
      if (ret != END) {
        relink(ret);
      }
      relink(call);
    }

    private void unlink(int e) {
      next[prev[e]] = next[e];
      if (next[e] != END) {
        prev[next[e]] = prev[e];
      }
    }

    private void relink(int e) {
      next[prev[e]] = e;
      if (next[e] != END) {
        prev[next[e]] = e;
      }
    }

    List<Operation<I, O>> longestPrefix() {
      List<Operation<I, O>> prefix = new ArrayList<>(bestPrefix.length);
      for (int op : bestPrefix) {
        prefix.add(ops.get(op));
      }
      return List.copyOf(prefix);
    }

    String describeFailure(String partition) {
      StringBuilder sb = new StringBuilder();
      sb.append("partition '")
          .append(partition)
          .append("' is not linearizable (")
          .append(ops.size())
          .append(" ops); longest linearizable prefix: ")
          .append(bestPrefix.length)
          .append(" ops");
      if (bestPrefix.length > 0) {
        sb.append(", ending with [");
        int from = Math.max(0, bestPrefix.length - PREFIX_TAIL_SHOWN);
        if (from > 0) {
          sb.append("..., ");
        }
        for (int i = from; i < bestPrefix.length; i++) {
          if (i > from) sb.append(", ");
          sb.append(ops.get(bestPrefix[i]));
        }
        sb.append(']');
      }
      if (blockingOp >= 0) {
        sb.append("; after it, no order fits before this op returned: ").append(ops.get(blockingOp));
      }
      return sb.toString();
    }
  }

  /**
   * The set of linearized operations as a bitset, with a hash maintained incrementally (XOR of a
   * per-element hash) so cache lookups never rehash thousands of bits.
   */
  static final class LinearizedSet {
    final long[] words;
    /** Which operations have an unknown outcome; those take no part in the hash. */
    final long[] unknownMask;
    /** Hash of the completed (known-outcome) operations in the set. */
    long hash;

    LinearizedSet(boolean[] unknown) {
      words = new long[(unknown.length + 63) >>> 6];
      unknownMask = new long[words.length];
      for (int i = 0; i < unknown.length; i++) {
        if (unknown[i]) {
          unknownMask[i >>> 6] |= 1L << i;
        }
      }
    }

    void set(int i) {
      words[i >>> 6] |= 1L << i;
      if (!isUnknown(i)) {
        hash ^= elementHash(i);
      }
    }

    void clear(int i) {
      words[i >>> 6] &= ~(1L << i);
      if (!isUnknown(i)) {
        hash ^= elementHash(i);
      }
    }

    private boolean isUnknown(int i) {
      return (unknownMask[i >>> 6] & (1L << i)) != 0;
    }

    /**
     * Whether {@code explored} (a snapshot of this set's words) has the same completed operations
     * and a subset of the unknown ones: then the live configuration is no better than it.
     */
    boolean dominatedBy(long[] explored) {
      for (int w = 0; w < words.length; w++) {
        long diff = explored[w] ^ words[w];
        // Completed ops must match exactly; unknown ones may only be extra here, not there.
        if ((diff & ~unknownMask[w]) != 0 || (diff & explored[w]) != 0) {
          return false;
        }
      }
      return true;
    }

    /** A well-mixed 64-bit value per index (SplitMix64 finalizer), so XORs rarely collide. */
    private static long elementHash(int i) {
      long z = (i + 1) * 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }

  /**
   * A set of explored (linearized set, state) pairs, answering "is the live configuration dominated
   * by an explored one" (see {@link LinearizedSet#dominatedBy}); with no unknown-outcome operations
   * that is plain equality. Hand-rolled so that a lookup compares the live bitset in place and only
   * a miss pays for copying it. Pairs are hashed by completed operations and state only, so all
   * candidates for domination share a bucket.
   */
  static final class StateCache<S> {
    private final Model<S, ?, ?> model;
    private Node<S>[] table;
    private int size;

    @SuppressWarnings("unchecked")
    StateCache(Model<S, ?, ?> model) {
      this.model = model;
      this.table = (Node<S>[]) new Node<?>[1 << 10];
    }

    /** Adds the pair unless it is dominated by one already present; returns whether it was added. */
    boolean addIfAbsent(LinearizedSet set, S state) {
      int stateHash = model.stateHash(state);
      int h = mix(set.hash, stateHash);
      int idx = h & (table.length - 1);
      for (Node<S> n = table[idx]; n != null; n = n.next) {
        if (n.hash == h
            && n.setHash == set.hash
            && set.dominatedBy(n.words)
            && model.stateEquals(n.state, state)) {
          return false;
        }
      }
      table[idx] = new Node<>(h, set.hash, set.words.clone(), state, table[idx]);
      if (++size > table.length - (table.length >>> 2)) {
        grow();
      }
      return true;
    }

    private static int mix(long setHash, int stateHash) {
      long z = setHash ^ (stateHash * 0x9E3779B97F4A7C15L);
      z = (z ^ (z >>> 32)) * 0xD6E8FEB86659FD93L;
      return (int) (z ^ (z >>> 32));
    }

    @SuppressWarnings("unchecked")
    private void grow() {
      Node<S>[] old = table;
      table = (Node<S>[]) new Node<?>[old.length << 1];
      for (Node<S> n : old) {
        while (n != null) {
          Node<S> following = n.next;
          int idx = n.hash & (table.length - 1);
          n.next = table[idx];
          table[idx] = n;
          n = following;
        }
      }
    }

    private static final class Node<S> {
      final int hash;
      final long setHash;
      final long[] words;
      final S state;
      Node<S> next;

      Node(int hash, long setHash, long[] words, S state, Node<S> next) {
        this.hash = hash;
        this.setHash = setHash;
        this.words = words;
        this.state = state;
        this.next = next;
      }
    }
  }
}
