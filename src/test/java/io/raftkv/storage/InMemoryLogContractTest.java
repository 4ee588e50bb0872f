package io.raftkv.storage;

class InMemoryLogContractTest extends LogContractTest<InMemoryStorage> {
  @Override
  protected StoreKind<InMemoryStorage> storeKind() {
    return new InMemoryStores();
  }
}
