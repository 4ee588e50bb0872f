package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/**
 * A change to the key-value state, carried as the payload of a COMMAND log entry. Commands are
 * applied by {@link KvApplier} on every node, in log order, exactly once. A command is one log
 * entry, so everything inside it (a whole batch, a whole transaction) is applied atomically.
 */
public sealed interface KvCommand {
  /**
   * One write inside a {@link Batch} or a {@link Txn} branch. Set and Delete double as operations
   * so that a batch of one set means exactly what a plain set means.
   */
  sealed interface Op permits Set, Delete {
    String key();
  }

  record Set(String key, String value) implements KvCommand, Op {
    public Set {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }

  record Delete(String key) implements KvCommand, Op {
    public Delete {
      Objects.requireNonNull(key, "key");
    }
  }

  /** Operations applied in order as one entry: all of them take effect, or (on a crash) none. */
  record Batch(List<Op> ops) implements KvCommand {
    public Batch {
      // An empty batch would be a log entry that does nothing; the HTTP edge refuses it with a
      // clear message, and this keeps any other caller from sneaking one in.
      ops = List.copyOf(ops);
      if (ops.isEmpty()) throw new IllegalArgumentException("a batch needs at least one operation");
    }
  }

  /**
   * A compare-and-write evaluated inside apply: if every condition holds on the state at that
   * point of the log, {@code ifThen} runs, otherwise {@code elseThen}. Evaluating at apply time
   * (never read-then-write at the edge) is what makes it atomic: no other command can run between
   * the check and the writes. {@code returnPrevious} asks for the value each executed operation
   * replaced.
   */
  record Txn(List<Condition> conditions, List<Op> ifThen, List<Op> elseThen, boolean returnPrevious)
      implements KvCommand {
    public Txn {
      conditions = List.copyOf(conditions);
      ifThen = List.copyOf(ifThen);
      elseThen = List.copyOf(elseThen);
    }
  }

  /** Sets {@code key} to {@code value} and reports the value it replaced, in one step. */
  record GetSet(String key, String value) implements KvCommand {
    public GetSet {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }
}
