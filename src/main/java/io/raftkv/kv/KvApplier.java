package io.raftkv.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * The pure apply logic of the key-value state machine, shared by RocksDB and in-memory stores.
 * Everything a command reads it reads from {@code view}, which already holds the writes of
 * earlier commands of the same apply batch, so a transaction's conditions see exactly the state
 * the log order defines.
 */
public final class KvApplier {
  private KvApplier() {}

  /** Applies a command and reports everything it produced, as for a client that waits for it. */
  public static KvResult apply(KvCommand command, KvWriteView view) {
    return apply(command, view, true);
  }

  /**
   * Applies a command. With {@code wantResult} false nobody waits for the result on this node
   * (a follower, or a leader whose client already gave up), so the values a result would report
   * (a set's or getset's previous value, a transaction's {@code prev_values}) are neither read
   * nor built, and {@link KvResult#NONE} is returned; the writes are exactly the same either way,
   * so every replica still ends in the same state.
   */
  public static KvResult apply(KvCommand command, KvWriteView view, boolean wantResult) {
    if (command instanceof KvCommand.Set s) {
      String previous = applyOp(s, view, wantResult);
      return wantResult ? new KvResult.Applied(previous) : KvResult.NONE;
    }
    if (command instanceof KvCommand.Delete d) {
      String previous = applyOp(d, view, wantResult);
      return wantResult ? new KvResult.Applied(previous) : KvResult.NONE;
    }
    if (command instanceof KvCommand.Batch b) {
      for (KvCommand.Op op : b.ops()) applyOp(op, view, false);
      return wantResult ? new KvResult.BatchApplied(b.ops().size()) : KvResult.NONE;
    }
    if (command instanceof KvCommand.Txn t) {
      return applyTxn(t, view, wantResult);
    }
    if (command instanceof KvCommand.GetSet g) {
      String previous = wantResult ? view.get(g.key()) : null;
      view.put(g.key(), g.value());
      return wantResult ? new KvResult.GetSetApplied(previous) : KvResult.NONE;
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  private static KvResult applyTxn(KvCommand.Txn t, KvWriteView view, boolean wantResult) {
    boolean branch = true;
    for (Condition c : t.conditions()) {
      if (!c.holds(view.get(c.key()))) {
        branch = false;
        break;
      }
    }
    List<KvCommand.Op> ops = branch ? t.ifThen() : t.elseThen();
    boolean collect = wantResult && t.returnPrevious();
    List<String> previous = collect ? new ArrayList<>(ops.size()) : null;
    for (KvCommand.Op op : ops) {
      String before = applyOp(op, view, collect);
      if (previous != null) previous.add(before);
    }
    return wantResult ? new KvResult.TxnApplied(branch, previous) : KvResult.NONE;
  }

  /**
   * Applies one operation and returns the value it replaced (null when the key was absent), or
   * null without reading it when {@code wantPrevious} is false and the operation does not need
   * it. A delete always reads: deleting an absent key writes nothing (no tombstone for a key that
   * never existed), and that must not depend on whether anyone asked for the previous value.
   */
  private static String applyOp(KvCommand.Op op, KvWriteView view, boolean wantPrevious) {
    if (op instanceof KvCommand.Set s) {
      String previous = wantPrevious ? view.get(s.key()) : null;
      view.put(s.key(), s.value());
      return previous;
    }
    if (op instanceof KvCommand.Delete) {
      String previous = view.get(op.key());
      if (previous != null) view.delete(op.key());
      return previous;
    }
    throw new IllegalArgumentException("unknown operation " + op);
  }
}
