package io.raftkv.kv;

import java.util.List;

/**
 * One page of a prefix scan: the items, in key order, and whether more matching keys follow the
 * last of them. A scan stops at its item limit or its byte budget, whichever comes first, so a
 * page never holds more than the caller agreed to materialize; the next page starts strictly
 * after {@link #nextKey()}.
 */
public record KvPage(List<KvPair> items, boolean more) {
  public KvPage {
    items = List.copyOf(items);
  }

  /** The key to continue after, or null when nothing follows (or the page is empty). */
  public String nextKey() {
    return more && !items.isEmpty() ? items.get(items.size() - 1).key() : null;
  }
}
