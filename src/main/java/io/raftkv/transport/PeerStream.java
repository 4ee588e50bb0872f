package io.raftkv.transport;

import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.AppendStreamMessage;
import io.raftkv.transport.grpc.ProtoCodec;
import io.raftkv.transport.grpc.RaftServiceClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's long-lived stream for AppendEntries and ReadIndex: requests go out through a queue,
 * responses are matched to them by id.
 *
 * <p>Every request completes: with its response, or exceptionally when it finds the stream full
 * or closed, when its deadline passes, or when the stream dies under it. Raft treats each failure
 * as a lost message, so nothing is lost silently.
 *
 * <p>A stream can go half dead: the connection still looks open, but the peer's side stopped
 * answering (it is stuck on one request, which holds up every later one since a stream is
 * answered in order, or the responses are lost somewhere). Keepalive pings do not catch that,
 * since the connection itself answers them. So when {@code resetAfterTimeouts} requests in a row
 * time out with no response at all in between, the stream is torn down (its gRPC call cancelled)
 * and the next request opens a fresh one.
 */
final class PeerStream {
  private static final Logger log = LoggerFactory.getLogger(PeerStream.class);
  static final int BUFFER = 1024;

  private final String addr;
  private final Executor executor;
  private final int resetAfterTimeouts;
  private final ConcurrentHashMap<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong();
  private final AtomicInteger timeoutsInARow = new AtomicInteger();
  private final SourceQueueWithComplete<AppendStreamMessage> queue;
  private final UniqueKillSwitch killSwitch;
  private final CompletionStage<?> ended;
  private volatile boolean closed;

  /**
   * Opens the stream on {@code client}. {@code onEnd} runs once, with the cause, when the stream
   * ends for any reason: failure, reset, or the peer closing it.
   */
  PeerStream(
      String addr, RaftServiceClient client, Materializer materializer, Executor executor,
      int resetAfterTimeouts, Consumer<Throwable> onEnd) {
    this.addr = addr;
    this.executor = executor;
    this.resetAfterTimeouts = resetAfterTimeouts;
    Pair<SourceQueueWithComplete<AppendStreamMessage>, Source<AppendStreamMessage, NotUsed>> pre =
        Source.<AppendStreamMessage>queue(BUFFER, OverflowStrategy.dropNew()).preMaterialize(materializer);
    this.queue = pre.first();
    Pair<UniqueKillSwitch, CompletionStage<org.apache.pekko.Done>> running = client.appendStream(pre.second())
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.foreach(this::onResponse), Keep.both())
        .run(materializer);
    this.killSwitch = running.first();
    this.ended = running.second().whenCompleteAsync((done, failure) -> {
      Throwable cause = failure == null
          ? new IllegalStateException("append stream to " + addr + " ended")
          : unwrap(failure);
      close(cause);
      onEnd.accept(failure == null ? null : cause);
    }, executor);
  }

  boolean isClosed() {
    return closed;
  }

  CompletionStage<RaftMessage.Response> send(RaftMessage.AppendEntries ae, Duration deadline) {
    return request(AppendStreamMessage.newBuilder().setRequest(ProtoCodec.toProto(ae)), deadline)
        .thenApply(o -> (RaftMessage.Response) o);
  }

  CompletionStage<ReadIndexReply> readIndex(long selfId, Duration deadline) {
    return request(AppendStreamMessage.newBuilder().setReadIndexRequest(ProtoCodec.toReadIndexRequest(selfId)), deadline)
        .thenApply(o -> (ReadIndexReply) o);
  }

  private CompletableFuture<Object> request(AppendStreamMessage.Builder message, Duration deadline) {
    long id = nextId.incrementAndGet();
    CompletableFuture<Object> answer = new CompletableFuture<>();
    pending.put(id, answer);
    if (closed) {
      pending.remove(id);
      return CompletableFuture.failedFuture(new IllegalStateException("peer stream to " + addr + " closed"));
    }
    queue.offer(message.setId(id).build()).whenComplete((result, failure) -> {
      if (failure != null || result != QueueOfferResult.enqueued()) {
        CompletableFuture<Object> f = pending.remove(id);
        if (f != null) f.completeExceptionally(new IllegalStateException("peer stream to " + addr + " full or closed"));
      }
    });
    return answer
        .orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync((r, e) -> {
          pending.remove(id);
          if (e instanceof TimeoutException) onTimeout();
        }, executor);
  }

  private void onResponse(AppendStreamMessage m) {
    timeoutsInARow.set(0);
    CompletableFuture<Object> f = pending.remove(m.getId());
    if (f == null) return;
    if (m.hasReadIndexResponse()) {
      f.complete(ProtoCodec.fromProto(m.getReadIndexResponse()));
    } else {
      f.complete(ProtoCodec.fromProto(m.getResponse()));
    }
  }

  private void onTimeout() {
    if (timeoutsInARow.incrementAndGet() < resetAfterTimeouts || closed) return;
    log.warn("stream to peer {} is half dead: {} requests in a row timed out without any response; reopening it",
        addr, resetAfterTimeouts);
    reset(new IllegalStateException(
        "stream to peer " + addr + " reset after " + resetAfterTimeouts + " requests in a row timed out"));
  }

  /** Cancels the stream's call and fails every request still waiting on it. */
  void reset(Throwable cause) {
    close(cause);
    killSwitch.abort(cause);
  }

  /** Completes when the stream has ended and {@code onEnd} has run. */
  CompletionStage<?> ended() {
    return ended;
  }

  private void close(Throwable cause) {
    closed = true;
    queue.complete();
    for (Long id : List.copyOf(pending.keySet())) {
      CompletableFuture<Object> f = pending.remove(id);
      if (f != null) f.completeExceptionally(cause);
    }
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }
}
