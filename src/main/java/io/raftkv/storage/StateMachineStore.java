package io.raftkv.storage;

import io.raftkv.kv.KvPage;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import java.util.List;
import java.util.function.LongPredicate;

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
  default List<KvResult> apply(List<LogEntry> entries) {
    return apply(entries, index -> true);
  }

  /**
   * Applies as {@link #apply(List)} does, building a command's result only where {@code
   * resultWanted} holds for its index: the node whose client waits for that entry. Elsewhere the
   * result is {@link KvResult#NONE} and the values it would report are never read. The effects on
   * the state are the same whatever the predicate says.
   */
  List<KvResult> apply(List<LogEntry> entries, LongPredicate resultWanted);

  /** The applied value of a key, or null. Safe to call from any thread. */
  String get(String key);

  /**
   * Up to {@code limit} applied keys starting with {@code prefix}, with their values, in key
   * order: the bytewise order of the UTF-8 encoded keys, which is RocksDB's order and equals
   * Unicode code point order. An empty prefix matches every key. Safe to call from any thread.
   */
  default List<KvPair> scan(String prefix, int limit) {
    return scan(prefix, null, limit, Long.MAX_VALUE).items();
  }

  /**
   * One page of the keys starting with {@code prefix}, in the key order of {@link #scan(String,
   * int)}: only keys strictly greater than {@code startAfter} (null: from the first match), at
   * most {@code limit} of them, and no more than {@code maxBytes} of keys and values in UTF-8,
   * except that a page holds at least one item when one matches, so paging always moves on.
   * {@link KvPage#more()} says whether another match follows the page. An item that does not
   * fit is not read into memory. Safe to call from any thread.
   */
  KvPage scan(String prefix, String startAfter, int limit, long maxBytes);

  @Override
  void close();
}
