package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.HardState;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.RocksDbStorage;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.transport.GrpcServer;
import io.raftkv.transport.GrpcTransport;
import io.raftkv.transport.PeerInfo;
import io.raftkv.transport.RaftInbound;
import io.raftkv.transport.ReadIndexReply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot transfers that break off and resume, end to end: a leader's RocksDB snapshot streamed
 * by the gRPC transport to a follower's {@link SnapshotReceiver} staging into its own RocksDB.
 */
class SnapshotResumeTest {
  private static final int CHUNK_BYTES = 1000;
  private static final Membership ONE = Membership.ofVoters(List.of(new Member(1, "127.0.0.1:1", "127.0.0.1:2")));

  @TempDir Path dir;
  private ActorTestKit leaderKit;
  private ActorTestKit followerKit;
  private RocksDbStorage leader;
  private RocksDbStorage follower;
  private GrpcServer server;
  private GrpcTransport transport;
  private Follower inbound;

  @BeforeEach
  void start() throws Exception {
    leaderKit = ActorTestKit.create("leader");
    followerKit = ActorTestKit.create("follower");
    leader = RocksDbStorage.open(dir.resolve("leader"), 64);
    follower = RocksDbStorage.open(dir.resolve("follower"), 64);
    inbound = new Follower(follower, Materializer.matFromSystem(followerKit.system()));
    server = GrpcServer.start(followerKit.system(), inbound, "127.0.0.1", 0).toCompletableFuture().get(10, TimeUnit.SECONDS);
    transport = new GrpcTransport(leaderKit.system(), 1, Map.of(2L, server.address()),
        GrpcTransport.Settings.defaults().withSnapshotChunkTimeout(Duration.ofSeconds(5)));
  }

  @AfterEach
  void stop() throws Exception {
    if (transport != null) transport.close();
    if (server != null) server.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (leaderKit != null) leaderKit.shutdownTestKit();
    if (followerKit != null) followerKit.shutdownTestKit();
    if (leader != null) leader.close();
    if (follower != null) follower.close();
  }

  @Test
  void aTransferCutAfterSomeChunksResumesWithTheRestOnly() throws Exception {
    fill(leader, 200, "a");
    SnapshotMeta meta = leader.createSnapshot();
    int total = chunkCount();
    assertTrue(total > 10, "the snapshot spans " + total + " chunks");
    var header = new RaftMessage.InstallSnapshot(1, 2, 5, meta.index(), meta.term(), meta.membership());

    // The first transfer breaks off after 7 chunks are staged.
    inbound.failAfterChunks = 7;
    assertThrows(ExecutionException.class, () -> send(header));
    assertEquals(7, inbound.writes.get());
    assertFalse(inbound.installed);

    // The next one resumes: only the chunks the follower does not hold cross the wire.
    inbound.failAfterChunks = Integer.MAX_VALUE;
    inbound.writes.set(0);
    RaftMessage.Response response = send(header);
    assertEquals(new RaftMessage.InstallSnapshotResponse(2, 1, 5, true, meta.index()), response);
    assertEquals(7L, inbound.firstChunks.get(1));
    assertEquals(total - 7, inbound.writes.get());
    assertTrue(inbound.installed);
    assertEquals(leader.dumpKv(), follower.dumpKv());
    assertEquals(meta.index(), follower.appliedIndex());
    // The probe knew no membership; the transfer's header did, and that is what was installed.
    assertEquals(leader.appliedMembership(), follower.appliedMembership());
  }

  @Test
  void aDifferentSnapshotDiscardsTheStagedChunksOfTheOldOne() throws Exception {
    fill(leader, 200, "a");
    SnapshotMeta first = leader.createSnapshot();
    var firstHeader = new RaftMessage.InstallSnapshot(1, 2, 5, first.index(), first.term(), first.membership());
    inbound.failAfterChunks = 9;
    assertThrows(ExecutionException.class, () -> send(firstHeader));

    // Meanwhile the leader moved on: the values changed, and it snapshotted again. None of the
    // staged old values may survive into the installed state.
    fill(leader, 200, "b");
    SnapshotMeta second = leader.createSnapshot();
    var secondHeader = new RaftMessage.InstallSnapshot(1, 2, 5, second.index(), second.term(), second.membership());
    inbound.failAfterChunks = Integer.MAX_VALUE;
    inbound.writes.set(0);
    assertEquals(new RaftMessage.InstallSnapshotResponse(2, 1, 5, true, second.index()), send(secondHeader));
    assertEquals(0L, inbound.firstChunks.get(1));
    assertEquals(chunkCount(), inbound.writes.get());
    assertEquals(leader.dumpKv(), follower.dumpKv());
    assertTrue(follower.dumpKv().values().stream().allMatch(v -> v.startsWith("b")));
  }

