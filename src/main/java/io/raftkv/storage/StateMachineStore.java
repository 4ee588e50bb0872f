package io.raftkv.storage;

import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import java.util.List;

/**
 * The key-value state machine and its applied index, kept together so that a crash can never
 * apply an entry twice: the effects of entries and the new applied index land in one atomic write.
 */
public interface StateMachineStore extends AutoCloseable {
  long appliedIndex();

  long appliedTerm();

  /**
   * Applies committed entries, which must start at {@code appliedIndex() + 1} and be contiguous,
   * and returns one result per entry in order. Entries at or below the applied index are skipped
   * (their result is {@link KvResult#NONE}) so that a replay after restart stays exactly-once.
   */
  List<KvResult> apply(List<LogEntry> entries);

  /** The applied value of a key, or null. Safe to call from any thread. */
  String get(String key);

  /**
   * Up to {@code limit} applied keys starting with {@code prefix}, with their values, in key
   * order: the bytewise order of the UTF-8 encoded keys, which is RocksDB's order and equals
   * Unicode code point order. An empty prefix matches every key. Safe to call from any thread.
   */
  List<KvPair> scan(String prefix, int limit);

  @Override
  void close();
}
