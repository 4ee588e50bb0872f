package io.raftkv.sim;

import io.raftkv.check.CheckResult;
import io.raftkv.check.KvModel;
import io.raftkv.check.LinearizabilityChecker;
import io.raftkv.check.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Feeds a simulation's neutral history to the shared Wing-Gong/Lowe checker with the KV model. */
final class LinearizabilityAdapter {
  private LinearizabilityAdapter() {}

  static List<Operation<KvModel.Op, KvModel.Result>> toOperations(History history) {
    TreeSet<String> observed = new TreeSet<>();
    for (HistoryOp op : history.ops()) {
      if (op.outcome == HistoryOp.Outcome.OK && op.output != null) observed.add(op.output);
    }
    List<Operation<KvModel.Op, KvModel.Result>> out = new ArrayList<>();
    for (HistoryOp op : history.ops()) {
      // A definite failure had no effect; the checker's contract is to leave it out.
      if (op.outcome == HistoryOp.Outcome.FAILED) continue;
      // An unknown-outcome set whose (unique) value nobody ever observed can be left out without
      // changing the verdict. Every completed operation reports the value it found (gets, and
      // writes through Previous), so in any linearization that includes the set, the next
      // completed operation on its key comes only after some unknown write has overwritten it;
      // removing the set then changes no observation. And leaving an unknown operation out is
      // always allowed. Keeping such sets only makes the search exponential in their number.
      // (This relies on the workload having only set, delete and get; a cas would break it.)
      if (op.outcome != HistoryOp.Outcome.OK && op.input.kind().equals("set") && !observed.contains(op.input.value())) {
        continue;
      }
      KvModel.Op input;
      KvModel.Result output;
      if (op.input.kind().equals("set")) {
        input = new KvModel.Set(op.input.key(), op.input.value());
        output = new KvModel.Previous(op.output); // the replaced value: a stronger observation than Ok
      } else if (op.input.kind().equals("delete")) {
        input = new KvModel.Delete(op.input.key());
        output = new KvModel.Previous(op.output);
      } else {
        input = new KvModel.Get(op.input.key());
        output = new KvModel.Value(op.output);
      }
      if (op.outcome == HistoryOp.Outcome.OK) {
        out.add(Operation.completed(op.clientId, input, output, op.callTime, op.returnTime));
      } else {
        out.add(Operation.unknown(op.clientId, input, op.callTime));
      }
    }
    return out;
  }

  static CheckResult<KvModel.Op, KvModel.Result> check(History history, long timeoutMillis) {
    return LinearizabilityChecker.check(new KvModel(), toOperations(history), timeoutMillis);
  }
}
