package io.raftkv.storage;

class InMemoryStateMachineContractTest extends StateMachineContractTest<InMemoryStorage> {
  @Override
  protected StoreKind<InMemoryStorage> storeKind() {
    return new InMemoryStores();
  }
}
