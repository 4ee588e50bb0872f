package io.raftkv.transport;

import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.InstallSnapshotChunk;
import io.raftkv.transport.grpc.InstallSnapshotResponse;
import io.raftkv.transport.grpc.PeerHeader;
import io.raftkv.transport.grpc.RaftServiceClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of §7 InstallSnapshot transfers that resume.
 *
 * <p>A transfer is two calls. First a probe: the header alone, to which the follower answers how
 * many chunks of this very snapshot (same last included index and term, same leader term) it
 * already holds staged from a transfer that broke off. Then the stream: the header again, saying
 * which chunk the data starts at, and the chunks from there on. The chunks before it are still
 * read from the snapshot, to find where to start, but are not sent.
 *
 * <p>No deadline bounds the whole transfer, since a large snapshot over a slow link may take
 * any time. It fails instead when the follower takes no chunk for {@code chunkTimeout}, or when
 * the follower's answer does not come within {@link #ANSWER_TIMEOUT} after the last chunk, the
 * time the follower has to make the snapshot live. Either way, the next attempt resumes.
 */
final class SnapshotSender {
  private static final Logger log = LoggerFactory.getLogger(SnapshotSender.class);
  /**
   * How long the answer may take after the last chunk: the follower's own bound on making a
   * received snapshot live (one flush and one synced write, then a checkpoint) is 30 s.
   */
  static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(40);

  private final Materializer materializer;
  private final Executor executor;
  private final Duration chunkTimeout;

  SnapshotSender(Materializer materializer, Executor executor, Duration chunkTimeout) {
    this.materializer = materializer;
    this.executor = executor;
    this.chunkTimeout = chunkTimeout;
  }

  /**
   * Sends the snapshot {@code header} describes, whose data {@code chunks} yields from the
   * start, and completes with the follower's answer. {@code chunks} is run exactly once, or
   * cancelled when the transfer fails before it starts, so whatever it holds open is released.
   * Both calls carry the peer header {@code stamp}; {@code checkProbe} throws when the probe's
   * answer does not come from the member asked, so a stranger cannot steer where data resumes.
   */
  CompletionStage<InstallSnapshotResponse> send(
      String addr, RaftServiceClient client, RaftMessage.InstallSnapshot header, PeerHeader stamp,
      Consumer<InstallSnapshotResponse> checkProbe, Source<byte[], NotUsed> chunks) {
    CompletableFuture<InstallSnapshotResponse> probe;
    try {
      probe = client.installSnapshot(Source.single(ProtoCodec.probeChunk(header).toBuilder().setHeader(stamp).build()))
          .toCompletableFuture()
          .orTimeout(chunkTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .thenApply(answer -> {
            checkProbe.accept(answer);
            return answer;
          });
    } catch (RuntimeException e) {
      probe = CompletableFuture.failedFuture(e);
    }
    // On the system's dispatcher: orTimeout would otherwise run the rest on the common pool.
    return probe.handleAsync((answer, failure) -> {
      if (failure != null && knowsNoProbes(failure)) {
        // A follower of an earlier version: it cannot resume, so it gets the whole snapshot.
        return stream(addr, client, header, stamp, chunks, 0);
      }
      if (failure != null) {
        chunks.runWith(Sink.cancelled(), materializer);
        return CompletableFuture.<InstallSnapshotResponse>failedFuture(failure);
      }
      return stream(addr, client, header, stamp, chunks, answer.getStagedChunks());
    }, executor).thenCompose(f -> f);
  }

  /** An earlier version refuses a probe, which has no membership, as a chunk without a header. */
  private static boolean knowsNoProbes(Throwable failure) {
    Throwable t = failure;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
    return t instanceof io.grpc.StatusRuntimeException s
        && s.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT;
  }

  private CompletionStage<InstallSnapshotResponse> stream(
      String addr, RaftServiceClient client, RaftMessage.InstallSnapshot header, PeerHeader stamp,
      Source<byte[], NotUsed> chunks, long firstChunk) {
    if (firstChunk > 0) {
      log.info("resuming the snapshot at index {} to {} at chunk {}: the follower holds the chunks before it",
          header.lastIncludedIndex(), addr, firstChunk);
    }
    CompletableFuture<InstallSnapshotResponse> answer = new CompletableFuture<>();
    Source<InstallSnapshotChunk, NotUsed> wire = Source.single(ProtoCodec.resumeChunk(header, firstChunk).toBuilder().setHeader(stamp).build())
        .concat(chunks
            // Before the skip, so that chunks read only to be skipped count as progress too.
            .idleTimeout(chunkTimeout)
            .drop(firstChunk)
            .map(ProtoCodec::dataChunk))
        .watchTermination((mat, done) -> {
          // The last chunk is taken: from now on only the follower's answer is awaited.
          done.thenRun(() -> answer.orTimeout(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
          return mat;
        });
    CompletionStage<InstallSnapshotResponse> call;
    try {
      call = client.installSnapshot(wire);
    } catch (RuntimeException e) {
      chunks.runWith(Sink.cancelled(), materializer);
      return CompletableFuture.failedFuture(e);
    }
    call.whenComplete((r, e) -> {
      if (e != null) answer.completeExceptionally(e);
      else answer.complete(r);
    });
    return answer;
  }
}
