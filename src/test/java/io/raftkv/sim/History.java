package io.raftkv.sim;

import io.raftkv.sim.ClientMessages.ClientOp;
import java.util.ArrayList;
import java.util.List;

/** Every client invocation and completion of one run, in invocation order. */
final class History {
  private final Simulation sim;
  private final ArrayList<HistoryOp> ops = new ArrayList<>();

  History(Simulation sim) {
    this.sim = sim;
  }

  HistoryOp invoke(int clientId, ClientOp input) {
    HistoryOp op = new HistoryOp(ops.size() + 1, clientId, input, sim.now());
    ops.add(op);
    return op;
  }

  void complete(HistoryOp op, String output) {
    op.outcome = HistoryOp.Outcome.OK;
    op.output = output;
    op.returnTime = sim.now();
  }

  void unknown(HistoryOp op) {
    op.outcome = HistoryOp.Outcome.UNKNOWN;
  }

  List<HistoryOp> ops() {
    return ops;
  }

  int size() {
    return ops.size();
  }

  long count(HistoryOp.Outcome outcome) {
    long n = 0;
    for (HistoryOp op : ops) if (op.outcome == outcome) n++;
    return n;
  }
}
