package io.raftkv.storage;

import io.raftkv.raft.core.Membership;
import java.util.Map;

/** How a storage test opens, restarts and crashes one kind of store. */
interface StoreKind<S extends RaftLogStore & StateMachineStore & SnapshotStore> {
  S open();

  /** Closes {@code s} cleanly and opens the same durable state again. */
  S restart(S s);

  Map<String, String> dump(S s);

  /** A second, empty store independent of the one {@link #open} gives; the caller closes it. */
  S openOther();

  /**
   * Stops {@code s} the hard way, without finishing what is in flight (an install that was never
   * committed, in particular), and opens what is left on disk.
   */
  S crash(S s);

  Membership appliedMembership(S s);
}
