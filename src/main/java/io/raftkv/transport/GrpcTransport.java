package io.raftkv.transport;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.config.HostPort;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.AppendEntriesRequest;
import io.raftkv.transport.grpc.AppendEntriesResponse;
import io.raftkv.transport.grpc.ForwardRequest;
import io.raftkv.transport.grpc.HelloRequest;
import io.raftkv.transport.grpc.JoinRequest;
import io.raftkv.transport.grpc.LeaveRequest;
import io.raftkv.transport.grpc.PeerHeader;
import io.raftkv.transport.grpc.RaftServiceClient;
import io.raftkv.transport.grpc.ReadIndexResponse;
import io.raftkv.transport.grpc.RequestVoteRequest;
import io.raftkv.transport.grpc.TimeoutNowRequest;
import io.raftkv.transport.grpc.TransferLeaderRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@link Transport} over Pekko gRPC: one plaintext HTTP/2 channel per peer address, created on
 * first use and cached, shared by Raft RPCs, client calls and Hello.
 *
 * <p>Every call carries a gRPC deadline ({@link CallDeadlines}), so a dead or stalled peer costs at
 * most that long and the call then completes exceptionally; Raft treats it as a lost message. A
 * forwarded write that fails this way has an unknown outcome (it may have reached the leader), so
 * callers must not report it as failed. The two long-lived calls are bounded per message instead:
 * AppendEntries and ReadIndex on the peer's {@link PeerStream} each have their deadline, and a
 * snapshot transfer ({@link SnapshotSender}) a timeout per chunk. Keepalive pings
 * ({@link PeerClients}) close a connection whose peer stopped answering, so a silently dead peer
 * is noticed in seconds.
 *
 * <p>Reconnection: a gRPC channel reconnects by itself, but with exponential backoff that grows to
 * two minutes, and calls made while it backs off fail at once. A peer restarted after a long outage
 * would stay unreachable that long. So when a call fails with UNAVAILABLE and its channel has
 * lived longer than the current reconnect interval, the channel is dropped and the next call dials
 * a fresh one, which connects immediately. The interval doubles from {@code reconnectMin} to
 * {@code reconnectMax} while an address keeps failing, which bounds the churn of channels to a peer
 * that stays down. The churn is not free: each generated client hooks itself onto the actor
 * system's termination until the system ends, about 6 KB per rebuilt channel (measured), so a peer
 * down for a day at the default 30 s cap holds about 17 MB. Dropping the peer from the membership
 * ({@link #updatePeers}) stops the rebuilding.
 */
public final class GrpcTransport implements Transport {

  /**
   * The transport's timing. {@link #defaults()} gives every value; the {@code with} methods
   * change one or two, and {@link #toBuilder()} names any of them.
   *
   * @param raftDeadline RequestVote, AppendEntries and Hello; short, since Raft retries on its own
   * @param clientCallDeadline Forward and ReadIndex; longer than the leader's own proposal and
   *     read-index timeouts, so the leader's answer (even a Timeout outcome) arrives before the
   *     transport gives up
   * @param adminCallDeadline Join and Leave forwarded to the leader; longer than the leader's own
   *     bound on a membership change, for the same reason (the node derives it from that bound)
   * @param reconnectMin first interval after which a failing channel is rebuilt
   * @param reconnectMax largest such interval
   * @param keepaliveInterval a connection the peer has sent nothing on for this long is pinged
   * @param keepaliveTimeout a ping unanswered for this long closes the connection
   * @param snapshotChunkTimeout a snapshot transfer fails when the follower takes no chunk for
   *     this long (and resumes at the next attempt)
   * @param streamResetTimeouts requests in a row that time out, with no response in between,
   *     after which a peer stream is torn down and re-opened
   * @param dialOverrides test-only: a peer address to dial another address instead (see {@link
   *     io.raftkv.config.TestHooks}); membership keeps the advertised address
   * @param peerTls mutual TLS towards peers; empty for plaintext
   */
  public record Settings(
      Duration raftDeadline,
      Duration clientCallDeadline,
      Duration adminCallDeadline,
      Duration reconnectMin,
      Duration reconnectMax,
      Duration keepaliveInterval,
      Duration keepaliveTimeout,
      Duration snapshotChunkTimeout,
      int streamResetTimeouts,
      Map<HostPort, HostPort> dialOverrides,
      Optional<PeerTls> peerTls) {
    public Settings {
      dialOverrides = Map.copyOf(dialOverrides);
      peerTls = peerTls == null ? Optional.empty() : peerTls;
      requirePositive("raftDeadline", raftDeadline);
      requirePositive("clientCallDeadline", clientCallDeadline);
      requirePositive("adminCallDeadline", adminCallDeadline);
      if (reconnectMin == null || reconnectMin.isNegative()) {
        throw new IllegalArgumentException("reconnectMin must be zero or positive");
      }
      if (reconnectMax == null || reconnectMax.compareTo(reconnectMin) < 0) {
        throw new IllegalArgumentException("reconnectMax must be at least reconnectMin");
      }
      requirePositive("keepaliveInterval", keepaliveInterval);
      requirePositive("keepaliveTimeout", keepaliveTimeout);
      requirePositive("snapshotChunkTimeout", snapshotChunkTimeout);
      if (streamResetTimeouts < 1) throw new IllegalArgumentException("streamResetTimeouts must be at least 1");
    }

    public static Settings defaults() {
      return new Builder().build();
    }

    /** A builder that starts from these settings. */
    public Builder toBuilder() {
      Builder b = new Builder();
      b.raftDeadline = raftDeadline;
      b.clientCallDeadline = clientCallDeadline;
      b.adminCallDeadline = adminCallDeadline;
      b.reconnectMin = reconnectMin;
      b.reconnectMax = reconnectMax;
      b.keepaliveInterval = keepaliveInterval;
      b.keepaliveTimeout = keepaliveTimeout;
      b.snapshotChunkTimeout = snapshotChunkTimeout;
      b.streamResetTimeouts = streamResetTimeouts;
      b.dialOverrides = dialOverrides;
      b.peerTls = peerTls;
      return b;
    }

    public Settings withRaftDeadline(Duration d) {
      return toBuilder().raftDeadline(d).build();
    }

    public Settings withClientCallDeadline(Duration d) {
      return toBuilder().clientCallDeadline(d).build();
    }

    public Settings withReconnect(Duration min, Duration max) {
      return toBuilder().reconnect(min, max).build();
    }

    public Settings withKeepalive(Duration interval, Duration timeout) {
      return toBuilder().keepalive(interval, timeout).build();
    }

    public Settings withSnapshotChunkTimeout(Duration d) {
      return toBuilder().snapshotChunkTimeout(d).build();
    }

    public Settings withStreamResetTimeouts(int n) {
      return toBuilder().streamResetTimeouts(n).build();
    }

    private static void requirePositive(String name, Duration d) {
      if (d == null || d.isZero() || d.isNegative()) throw new IllegalArgumentException(name + " must be positive");
    }

    /** Names each value of {@link Settings}; starts from the defaults. */
    public static final class Builder {
      private Duration raftDeadline = Duration.ofSeconds(2);
      private Duration clientCallDeadline = Duration.ofSeconds(10);
      /** The default node's bound on a membership change (110 s) plus two margins of 5 s. */
      private Duration adminCallDeadline = Duration.ofSeconds(120);
      private Duration reconnectMin = Duration.ofSeconds(1);
      private Duration reconnectMax = Duration.ofSeconds(30);
      private Duration keepaliveInterval = Duration.ofSeconds(2);
      private Duration keepaliveTimeout = Duration.ofSeconds(2);
      private Duration snapshotChunkTimeout = Duration.ofSeconds(10);
      private int streamResetTimeouts = 3;
      private Map<HostPort, HostPort> dialOverrides = Map.of();
      private Optional<PeerTls> peerTls = Optional.empty();

      private Builder() {}

      public Builder raftDeadline(Duration d) {
        raftDeadline = d;
        return this;
      }

      public Builder clientCallDeadline(Duration d) {
        clientCallDeadline = d;
        return this;
      }

      public Builder adminCallDeadline(Duration d) {
        adminCallDeadline = d;
        return this;
      }

      public Builder reconnect(Duration min, Duration max) {
        reconnectMin = min;
        reconnectMax = max;
        return this;
      }

      public Builder keepalive(Duration interval, Duration timeout) {
        keepaliveInterval = interval;
        keepaliveTimeout = timeout;
        return this;
      }

      public Builder snapshotChunkTimeout(Duration d) {
        snapshotChunkTimeout = d;
        return this;
      }

      public Builder streamResetTimeouts(int n) {
        streamResetTimeouts = n;
        return this;
      }

      public Builder dialOverrides(Map<HostPort, HostPort> overrides) {
        dialOverrides = overrides;
        return this;
      }

      public Builder peerTls(Optional<PeerTls> tls) {
        peerTls = tls;
        return this;
      }

      public Settings build() {
        return new Settings(raftDeadline, clientCallDeadline, adminCallDeadline, reconnectMin, reconnectMax,
            keepaliveInterval, keepaliveTimeout, snapshotChunkTimeout, streamResetTimeouts, dialOverrides, peerTls);
      }
    }
  }

  /** A cached channel to one address and what the reconnect rule needs to know about it. */
  private static final class PeerChannel {
    final RaftServiceClient client;
    final long createdNanos;
    final long reconnectNanos;
    /** Set once a call succeeds: a channel that worked restarts the reconnect interval at its minimum. */
    volatile boolean answered;
    /** The last call failed to connect; cleared by the next answer. */
    volatile boolean failing;
    private PeerStream stream;

    synchronized PeerStream stream(java.util.function.Supplier<PeerStream> open) {
      if (stream == null || stream.isClosed()) stream = open.get();
      return stream;
    }

    synchronized void clearStream(PeerStream s) {
      if (stream == s) stream = null;
    }

    synchronized PeerStream currentStream() {
      return stream;
    }

    PeerChannel(RaftServiceClient client, long createdNanos, long reconnectNanos) {
      this.client = client;
      this.createdNanos = createdNanos;
      this.reconnectNanos = reconnectNanos;
    }
  }

  private final long selfId;
  private final Settings settings;
  private final Executor executor;
  private final Materializer materializer;
  private final PeerClients clients;
  private final SnapshotSender snapshotSender;
  private final ConcurrentHashMap<String, PeerChannel> channels = new ConcurrentHashMap<>();
  /** Reconnect interval for the next channel to an address whose last channel never answered. */
  private final ConcurrentHashMap<String, Long> nextReconnectNanos = new ConcurrentHashMap<>();
  /** Guards creating and dropping channels, so a channel is never created for an address being removed. */
  private final Object lock = new Object();
  private volatile Map<Long, String> peers;
  private volatile boolean closed;
  private volatile PeerIdentity identity = PeerIdentity.OPEN;

  public GrpcTransport(ActorSystem<?> system, long selfId, Map<Long, String> initialPeers) {
    this(system, selfId, initialPeers, Settings.defaults());
  }

  public GrpcTransport(ActorSystem<?> system, long selfId, Map<Long, String> initialPeers, Settings settings) {
    this.selfId = selfId;
    this.settings = settings;
    // Every continuation runs on the system's dispatcher: on two cores the common pool has one
    // thread and spawns a new one per blocked task.
    this.executor = system.executionContext();
    this.materializer = Materializer.matFromSystem(system);
    this.clients = new PeerClients(system, settings);
    this.snapshotSender = new SnapshotSender(materializer, executor, settings.snapshotChunkTimeout());
    this.peers = Map.copyOf(initialPeers);
  }

  /**
   * Stamps every peer message with {@code identity} from now on, and drops responses it does not
   * admit (a response from another cluster, or from a wiped member, counts as lost).
   */
  public void useIdentity(PeerIdentity identity) {
    this.identity = identity;
  }

  @Override
  public CompletionStage<RaftMessage.Response> send(long peerId, RaftMessage.Request request) {
    PeerIdentity id = identity;
    if (request instanceof RaftMessage.RequestVote rv) {
      RequestVoteRequest wire = ProtoCodec.toProto(rv).toBuilder().setHeader(PeerHeaders.to(id, peerId)).build();
      return callPeer(peerId, c -> c.requestVote(wire),
          r -> PeerHeaders.admitted(id, "RequestVoteResponse", r.getHeader(), ProtoCodec.fromProto(r)));
    }
    if (request instanceof RaftMessage.AppendEntries ae) return sendOnStream(peerId, ae);
    if (request instanceof RaftMessage.TimeoutNow tn) {
      TimeoutNowRequest wire = ProtoCodec.toProto(tn).toBuilder().setHeader(PeerHeaders.to(id, peerId)).build();
      return callPeer(peerId, c -> c.timeoutNow(wire),
          r -> PeerHeaders.admitted(id, "TimeoutNowResponse", r.getHeader(), ProtoCodec.fromProto(r)));
    }
    return CompletableFuture.failedFuture(new IllegalArgumentException("no RPC for " + request));
  }

  /**
   * AppendEntries, the hot path, travel on one long-lived stream per peer rather than one unary
   * call each: a unary call sets up an HTTP/2 stream and a server-side stream graph per message,
   * which costs more than the message. A message that finds the stream broken or full fails at
   * once; one that gets no answer fails at the Raft deadline. Either is a lost message to Raft.
   */
  private CompletionStage<RaftMessage.Response> sendOnStream(long peerId, RaftMessage.AppendEntries ae) {
    PeerStream stream;
    try {
      stream = streamTo(peerId);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    PeerIdentity id = identity;
    AppendEntriesRequest wire = ProtoCodec.toProto(ae).toBuilder().setHeader(PeerHeaders.to(id, peerId)).build();
    return stream.send(wire, settings.raftDeadline())
        .thenApply(r -> PeerHeaders.admitted(id, "AppendEntriesResponse", r.getHeader(), ProtoCodec.fromProto(r)));
  }

  private PeerStream streamTo(long peerId) {
    String addr = peers.get(peerId);
    if (addr == null) throw new IllegalArgumentException("node " + peerId + " is not a known peer");
    PeerChannel pc = channelFor(addr);
    return pc.stream(() -> openStream(addr, pc));
  }

  private PeerStream openStream(String addr, PeerChannel pc) {
    PeerStream[] opened = new PeerStream[1];
    opened[0] = new PeerStream(addr, pc.client, materializer, executor, settings.streamResetTimeouts(), failure -> {
      pc.clearStream(opened[0]);
      if (failure == null) {
        pc.answered = true;
      } else if (isConnectionFailure(failure)) {
        pc.failing = true;
        maybeReconnect(addr, pc);
      }
    });
    return opened[0];
  }

  /**
   * Streams a snapshot (see {@link SnapshotSender}): a transfer that broke off is resumed after
   * the chunks the follower already holds, and only a follower that takes no chunk for the
   * snapshot chunk timeout fails it.
   */
  @Override
  public CompletionStage<RaftMessage.Response> installSnapshot(
      long peerId, RaftMessage.InstallSnapshot header, Source<byte[], NotUsed> chunks) {
    String addr = peers.get(peerId);
    PeerChannel pc;
    try {
      if (addr == null) throw new IllegalArgumentException("node " + peerId + " is not a known peer");
      pc = channelFor(addr);
    } catch (RuntimeException e) {
      chunks.runWith(Sink.cancelled(), materializer);
      return CompletableFuture.failedFuture(e);
    }
    PeerIdentity id = identity;
    PeerHeader stamp = PeerHeaders.to(id, peerId);
    return observe(addr, pc,
        snapshotSender.send(addr, pc.client, header, stamp,
            r -> PeerHeaders.check(id, "InstallSnapshotResponse", r.getHeader(), peerId, selfId), chunks),
        r -> PeerHeaders.admitted(id, "InstallSnapshotResponse", r.getHeader(), ProtoCodec.fromProto(r)));
  }

  @Override
  public CompletionStage<WriteOutcome> forward(long peerId, KvCommand command) {
    PeerIdentity id = identity;
    ForwardRequest wire = ProtoCodec.toForwardRequest(command).toBuilder()
        .setHeader(PeerHeaders.to(id, peerId)).build();
    // A dropped answer fails the call: the caller reports the write's outcome as unknown.
    return callPeer(peerId, c -> c.forward(wire), r -> {
      PeerHeaders.check(id, "ForwardResponse", r.getHeader(), peerId, selfId);
      return ProtoCodec.fromProto(r);
    });
  }

  @Override
  public CompletionStage<ReadIndexReply> readIndex(long peerId) {
    PeerStream stream;
    try {
      stream = streamTo(peerId);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    PeerIdentity id = identity;
    return stream.readIndex(ProtoCodec.toReadIndexRequest(selfId).toBuilder()
            .setHeader(PeerHeaders.to(id, peerId)).build(), settings.clientCallDeadline())
        .thenApply(r -> {
          PeerHeaders.check(id, "ReadIndexResponse", r.getHeader(), peerId, selfId);
          return ProtoCodec.fromProto(r);
        });
  }

  @Override
  public CompletionStage<AdminOutcome> join(String raftAddr, Member member, boolean forwarded) {
    JoinRequest wire = ProtoCodec.toJoinRequest(member, forwarded).toBuilder().setHeader(stampFor(raftAddr)).build();
    return call(raftAddr, c -> c.join(wire), ProtoCodec::fromProto);
  }

  @Override
  public CompletionStage<AdminOutcome> leave(String raftAddr, long nodeId, boolean force, boolean forwarded) {
    return call(raftAddr,
        c -> c.leave(LeaveRequest.newBuilder().setNodeId(nodeId).setForwarded(forwarded).setForce(force)
            .setHeader(stampFor(raftAddr)).build()),
        ProtoCodec::fromProto);
  }

  @Override
  public CompletionStage<AdminOutcome> transferLeader(String raftAddr, long nodeId, boolean forwarded) {
    return call(raftAddr,
        c -> c.transferLeader(TransferLeaderRequest.newBuilder().setNodeId(nodeId).setForwarded(forwarded)
            .setHeader(stampFor(raftAddr)).build()),
        ProtoCodec::fromProto);
  }

  @Override
  public CompletionStage<PeerInfo> hello(String raftAddr) {
    HelloRequest wire = HelloRequest.newBuilder().setHeader(stampFor(raftAddr)).build();
    return call(raftAddr, c -> c.hello(wire), ProtoCodec::fromProto);
  }

  private PeerHeader stampFor(String raftAddr) {
    return PeerHeaders.forAddress(identity, peers, raftAddr);
  }

  /**
   * Replaces the membership's address map. Channels to addresses no longer in it are closed
   * (including ones only used for Hello; they are rebuilt if asked again); new peers are dialled
   * lazily on their first call.
   */
  @Override
  public void updatePeers(Map<Long, String> raftAddrById) {
    Map<Long, String> next = Map.copyOf(raftAddrById);
    Set<String> keep = new HashSet<>(next.values());
    synchronized (lock) {
      peers = next;
      for (String addr : Set.copyOf(channels.keySet())) {
        if (!keep.contains(addr)) drop(addr);
      }
      nextReconnectNanos.keySet().retainAll(keep);
    }
  }

  /**
   * A peer that just sent us a message is up: if our channel to it is failing (and so may sit in
   * gRPC's reconnect backoff), drop it so the next call dials at once.
   */
  @Override
  public void peerSeen(long peerId) {
    String addr = peers.get(peerId);
    if (addr == null) return;
    PeerChannel pc = channels.get(addr);
    if (pc == null || !pc.failing) return;
    synchronized (lock) {
      if (closed || channels.get(addr) != pc) return;
      nextReconnectNanos.put(addr, settings.reconnectMin().toNanos());
      drop(addr);
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      for (String addr : Set.copyOf(channels.keySet())) drop(addr);
      nextReconnectNanos.clear();
    }
  }

  private <A, R> CompletionStage<R> callPeer(
      long peerId, Function<RaftServiceClient, CompletionStage<A>> invoke, Function<A, R> decode) {
    String addr = peers.get(peerId);
    if (addr == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("node " + peerId + " is not a known peer"));
    }
    return call(addr, invoke, decode);
  }

  private <A, R> CompletionStage<R> call(
      String addr, Function<RaftServiceClient, CompletionStage<A>> invoke, Function<A, R> decode) {
    PeerChannel pc;
    CompletionStage<A> answer;
    try {
      pc = channelFor(addr);
      answer = invoke.apply(pc.client);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return observe(addr, pc, answer, decode);
  }

  /** Decodes a call's answer, noting on the channel whether the peer answered or was unreachable. */
  private <A, R> CompletionStage<R> observe(
      String addr, PeerChannel pc, CompletionStage<A> answer, Function<A, R> decode) {
    return answer.handleAsync(
        (a, error) -> {
          if (error != null) {
            Throwable cause = unwrap(error);
            if (isConnectionFailure(cause)) {
              pc.failing = true;
              maybeReconnect(addr, pc);
            }
            throw new CompletionException(cause);
          }
          pc.answered = true;
          pc.failing = false;
          return decode.apply(a);
        },
        executor);
  }

  private PeerChannel channelFor(String addr) {
    PeerChannel existing = channels.get(addr);
    if (existing != null) return existing;
    synchronized (lock) {
      if (closed) throw new IllegalStateException("transport is closed");
      existing = channels.get(addr);
      if (existing != null) return existing;
      long reconnect = nextReconnectNanos.getOrDefault(addr, settings.reconnectMin().toNanos());
      PeerChannel created = new PeerChannel(clients.create(addr, memberAt(addr)), System.nanoTime(), reconnect);
      channels.put(addr, created);
      // The channel also ends on its own when Pekko gives up connecting (connection-attempts);
      // forget it then, so the next call dials again instead of using a dead channel.
      created.client.closed().whenCompleteAsync((done, error) -> channels.remove(addr, created), executor);
      return created;
    }
  }

  /** The id of the one member at {@code addr}, or 0 when none or several are. */
  private long memberAt(String addr) {
    long found = 0;
    for (Map.Entry<Long, String> e : peers.entrySet()) {
      if (e.getValue().equals(addr)) {
        if (found != 0) return 0;
        found = e.getKey();
      }
    }
    return found;
  }

  /** Rebuilds the channel to {@code addr} if {@code pc} has been failing for its reconnect interval. */
  private void maybeReconnect(String addr, PeerChannel pc) {
    if (System.nanoTime() - pc.createdNanos < pc.reconnectNanos) return;
    synchronized (lock) {
      if (closed || channels.get(addr) != pc) return; // closed, or already replaced by another failing call
      long next = pc.answered
          ? settings.reconnectMin().toNanos()
          : Math.min(Math.max(pc.reconnectNanos * 2, 1), settings.reconnectMax().toNanos());
      nextReconnectNanos.put(addr, next);
      drop(addr);
    }
  }

  /** Closes and forgets the channel to {@code addr}; calls already in flight on it may finish. */
  private void drop(String addr) {
    PeerChannel pc = channels.remove(addr);
    if (pc != null) {
      PeerStream s = pc.currentStream();
      if (s != null) s.reset(new IllegalStateException("channel to " + addr + " closed"));
      pc.client.close();
    }
  }

  private static boolean isConnectionFailure(Throwable t) {
    return t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAVAILABLE;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }
}
