package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.raft.core.HardState;
import io.raftkv.storage.InMemoryStorage;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.storage.SnapshotStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An operator's snapshot compacts first, without holding up the log writes behind it. */
class StorageActorTest {
  private final ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void tearDown() {
    kit.shutdownTestKit();
  }

  @Test
  void logWritesGoOnWhileTheStateMachineIsCompacted() throws Exception {
    InMemoryStorage store = new InMemoryStorage();
    store.recover();
    CountDownLatch compacting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ActorRef<StorageActor.Command> actor = kit.spawn(StorageActor.create(store, store, new SlowCompaction(store, compacting, release)));
    TestProbe<RaftNode.Command> probe = kit.createTestProbe();

    actor.tell(new StorageActor.CreateSnapshot(-1, true, probe.getRef()));
    assertEquals(true, compacting.await(5, TimeUnit.SECONDS));
    actor.tell(new StorageActor.Persist(1, new PersistBatch(new HardState(1, 1), 0, List.of()), null, false, probe.getRef()));
    RaftNode.Persisted persisted = probe.expectMessageClass(RaftNode.Persisted.class, Duration.ofSeconds(5));
    assertEquals(1, persisted.seq(), "persisted while the compaction is still running");

    release.countDown();
    probe.expectMessageClass(RaftNode.SnapshotTaken.class, Duration.ofSeconds(5));
  }

  /** The store's snapshots, with a compaction that waits until the test lets it finish. */
  private record SlowCompaction(InMemoryStorage store, CountDownLatch compacting, CountDownLatch release)
      implements SnapshotStore {
    @Override
    public void compactStateMachine() {
      compacting.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      store.compactStateMachine();
    }

    @Override
    public SnapshotMeta createSnapshot() {
      return store.createSnapshot();
    }

    @Override
    public Optional<SnapshotMeta> latestSnapshot() {
      return store.latestSnapshot();
    }

    @Override
    public SnapshotSource openSnapshot() {
      return store.openSnapshot();
    }

    @Override
    public SnapshotSink beginInstall(SnapshotMeta meta) {
      return store.beginInstall(meta);
    }

    @Override
    public SnapshotSink resumeInstall(SnapshotMeta meta, long leaderTerm) {
      return store.resumeInstall(meta, leaderTerm);
    }

    @Override
    public void purgeLog(long uptoIndex) {
      store.purgeLog(uptoIndex);
    }
  }
}
