package io.raftkv.storage;

import io.raftkv.raft.core.Membership;
import java.nio.file.Path;
import java.util.Map;

/** RocksDB stores in a test's temporary directory: the main one in {@code db}, others beside it. */
final class RocksStores implements StoreKind<RocksDbStorage> {
  private final Path dir;
  private int others;

  RocksStores(Path dir) {
    this.dir = dir;
  }

  @Override
  public RocksDbStorage open() {
    return RocksDbStorage.open(dir.resolve("db"), 64);
  }

  @Override
  public RocksDbStorage restart(RocksDbStorage s) {
    s.close();
    return open();
  }

  @Override
  public Map<String, String> dump(RocksDbStorage s) {
    return s.dumpKv();
  }

  @Override
  public RocksDbStorage openOther() {
    return RocksDbStorage.open(dir.resolve("other-" + (++others)), 64);
  }

  /**
   * RocksDB's own crash safety is not what is under test here, only ours: closing without
   * committing leaves exactly what a killed process leaves of an install, a staging column
   * family nobody names as live.
   */
  @Override
  public RocksDbStorage crash(RocksDbStorage s) {
    Path at = s.directory();
    s.close();
    return RocksDbStorage.open(at, 64);
  }

  @Override
  public Membership appliedMembership(RocksDbStorage s) {
    return s.appliedMembership();
  }
}
