package io.raftkv.storage;

import io.raftkv.kv.KvApplier;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvWriteView;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The apply rules both state machine stores share: skip what was applied already, insist on
 * contiguity for the rest, and run commands through {@link KvApplier} in log order. Keeping this
 * in one place means the in-memory twin cannot drift from the RocksDB store.
 */
final class ApplyLoop {
  /**
   * What an apply produced: one result per entry, the applied position afterwards, and the
   * membership of the last CONFIG entry applied (null when the batch applied none), which the
   * store records with the applied index so that a snapshot knows the configuration it holds.
   */
  record Outcome(
      List<KvResult> results, long appliedIndex, long appliedTerm, boolean advanced, Membership membership) {}

  private ApplyLoop() {}

  /**
   * Validates and decodes every entry before touching {@code view}, so a bad batch throws
   * without leaving half of its writes behind.
   */
  static Outcome run(
      List<LogEntry> entries, long appliedIndex, long appliedTerm, KvWriteView view, LongPredicate resultWanted) {
    KvCommand[] commands = new KvCommand[entries.size()];
    boolean[] skipped = new boolean[entries.size()];
    Membership membership = null;
    long next = appliedIndex + 1;
    boolean started = false;
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      // Replays after a restart may start below the applied index; those entries already took
      // effect and must not be applied a second time.
      if (!started && e.index() <= appliedIndex) {
        skipped[i] = true;
        continue;
      }
      if (e.index() != next) {
        throw new IllegalStateException(
            "entries must be applied in order: expected index " + next + ", got " + e.index());
      }
      started = true;
      next++;
      if (e.kind() == LogEntry.Kind.COMMAND) commands[i] = KvCommandCodec.decode(e.data());
      // Decoded here, before any write, so a corrupt configuration fails the whole batch.
      if (e.kind() == LogEntry.Kind.CONFIG) membership = MembershipCodec.decode(e.data());
    }

    List<KvResult> results = new ArrayList<>(entries.size());
    long index = appliedIndex;
    long term = appliedTerm;
    for (int i = 0; i < entries.size(); i++) {
      if (skipped[i]) {
        results.add(KvResult.NONE);
        continue;
      }
      LogEntry e = entries.get(i);
      results.add(
          commands[i] != null ? KvApplier.apply(commands[i], view, resultWanted.test(e.index())) : KvResult.NONE);
      index = e.index();
      term = e.term();
    }
    return new Outcome(List.copyOf(results), index, term, started, membership);
  }
}
