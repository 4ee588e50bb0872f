package io.raftkv.raft.driver;

import io.raftkv.api.WriteOutcome;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bounds what a leader holds proposed but not yet applied, by count ({@code
 * max_pending_proposals}) and by payload bytes ({@code max_pending_proposal_bytes}). Without a
 * bound a client flood grows the log tail, the in-memory entries and the waiting clients until
 * the heap runs out; with it, writes beyond the bound are refused before they are proposed, with
 * an answer that tells the client to back off (HTTP 429). Entries count until they are applied,
 * whether or not their client still waits, because they occupy memory until then. Runs on the
 * driver's thread only.
 */
final class ProposalAdmission {
  /** How long a refused client is asked to wait: about the time a busy leader needs to apply a group commit. */
  static final long RETRY_AFTER_MS = 1000;

  private final int maxProposals;
  private final long maxBytes;
  /** Payload bytes of each admitted proposal not yet applied, by log index. */
  private final TreeMap<Long, Integer> pending = new TreeMap<>();
  private long pendingBytes;

  ProposalAdmission(int maxProposals, long maxBytes) {
    if (maxProposals <= 0 || maxBytes <= 0) {
      throw new IllegalArgumentException("limits must be positive, got " + maxProposals + " and " + maxBytes);
    }
    this.maxProposals = maxProposals;
    this.maxBytes = maxBytes;
  }

  /**
   * Null when a write of {@code bytes} may be proposed now, else the answer to give. A single
   * write larger than the byte bound is still admitted when nothing else is pending, so that
   * the bound can never refuse a write forever.
   */
  WriteOutcome.Overloaded refusal(int bytes) {
    if (pending.size() >= maxProposals) {
      return overloaded(pending.size() + " writes are waiting to be applied (max_pending_proposals = " + maxProposals + ")");
    }
    if (!pending.isEmpty() && pendingBytes + bytes > maxBytes) {
      return overloaded(pendingBytes + " bytes of writes are waiting to be applied (max_pending_proposal_bytes = "
          + maxBytes + ")");
    }
    return null;
  }

  void admitted(long index, int bytes) {
    Integer previous = pending.put(index, bytes);
    if (previous != null) pendingBytes -= previous;
    pendingBytes += bytes;
  }

  /** Entries up to {@code appliedIndex} no longer occupy the leader. */
  void applied(long appliedIndex) {
    while (!pending.isEmpty() && pending.firstKey() <= appliedIndex) {
      Map.Entry<Long, Integer> e = pending.pollFirstEntry();
      pendingBytes -= e.getValue();
    }
  }

  /** Leadership is lost: what this node proposed is now another leader's to commit or overwrite. */
  void clear() {
    pending.clear();
    pendingBytes = 0;
  }

  int pendingCount() {
    return pending.size();
  }

  long pendingBytes() {
    return pendingBytes;
  }

  private static WriteOutcome.Overloaded overloaded(String why) {
    return new WriteOutcome.Overloaded(
        "the leader is overloaded: " + why + ". The write was not applied; back off and retry after "
            + RETRY_AFTER_MS / 1000 + " s",
        RETRY_AFTER_MS);
  }
}
