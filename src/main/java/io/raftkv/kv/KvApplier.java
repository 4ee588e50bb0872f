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

  public static KvResult apply(KvCommand command, KvWriteView view) {
    if (command instanceof KvCommand.Set s) {
      return new KvResult.Applied(applyOp(s, view));
    }
    if (command instanceof KvCommand.Delete d) {
      return new KvResult.Applied(applyOp(d, view));
    }
    if (command instanceof KvCommand.Batch b) {
      for (KvCommand.Op op : b.ops()) applyOp(op, view);
      return new KvResult.BatchApplied(b.ops().size());
    }
    if (command instanceof KvCommand.Txn t) {
      return applyTxn(t, view);
    }
    if (command instanceof KvCommand.GetSet g) {
      String previous = view.get(g.key());
      view.put(g.key(), g.value());
      return new KvResult.GetSetApplied(previous);
    }
    throw new IllegalArgumentException("unknown command " + command);
  }

  private static KvResult applyTxn(KvCommand.Txn t, KvWriteView view) {
    boolean branch = true;
    for (Condition c : t.conditions()) {
      if (!c.holds(view.get(c.key()))) {
        branch = false;
        break;
      }
    }
    List<KvCommand.Op> ops = branch ? t.ifThen() : t.elseThen();
    List<String> previous = t.returnPrevious() ? new ArrayList<>(ops.size()) : null;
    for (KvCommand.Op op : ops) {
      String before = applyOp(op, view);
      if (previous != null) previous.add(before);
    }
    return new KvResult.TxnApplied(branch, previous);
  }

  /** Applies one operation and returns the value it replaced (null when the key was absent). */
  private static String applyOp(KvCommand.Op op, KvWriteView view) {
    String previous = view.get(op.key());
    if (op instanceof KvCommand.Set s) {
      view.put(s.key(), s.value());
    } else if (op instanceof KvCommand.Delete) {
      // Deleting an absent key writes nothing: no tombstone for a key that never existed.
      if (previous != null) view.delete(op.key());
    } else {
      throw new IllegalArgumentException("unknown operation " + op);
    }
    return previous;
  }
}
