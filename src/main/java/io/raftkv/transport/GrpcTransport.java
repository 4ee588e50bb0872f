package io.raftkv.transport;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.transport.grpc.AppendEntriesRequest;
import io.raftkv.transport.grpc.AppendEntriesResponse;
import io.raftkv.transport.grpc.AppendStreamMessage;
import io.raftkv.transport.grpc.ForwardRequest;
import io.raftkv.transport.grpc.JoinRequest;
import io.raftkv.transport.grpc.PeerHeader;
import io.raftkv.transport.grpc.ReadIndexRequest;
import io.raftkv.transport.grpc.ReadIndexResponse;
import io.raftkv.transport.grpc.RequestVoteRequest;
import io.raftkv.transport.grpc.TimeoutNowRequest;
import io.raftkv.transport.grpc.InstallSnapshotChunk;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import io.raftkv.transport.grpc.LeaveRequest;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.HelloRequest;
import io.raftkv.transport.grpc.ProtoCodec;
import io.raftkv.transport.grpc.RaftService;
import io.raftkv.transport.grpc.RaftServiceClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * {@link Transport} over Pekko gRPC: one plaintext HTTP/2 channel per peer address, created on
 * first use and cached, shared by Raft RPCs, client calls and Hello.
 *
 * <p>Every call carries a gRPC deadline, so a dead or stalled peer costs at most that long and the
 * call then completes exceptionally; Raft treats it as a lost message. A forwarded write that fails
 * this way has an unknown outcome (it may have reached the leader), so callers must not report it
 * as failed.
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
   * @param raftDeadline RequestVote, AppendEntries and Hello; short, since Raft retries on its own
   * @param clientCallDeadline Forward and ReadIndex; longer than the leader's own proposal and
   *     read-index timeouts, so the leader's answer (even a Timeout outcome) arrives before the
   *     transport gives up
   * @param reconnectMin first interval after which a failing channel is rebuilt
   * @param reconnectMax largest such interval
   */
  public record Settings(
      Duration raftDeadline, Duration clientCallDeadline, Duration reconnectMin, Duration reconnectMax) {
    public Settings {
      requirePositive("raftDeadline", raftDeadline);
      requirePositive("clientCallDeadline", clientCallDeadline);
      if (reconnectMin == null || reconnectMin.isNegative()) {
        throw new IllegalArgumentException("reconnectMin must be zero or positive");
      }
      if (reconnectMax == null || reconnectMax.compareTo(reconnectMin) < 0) {
        throw new IllegalArgumentException("reconnectMax must be at least reconnectMin");
      }
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    public Settings withRaftDeadline(Duration d) {
      return new Settings(d, clientCallDeadline, reconnectMin, reconnectMax);
    }

    public Settings withClientCallDeadline(Duration d) {
      return new Settings(raftDeadline, d, reconnectMin, reconnectMax);
    }

    public Settings withReconnect(Duration min, Duration max) {
      return new Settings(raftDeadline, clientCallDeadline, min, max);
    }

    private static void requirePositive(String name, Duration d) {
      if (d == null || d.isZero() || d.isNegative()) throw new IllegalArgumentException(name + " must be positive");
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
    private AppendStream stream;

    synchronized AppendStream appendStream(java.util.function.Supplier<AppendStream> open) {
      if (stream == null || stream.closed) stream = open.get();
      return stream;
    }

    synchronized void clearStream(AppendStream s) {
      if (stream == s) stream = null;
    }

    PeerChannel(RaftServiceClient client, long createdNanos, long reconnectNanos) {
      this.client = client;
      this.createdNanos = createdNanos;
      this.reconnectNanos = reconnectNanos;
    }
  }

  private final ActorSystem<?> system;
  private final long selfId;
  private final Settings settings;
  private final Executor executor;
  private final Materializer materializer;
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
    this.system = system;
    this.selfId = selfId;
    this.settings = settings;
    // Every continuation runs on the system's dispatcher: on two cores the common pool has one
    // thread and spawns a new one per blocked task (STACK pitfall 12).
    this.executor = system.executionContext();
    this.materializer = Materializer.matFromSystem(system);
    this.peers = Map.copyOf(initialPeers);
  }

  public long selfId() {
    return selfId;
  }

  /**
   * Stamps every peer message with {@code identity} from now on, and drops responses it does not
   * admit (a response from another cluster, or from a wiped member, counts as lost).
   */
  public void useIdentity(PeerIdentity identity) {
    this.identity = identity;
  }

  public Settings settings() {
    return settings;
  }

  /** The current id to address map, as last given to the constructor or {@link #updatePeers}. */
  public Map<Long, String> peers() {
    return peers;
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
    AppendStream stream;
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

  private AppendStream streamTo(long peerId) {
    String addr = peers.get(peerId);
    if (addr == null) throw new IllegalArgumentException("node " + peerId + " is not a known peer");
    PeerChannel pc = channelFor(addr);
    return pc.appendStream(() -> openStream(addr, pc));
  }

  private AppendStream openStream(String addr, PeerChannel pc) {
    AppendStream stream = new AppendStream(executor);
    Pair<SourceQueueWithComplete<AppendStreamMessage>, Source<AppendStreamMessage, NotUsed>> pre =
        Source.<AppendStreamMessage>queue(AppendStream.BUFFER, OverflowStrategy.dropNew()).preMaterialize(materializer);
    stream.queue = pre.first();
    pc.client.appendStream(pre.second())
        .runWith(Sink.foreach(stream::onResponse), materializer)
        .whenCompleteAsync((done, failure) -> {
          Throwable cause = failure == null ? new IllegalStateException("append stream to " + addr + " ended") : unwrap(failure);
          stream.close(cause);
          pc.clearStream(stream);
          if (failure != null && isConnectionFailure(cause)) {
            pc.failing = true;
            maybeReconnect(addr, pc);
          } else if (failure == null) {
            pc.answered = true;
          }
        }, executor);
    return stream;
  }

  @Override
  public CompletionStage<RaftMessage.Response> installSnapshot(
      long peerId, RaftMessage.InstallSnapshot header, Source<byte[], NotUsed> chunks) {
    // The header rides on the first chunk (an empty one if the snapshot has no data at all).
    PeerIdentity id = identity;
    PeerHeader stamp = ProtoCodec.toProto(id.toPeer(peerId));
    Source<InstallSnapshotChunk, NotUsed> wire = chunks
        .prepend(Source.single(new byte[0]))
        .zipWithIndex()
        .map(p -> p.second() == 0
            ? ProtoCodec.headerChunk(header, p.first()).toBuilder().setHeader(stamp).build()
            : ProtoCodec.dataChunk(p.first()));
    return callPeer(peerId, c -> c.installSnapshot(wire),
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
    AppendStream stream;
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
      PeerChannel created = new PeerChannel(newClient(addr), System.nanoTime(), reconnect);
      channels.put(addr, created);
      // The channel also ends on its own when Pekko gives up connecting (connection-attempts);
      // forget it then, so the next call dials again instead of using a dead channel.
      created.client.closed().whenCompleteAsync((done, error) -> channels.remove(addr, created), executor);
      return created;
    }
  }

  private RaftServiceClient newClient(String addr) {
    HostPort hp = HostPort.parse(addr);
    GrpcClientSettings clientSettings =
        GrpcClientSettings.connectToServiceAt(hp.host(), hp.port(), system)
            // Peers talk plaintext HTTP/2; the client default is TLS (STACK pitfall 3).
            .withTls(false)
            .withChannelBuilderOverrides(builder -> builder.intercept(new DeadlineInterceptor(settings)));
    return RaftServiceClient.create(clientSettings, system);
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
      AppendStream s = pc.stream;
      if (s != null) s.close(new IllegalStateException("channel to " + addr + " closed"));
      pc.client.close();
    }
  }

  /**
   * One peer's stream for AppendEntries and ReadIndex: requests out through a queue, responses
   * matched by id.
   */
  private static final class AppendStream {
    static final int BUFFER = 1024;
    private final java.util.concurrent.ConcurrentHashMap<Long, CompletableFuture<Object>> pending =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong nextId = new java.util.concurrent.atomic.AtomicLong();
    private final Executor executor;
    volatile SourceQueueWithComplete<AppendStreamMessage> queue;
    volatile boolean closed;

    AppendStream(Executor executor) {
      this.executor = executor;
    }

    CompletionStage<AppendEntriesResponse> send(AppendEntriesRequest ae, Duration deadline) {
      return request(AppendStreamMessage.newBuilder().setRequest(ae), deadline)
          .thenApply(o -> (AppendEntriesResponse) o);
    }

    CompletionStage<ReadIndexResponse> readIndex(ReadIndexRequest request, Duration deadline) {
      return request(AppendStreamMessage.newBuilder().setReadIndexRequest(request), deadline)
          .thenApply(o -> (ReadIndexResponse) o);
    }

    private CompletableFuture<Object> request(AppendStreamMessage.Builder message, Duration deadline) {
      long id = nextId.incrementAndGet();
      CompletableFuture<Object> answer = new CompletableFuture<>();
      pending.put(id, answer);
      if (closed) {
        pending.remove(id);
        return CompletableFuture.failedFuture(new IllegalStateException("peer stream closed"));
      }
      queue.offer(message.setId(id).build()).whenComplete((result, failure) -> {
        if (failure != null || result != QueueOfferResult.enqueued()) {
          CompletableFuture<Object> f = pending.remove(id);
          if (f != null) f.completeExceptionally(new IllegalStateException("peer stream full or closed"));
        }
      });
      return answer
          .orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .whenCompleteAsync((r, e) -> pending.remove(id), executor);
    }

    void onResponse(AppendStreamMessage m) {
      CompletableFuture<Object> f = pending.remove(m.getId());
      if (f == null) return;
      if (m.hasReadIndexResponse()) {
        f.complete(m.getReadIndexResponse());
      } else {
        f.complete(m.getResponse());
      }
    }

    void close(Throwable cause) {
      closed = true;
      SourceQueueWithComplete<AppendStreamMessage> q = queue;
      if (q != null) q.complete();
      for (Long id : java.util.List.copyOf(pending.keySet())) {
        CompletableFuture<Object> f = pending.remove(id);
        if (f != null) f.completeExceptionally(cause);
      }
    }
  }

  private static boolean isConnectionFailure(Throwable t) {
    return t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAVAILABLE;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }

  /**
   * Gives each call its deadline by method: the Pekko gRPC client applies its configured deadline
   * on some call paths only, so the deadline is set where every call passes, on the channel.
   * A shorter deadline already on the call is kept.
   */
  private static final class DeadlineInterceptor implements ClientInterceptor {
    private static final String FORWARD = MethodDescriptor.generateFullMethodName(RaftService.name, "Forward");
    private static final String READ_INDEX = MethodDescriptor.generateFullMethodName(RaftService.name, "ReadIndex");
    private static final String JOIN = MethodDescriptor.generateFullMethodName(RaftService.name, "Join");
    private static final String LEAVE = MethodDescriptor.generateFullMethodName(RaftService.name, "Leave");
    private static final String APPEND_STREAM = MethodDescriptor.generateFullMethodName(RaftService.name, "AppendStream");
    private static final String INSTALL_SNAPSHOT =
        MethodDescriptor.generateFullMethodName(RaftService.name, "InstallSnapshot");
    /** A join waits while the learner catches up, which takes as long as the log is big. */
    private static final long ADMIN_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final long raftNanos;
    private final long clientCallNanos;

    DeadlineInterceptor(Settings settings) {
      this.raftNanos = settings.raftDeadline().toNanos();
      this.clientCallNanos = settings.clientCallDeadline().toNanos();
    }

    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
      String name = method.getFullMethodName();
      // The append stream lives as long as the connection; each message has its own deadline.
      if (APPEND_STREAM.equals(name)) return next.newCall(method, options);
      long nanos = FORWARD.equals(name) || READ_INDEX.equals(name) ? clientCallNanos : raftNanos;
      if (JOIN.equals(name) || LEAVE.equals(name) || INSTALL_SNAPSHOT.equals(name)) nanos = ADMIN_NANOS;
      Deadline deadline = Deadline.after(nanos, TimeUnit.NANOSECONDS);
      Deadline existing = options.getDeadline();
      if (existing != null && existing.isBefore(deadline)) deadline = existing;
      return next.newCall(method, options.withDeadline(deadline));
    }
  }

  /** A raft address, {@code host:port} or {@code [ipv6]:port}. */
  record HostPort(String host, int port) {
    static HostPort parse(String addr) {
      if (addr == null) throw new IllegalArgumentException("raft address is required");
      int colon = addr.lastIndexOf(':');
      if (colon <= 0 || colon == addr.length() - 1) {
        throw new IllegalArgumentException("raft address must be host:port, got '" + addr + "'");
      }
      String host = addr.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
      int port;
      try {
        port = Integer.parseInt(addr.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad port in raft address '" + addr + "'");
      }
      if (port < 1 || port > 65535) throw new IllegalArgumentException("bad port in raft address '" + addr + "'");
      return new HostPort(host, port);
    }
  }
}
