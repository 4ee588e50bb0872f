package io.raftkv.storage;

import io.raftkv.raft.core.Membership;
import java.util.Map;

/** In-memory stores: a restart or a crash keeps exactly what the twin treats as durable. */
final class InMemoryStores implements StoreKind<InMemoryStorage> {
  @Override
  public InMemoryStorage open() {
    return new InMemoryStorage();
  }

  @Override
  public InMemoryStorage restart(InMemoryStorage s) {
    s.close();
    return s.crashAndRecover();
  }

  @Override
  public Map<String, String> dump(InMemoryStorage s) {
    return s.snapshotOfKv();
  }

  @Override
  public InMemoryStorage openOther() {
    return new InMemoryStorage();
  }

  @Override
  public InMemoryStorage crash(InMemoryStorage s) {
    return s.crashAndRecover();
  }

  @Override
  public Membership appliedMembership(InMemoryStorage s) {
    return s.appliedMembership();
  }
}
