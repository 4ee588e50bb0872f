package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.raftkv.api.NodeStatus;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.transport.grpc.AppendEntriesRequest;
import io.raftkv.transport.grpc.AppendStreamMessage;
import io.raftkv.transport.grpc.Entry;
import io.raftkv.transport.grpc.ForwardRequest;
import io.raftkv.transport.grpc.HelloRequest;
import io.raftkv.transport.grpc.HelloResponse;
import io.raftkv.transport.grpc.InstallSnapshotChunk;
import io.raftkv.transport.grpc.LeaveRequest;
import io.raftkv.transport.grpc.PeerHeader;
import io.raftkv.transport.grpc.ReadIndexRequest;
import io.raftkv.transport.grpc.RequestVoteRequest;
import io.raftkv.transport.grpc.TimeoutNowRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live three-node cluster takes thousands of random, truncated and hostile peer messages on its
 * raft ports (and raw random bytes on plain TCP connections) and carries on as if nothing had
 * arrived: same leader, same term, data intact, writes working. Every hostile unary request is
 * answered with an error status, never OK.
 */
class PeerFuzzTest {
  private static final int MESSAGES = 3000;
  private static final int RAW_CONNECTIONS = 150;
  /** Slow elections keep a loaded machine's scheduling hiccups from changing the term by themselves. */
  private static final Map<String, Object> STEADY = Map.of(
      "election_timeout_ms_min", 1500,
      "election_timeout_ms_max", 3000,
      "heartbeat_interval_ms", 100);

  @TempDir Path dir;

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  record Answer(Status status, List<byte[]> messages) {}

