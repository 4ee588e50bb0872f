package io.raftkv.storage;

class InMemoryIdentityContractTest extends IdentityContractTest<InMemoryStorage> {
  @Override
  protected StoreKind<InMemoryStorage> storeKind() {
    return new InMemoryStores();
  }
}
