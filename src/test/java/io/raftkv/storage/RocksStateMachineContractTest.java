package io.raftkv.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class RocksStateMachineContractTest extends StateMachineContractTest<RocksDbStorage> {
  @TempDir Path dir;

  @Override
  protected StoreKind<RocksDbStorage> storeKind() {
    return new RocksStores(dir);
  }
}