  /** Calls a RaftService method with raw request bytes, so that truncated and random bodies go out as they are. */
  static CompletableFuture<Answer> call(ManagedChannel ch, String method, MethodDescriptor.MethodType type, List<byte[]> bodies) {
    MethodDescriptor<byte[], byte[]> md = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("raftkv.RaftService", method))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
    ClientCall<byte[], byte[]> call = ch.newCall(md, CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS));
    CompletableFuture<Answer> done = new CompletableFuture<>();
    List<byte[]> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        got.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        done.complete(new Answer(status, List.copyOf(got)));
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    for (byte[] b : bodies) call.sendMessage(b);
    call.halfClose();
    return done;
  }

  static CompletableFuture<Answer> unary(ManagedChannel ch, String method, byte[] body) {
    return call(ch, method, MethodDescriptor.MethodType.UNARY, List.of(body));
  }

  /** What the fuzzer knows about the cluster, so that it can forge messages that look right. */
  record Target(int node, ManagedChannel channel, long nodeId, long incarnation, long clusterId, Membership members) {}

  @Test
  void garbageFromPeersChangesNothing() throws Exception {
    try (TestCluster c = new TestCluster(dir, 3, STEADY)) {
      c.startAll();
      int leader = c.awaitLeader();
      for (int i = 0; i < 20; i++) c.setEventually(leader, "before-" + i, "v" + i);
      long term = c.server(leader).status().currentTerm();

      List<ManagedChannel> channels = new ArrayList<>();
      try {
        List<Target> targets = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
          String[] hp = c.raftAddr(id).split(":");
          ManagedChannel ch = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
          channels.add(ch);
          Answer a = unary(ch, "Hello", HelloRequest.getDefaultInstance().toByteArray()).get(5, TimeUnit.SECONDS);
          assertTrue(a.status().isOk(), "Hello answers: " + a.status());
          HelloResponse h = HelloResponse.parseFrom(a.messages().get(0));
          assertTrue(h.getClusterId() != 0 && h.getIncarnation() != 0, "every node reports its identity: " + h);
          targets.add(new Target(id, ch, h.getNodeId(), h.getIncarnation(), h.getClusterId(),
              MembershipCodec.decode(h.getMembership().toByteArray())));
        }
        assertEquals(1, targets.stream().map(Target::clusterId).distinct().count(), "one cluster");

        Fuzzer fuzz = new Fuzzer(new Random(20261129L), targets, term);
        AtomicInteger acceptedHostile = new AtomicInteger();
        List<String> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        Semaphore inFlight = new Semaphore(24);
        List<CompletableFuture<?>> all = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int sent = 0;
        for (; sent < MESSAGES && System.nanoTime() < deadline; sent++) {
          Fuzzer.Shot shot = fuzz.next();
          inFlight.acquire();
          CompletableFuture<Answer> f = call(shot.target().channel(), shot.method(), shot.type(), shot.bodies());
          all.add(f.whenComplete((a, e) -> {
            inFlight.release();
            if (a != null && a.status().isOk() && shot.type() == MethodDescriptor.MethodType.UNARY) {
              acceptedHostile.incrementAndGet();
              accepted.add(shot.what());
            }
          }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).exceptionally(e -> null).get(30, TimeUnit.SECONDS);
        assertEquals(MESSAGES, sent, "all messages went out within the time bound");
        System.out.printf("PeerFuzzTest: %d hostile messages answered in %d ms%n",
            sent, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - (deadline - TimeUnit.SECONDS.toNanos(60))));
        assertEquals(0, acceptedHostile.get(), "no hostile request is answered OK: " + accepted.stream().limit(5).toList());

        rawGarbage(c, new Random(7));

        // The cluster carries on: everyone up, the same leader in the same term, data intact.
        for (int id = 1; id <= 3; id++) {
          assertFalse(c.server(id).whenClosed().isDone(), "node " + id + " is still running");
        }
        NodeStatus after = c.server(leader).status();
        assertTrue(after.isLeader(), "node " + leader + " still leads");
        assertEquals(term, after.currentTerm(), "no garbage moved the term");
        for (int id = 1; id <= 3; id++) assertEquals(leader, c.server(id).status().currentLeader());
        assertEquals(targets.get(0).members(), c.server(leader).membership(), "nobody was removed");
        for (int i = 0; i < 20; i++) assertEquals("v" + i, c.read(leader % 3 + 1, "before-" + i));
        assertNull(c.read(leader, Fuzzer.FORGED_KEY), "a Forward with a forged header wrote nothing");
        c.setEventually(leader % 3 + 1, "after", "ok");
        assertEquals("ok", c.read(leader, "after"));
      } finally {
        for (ManagedChannel ch : channels) ch.shutdownNow();
      }
    }
  }

  /** Plain TCP connections to the raft ports that send random bytes, some after an HTTP/2 preface. */
  private static void rawGarbage(TestCluster c, Random random) throws Exception {
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < RAW_CONNECTIONS; i++) {
      String[] hp = c.raftAddr(1 + i % 3).split(":");
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 2000);
        s.setSoLinger(true, 0);
        OutputStream out = s.getOutputStream();
        if (i % 3 == 0) out.write(preface);
        byte[] junk = new byte[random.nextInt(4096)];
        random.nextBytes(junk);
        out.write(junk);
        out.flush();
      } catch (IOException e) {
        // The server may close on us mid-write: that is a fine answer to garbage.
      }
    }
    // The nodes keep answering Hello on fresh connections after all of that.
    for (int id = 1; id <= 3; id++) {
      String[] hp = c.raftAddr(id).split(":");
      ManagedChannel ch = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
      try {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
            unary(ch, "Hello", HelloRequest.getDefaultInstance().toByteArray()).get(5, TimeUnit.SECONDS).status().isOk());
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /**
   * Builds the hostile messages. Every message is refused for at least one reason by
   * construction: either its identity is wrong (another cluster, a non-member, a member's other
   * incarnation, another receiver, no header at all), or its identity is right and its content is
   * malformed (gaps, terms beyond range or beyond the message's own term), or its bytes are not a
   * message at all (random or truncated).
   */
  static final class Fuzzer {
    static final String FORGED_KEY = "forged-by-fuzzer";

    record Shot(Target target, String method, MethodDescriptor.MethodType type, List<byte[]> bodies, String what) {}

    private final Random r;
    private final List<Target> targets;
    private final long term;

    Fuzzer(Random r, List<Target> targets, long term) {
      this.r = r;
      this.targets = targets;
      this.term = term;
    }

    Shot next() {
      Target t = targets.get(r.nextInt(targets.size()));
      int kind = r.nextInt(13);
      switch (kind) {
        case 0:
          return unaryShot(t, randomMethod(), randomBytes(300), "random bytes");
        case 1: {
          byte[] whole = appendEntries(t, validHeader(t), goodish(t)).toByteArray();
          return unaryShot(t, "AppendEntries", java.util.Arrays.copyOf(whole, r.nextInt(Math.max(1, whole.length))),
              "truncated AppendEntries");
        }
        case 2:
          return unaryShot(t, "RequestVote", requestVote(t, hostileHeader(t), higherTerm()).toByteArray(), "hostile RequestVote");
        case 3:
          return unaryShot(t, "AppendEntries", appendEntries(t, hostileLeaderHeader(t), goodish(t)).toByteArray(),
              "hostile AppendEntries");
        case 4:
          return unaryShot(t, "AppendEntries", appendEntries(t, validHeader(t), malformed(t)).toByteArray(),
              "malformed AppendEntries");
        case 5: {
          long absurd = r.nextBoolean() ? -1L : (1L << 48) + r.nextInt(1000);
          return unaryShot(t, "RequestVote", requestVote(t, validHeader(t), absurd).toByteArray(), "absurd RequestVote");
        }
        case 6: {
          // Either a wrong identity with a higher term, or a right identity with an absurd term.
          boolean rightIdentity = r.nextBoolean();
          PeerHeader h = rightIdentity ? validHeader(t) : hostileHeader(t);
          long tnTerm = rightIdentity ? (r.nextBoolean() ? -1L : 1L << 48) : higherTerm();
          TimeoutNowRequest m = TimeoutNowRequest.newBuilder()
              .setFrom(h.getFromId()).setTo(t.nodeId()).setTerm(tnTerm).setHeader(h).build();
          return unaryShot(t, "TimeoutNow", m.toByteArray(), "TimeoutNow");
        }
        case 7:
          return snapshotShot(t);
        case 8:
          return streamShot(t);
        case 9: {
          ForwardRequest f = ForwardRequest.newBuilder()
              .setCommand(ByteString.copyFrom(KvCommandCodec.encode(new KvCommand.Set(FORGED_KEY, "x"))))
              .setHeader(hostileHeader(t))
              .build();
          return unaryShot(t, "Forward", f.toByteArray(), "hostile Forward");
        }
        case 10: {
          PeerHeader h = hostileHeader(t);
          ReadIndexRequest m = ReadIndexRequest.newBuilder().setFrom(h.getFromId()).setHeader(h).build();
          return unaryShot(t, "ReadIndex", m.toByteArray(), "hostile ReadIndex");
        }
        case 11: {
          // A Leave of a real member from a process that is not one: it must not remove anybody.
          LeaveRequest m = LeaveRequest.newBuilder()
              .setNodeId(1 + r.nextInt(3)).setForwarded(r.nextBoolean()).setHeader(hostileHeader(t)).build();
          return unaryShot(t, "Leave", m.toByteArray(), "hostile Leave");
        }
        default: {
          // Everything random, the header included.
          AppendEntriesRequest.Builder b = AppendEntriesRequest.newBuilder()
              .setFrom(r.nextLong()).setTo(r.nextLong()).setTerm(r.nextLong()).setPrevLogIndex(r.nextLong())
              .setPrevLogTerm(r.nextLong()).setLeaderCommit(r.nextLong()).setReadSeq(r.nextLong())
              .setHeader(PeerHeader.newBuilder().setClusterId(r.nextLong()).setFromId(r.nextLong())
                  .setFromIncarnation(r.nextLong()).setToId(r.nextLong()).setToIncarnation(r.nextLong()));
          for (int i = r.nextInt(4); i > 0; i--) {
            b.addEntries(Entry.newBuilder().setIndex(r.nextLong()).setTerm(r.nextLong())
                .setKindValue(r.nextInt(5)).setData(ByteString.copyFrom(randomBytes(40))));
          }
          return unaryShot(t, "AppendEntries", b.build().toByteArray(), "random-field AppendEntries");
        }
      }
    }

    private Shot unaryShot(Target t, String method, byte[] body, String what) {
      return new Shot(t, method, MethodDescriptor.MethodType.UNARY, List.of(body), what);
    }

    private String randomMethod() {
      String[] unary = {"AppendEntries", "RequestVote", "TimeoutNow", "Forward", "ReadIndex"};
      return unary[r.nextInt(unary.length)];
    }

    private byte[] randomBytes(int max) {
      byte[] b = new byte[r.nextInt(max + 1)];
      r.nextBytes(b);
      return b;
    }

    private long higherTerm() {
      return r.nextInt(4) == 0 ? Long.MAX_VALUE : term + 1 + r.nextInt(1000);
    }

    /** A real member other than the target, as it would stamp a message to the target. */
    private PeerHeader validHeader(Target t) {
      Target from = otherThan(t);
      return PeerHeader.newBuilder().setClusterId(t.clusterId()).setFromId(from.nodeId())
          .setFromIncarnation(from.incarnation()).setToId(t.nodeId()).setToIncarnation(t.incarnation()).build();
    }

    private Target otherThan(Target t) {
      Target o;
      do {
        o = targets.get(r.nextInt(targets.size()));
      } while (o == t);
      return o;
    }

    /**
     * A header that is wrong in one way, for a message only a leader sends. A sender the
     * receiver does not list is admitted for those (its configuration may lag the leader's), so
     * a forged sender there comes with a wrong receiver incarnation as well.
     */
    private PeerHeader hostileLeaderHeader(Target t) {
      PeerHeader h = hostileHeader(t);
      boolean unknownSender = targets.stream().noneMatch(x -> x.nodeId() == h.getFromId());
      return unknownSender && h.getClusterId() == t.clusterId() && h.getToId() == t.nodeId()
          ? h.toBuilder().setToIncarnation(h.getToIncarnation() ^ 0x5a5a).build()
          : h;
    }

    /** A header that is wrong in one way. */
    private PeerHeader hostileHeader(Target t) {
      PeerHeader good = validHeader(t);
      switch (r.nextInt(6)) {
        case 0:
          return PeerHeader.getDefaultInstance();
        case 1:
          return good.toBuilder().setClusterId(good.getClusterId() ^ (1 + r.nextInt(1 << 20))).build();
        case 2:
          return good.toBuilder().setFromId(10 + r.nextInt(1000)).setFromIncarnation(r.nextLong()).build();
        case 3:
          return good.toBuilder().setFromIncarnation(good.getFromIncarnation() ^ (1 + r.nextInt(1 << 20))).build();
        case 4:
          return good.toBuilder().setToIncarnation(good.getToIncarnation() ^ (1 + r.nextInt(1 << 20))).build();
        default:
          return good.toBuilder().setToId(otherThan(t).nodeId()).build();
      }
    }

    private RequestVoteRequest requestVote(Target t, PeerHeader h, long voteTerm) {
      return RequestVoteRequest.newBuilder()
          .setFrom(h.getFromId() == 0 ? 1 + r.nextInt(3) : h.getFromId()).setTo(t.nodeId()).setTerm(voteTerm)
          .setLastLogIndex(r.nextInt(1_000_000)).setLastLogTerm(Math.max(0, Math.min(voteTerm, term + r.nextInt(100))))
          .setPreVote(r.nextBoolean()).setTransfer(r.nextBoolean()).setHeader(h).build();
    }

    /** Content a leader could send: only its header can make it wrong. */
    private List<Entry> goodish(Target t) {
      List<Entry> entries = new ArrayList<>();
      int n = r.nextInt(4);
      for (int i = 0; i < n; i++) {
        entries.add(Entry.newBuilder().setIndex(1_000 + i).setTerm(term + 5).setKind(Entry.Kind.NOOP).build());
      }
      return entries;
    }

    /** Content no correct leader sends: a gap, a decreasing or an absurd term. */
    private List<Entry> malformed(Target t) {
      List<Entry> entries = new ArrayList<>();
      switch (r.nextInt(4)) {
        case 0: // a gap after prevLogIndex 999
          entries.add(Entry.newBuilder().setIndex(1_000 + 1 + r.nextInt(50)).setTerm(term + 5).setKind(Entry.Kind.NOOP).build());
          break;
        case 1: // terms decrease
          entries.add(Entry.newBuilder().setIndex(1_000).setTerm(term + 5).setKind(Entry.Kind.NOOP).build());
          entries.add(Entry.newBuilder().setIndex(1_001).setTerm(term + 4).setKind(Entry.Kind.NOOP).build());
          break;
        case 2: // an entry term of 2^64 - 1, beyond the message's term
          entries.add(Entry.newBuilder().setIndex(1_000).setTerm(-1L).setKind(Entry.Kind.NOOP).build());
          break;
        default: // an entry term beyond the message's term
          entries.add(Entry.newBuilder().setIndex(1_000).setTerm(term + 6 + r.nextInt(100)).setKind(Entry.Kind.NOOP).build());
          break;
      }
      return entries;
    }

    private AppendEntriesRequest appendEntries(Target t, PeerHeader h, List<Entry> entries) {
      return AppendEntriesRequest.newBuilder()
          .setFrom(h.getFromId() == 0 ? 1 + r.nextInt(3) : h.getFromId()).setTo(t.nodeId())
          .setTerm(term + 5).setPrevLogIndex(999).setPrevLogTerm(term)
          .addAllEntries(entries).setLeaderCommit(r.nextInt(2_000)).setReadSeq(r.nextInt(100)).setHeader(h).build();
    }

    /** An InstallSnapshot stream that is wrong in its header, its identity or its bytes. */
    private Shot snapshotShot(Target t) {
      List<byte[]> chunks = new ArrayList<>();
      Membership m = Membership.ofVoters(List.of(new Member(t.nodeId(), "127.0.0.1:1", "", t.incarnation())));
      InstallSnapshotChunk.Builder first = InstallSnapshotChunk.newBuilder()
          .setTo(t.nodeId()).setTerm(term + 5).setLastIncludedIndex(1_000_000)
          .setMembership(ByteString.copyFrom(MembershipCodec.encode(m)))
          .setData(ByteString.copyFrom(randomBytes(1000)));
      String what;
      switch (r.nextInt(4)) {
        case 0: {
          PeerHeader h = hostileLeaderHeader(t);
          first.setFrom(h.getFromId()).setLastIncludedTerm(term).setHeader(h);
          what = "hostile InstallSnapshot";
          break;
        }
        case 1: {
          PeerHeader h = validHeader(t);
          first.setFrom(h.getFromId()).setLastIncludedTerm(term + 6 + r.nextInt(10)).setHeader(h);
          what = "InstallSnapshot with a term beyond its own";
          break;
        }
        case 2: {
          PeerHeader h = validHeader(t);
          first.setFrom(h.getFromId()).setLastIncludedTerm(term).setMembership(ByteString.copyFrom(randomBytes(30)))
              .setHeader(h);
          what = "InstallSnapshot with a corrupt membership";
          break;
        }
        default:
          chunks.add(randomBytes(200));
          what = "InstallSnapshot of random bytes";
          break;
      }
      if (chunks.isEmpty()) chunks.add(first.build().toByteArray());
      for (int i = r.nextInt(4); i > 0; i--) {
        chunks.add(InstallSnapshotChunk.newBuilder().setData(ByteString.copyFrom(randomBytes(2000))).build().toByteArray());
      }
      return new Shot(t, "InstallSnapshot", MethodDescriptor.MethodType.CLIENT_STREAMING, chunks, what);
    }

    /** A few hostile messages on the AppendEntries stream. */
    private Shot streamShot(Target t) {
      List<byte[]> messages = new ArrayList<>();
      for (int i = 1 + r.nextInt(5); i > 0; i--) {
        MessageLite m;
        switch (r.nextInt(3)) {
          case 0:
            m = AppendStreamMessage.newBuilder().setId(r.nextLong())
                .setRequest(appendEntries(t, hostileLeaderHeader(t), goodish(t))).build();
            break;
          case 1:
            m = AppendStreamMessage.newBuilder().setId(r.nextLong())
                .setRequest(appendEntries(t, validHeader(t), malformed(t))).build();
            break;
          default:
            PeerHeader h = hostileHeader(t);
            m = AppendStreamMessage.newBuilder().setId(r.nextLong())
                .setReadIndexRequest(ReadIndexRequest.newBuilder().setFrom(h.getFromId()).setHeader(h)).build();
            break;
        }
        messages.add(r.nextInt(8) == 0 ? randomBytes(100) : m.toByteArray());
      }
      return new Shot(t, "AppendStream", MethodDescriptor.MethodType.BIDI_STREAMING, messages, "stream");
    }
  }
}
