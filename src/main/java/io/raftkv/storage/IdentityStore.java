package io.raftkv.storage;

/**
 * Where a node keeps who it is: its incarnation (drawn once, the first time it starts with empty
 * storage) and the id of the cluster it belongs to. Both live with the Raft state, so wiping the
 * disk wipes them too and the node comes back as a new incarnation that no peer mistakes for the
 * old one. Saves are synced before they return: a node may only claim an identity its disk keeps.
 */
public interface IdentityStore {
  /** The stored incarnation, or 0 when none has been drawn yet. */
  long incarnation();

  /** The stored cluster id, or 0 while the node belongs to no cluster. */
  long clusterId();

  /** Stores the incarnation durably. Throws {@link StorageException} when the write fails. */
  void saveIncarnation(long incarnation);

  /** Stores the cluster id durably. Throws {@link StorageException} when the write fails. */
  void saveClusterId(long clusterId);
}