  /** Streams the leader's latest snapshot as the snapshot coordinator does. */
  private RaftMessage.Response send(RaftMessage.InstallSnapshot header) throws Exception {
    SnapshotSource source = leader.openSnapshot();
    Source<byte[], NotUsed> chunks = Source.<SnapshotSource, byte[]>unfold(source, s -> {
          byte[] chunk = s.nextChunk(CHUNK_BYTES);
          return chunk == null ? Optional.empty() : Optional.of(Pair.create(s, chunk));
        })
        .watchTermination((mat, done) -> {
          done.whenComplete((d, e) -> source.close());
          return mat;
        });
    return transport.installSnapshot(2, header, chunks).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private int chunkCount() {
    int n = 0;
    try (SnapshotSource source = leader.openSnapshot()) {
      while (source.nextChunk(CHUNK_BYTES) != null) n++;
    }
    return n;
  }

  /** Applies {@code keys} sets, each value prefixed with {@code prefix}, after what the store holds. */
  private static void fill(RocksDbStorage store, int keys, String prefix) {
    List<LogEntry> entries = new ArrayList<>();
    long index = store.appliedIndex();
    if (index == 0) entries.add(new LogEntry(++index, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(ONE)));
    for (int i = 0; i < keys; i++) {
      String value = prefix + "-" + i + "-" + "x".repeat(80);
      entries.add(new LogEntry(++index, 1, LogEntry.Kind.COMMAND,
          KvCommandCodec.encode(new KvCommand.Set(String.format("key-%04d", i), value))));
    }
    store.persist(new PersistBatch(new HardState(1, 1), 0, entries));
    store.apply(entries);
  }

  /**
   * The follower: a real {@link SnapshotReceiver} over a real store, whose sink breaks off after
   * {@code failAfterChunks} chunks of a transfer (as a connection cut mid-transfer would), and
   * which installs what it received as the node would once the core accepts it.
   */
  private static final class Follower implements RaftInbound {
    final AtomicInteger writes = new AtomicInteger();
    final List<Long> firstChunks = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile int failAfterChunks = Integer.MAX_VALUE;
    volatile boolean installed;
    private final SnapshotReceiver receiver;

    Follower(RocksDbStorage storage, Materializer materializer) {
      this.receiver = new SnapshotReceiver(new SnapshotReceiver.Node() {
        @Override
        public CompletionStage<SnapshotSink> beginInstall(SnapshotMeta meta, long leaderTerm) {
          return CompletableFuture.supplyAsync(() -> counting(storage.resumeInstall(meta, leaderTerm)));
        }

        @Override
        public CompletionStage<RaftMessage.Response> installReceived(RaftMessage.InstallSnapshot header, SnapshotSink sink) {
          return CompletableFuture.supplyAsync(() -> {
            sink.commit(false);
            installed = true;
            return new RaftMessage.InstallSnapshotResponse(header.to(), header.from(), header.term(), true,
                header.lastIncludedIndex());
          });
        }
      }, materializer);
    }

    private SnapshotSink counting(SnapshotSink sink) {
      return new SnapshotSink() {
        @Override
        public void write(byte[] chunk) {
          if (writes.get() >= failAfterChunks) throw new IllegalStateException("connection cut");
          sink.write(chunk);
          writes.incrementAndGet();
        }

        @Override
        public long stagedChunks() {
          return sink.stagedChunks();
        }

        @Override
        public void commit(boolean keepLogAfterIndex) {
          sink.commit(keepLogAfterIndex);
        }

        @Override
        public void abort() {
          sink.abort();
        }
      };
    }

    @Override
    public CompletionStage<RaftMessage.Response> onInstallSnapshot(
        RaftMessage.InstallSnapshot header, long firstChunk, Source<byte[], NotUsed> chunks) {
      firstChunks.add(firstChunk);
      return receiver.receive(header, firstChunk, chunks);
    }

    @Override
    public CompletionStage<Long> onSnapshotProbe(RaftMessage.InstallSnapshot header) {
      return receiver.probe(header);
    }

    @Override
    public CompletionStage<RaftMessage.Response> onRequest(RaftMessage.Request request) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("only snapshots here"));
    }

    @Override
    public CompletionStage<WriteOutcome> onForward(KvCommand command) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("only snapshots here"));
    }

    @Override
    public CompletionStage<ReadIndexReply> onReadIndex() {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("only snapshots here"));
    }

    @Override
    public PeerInfo onHello() {
      return new PeerInfo(2, "", "", Membership.EMPTY, 0);
    }

    @Override
    public CompletionStage<AdminOutcome> onJoin(Member member, boolean forwarded) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("only snapshots here"));
    }

    @Override
    public CompletionStage<AdminOutcome> onLeave(long nodeId, boolean force, boolean forwarded) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("only snapshots here"));
    }

    @Override
    public CompletionStage<AdminOutcome> onTransferLeader(long nodeId, boolean forwarded) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("only snapshots here"));
    }
  }
}
