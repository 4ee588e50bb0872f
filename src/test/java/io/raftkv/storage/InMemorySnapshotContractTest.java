package io.raftkv.storage;

class InMemorySnapshotContractTest extends SnapshotContractTest<InMemoryStorage> {
  @Override
  protected StoreKind<InMemoryStorage> storeKind() {
    return new InMemoryStores();
  }
}
