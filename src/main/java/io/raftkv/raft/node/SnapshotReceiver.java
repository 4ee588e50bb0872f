package io.raftkv.raft.node;

import io.raftkv.raft.core.RaftMessage;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The follower's side of §7 InstallSnapshot transfers that resume. Chunks are staged by storage
 * as they arrive (never all in memory); when a transfer breaks off, the staging stays, and the
 * leader's next transfer of the same snapshot in the same term starts after the chunks already
 * staged. Only after the last chunk does the node, through the core, decide whether to make the
 * snapshot live, in one synced write.
 *
 * <p>One transfer at a time: a new one (or a leader's probe) first stops the transfer before it
 * and waits until that one has ended, so a stream the leader already gave up on, still trickling
 * in over a slow link, never writes into the staging behind the new stream's back, and a
 * snapshot already handed to the node is committed before anything touches its staging again.
 */
final class SnapshotReceiver {
  /** What the receiver needs from the node; asks to the node actor in production. */
  interface Node {
    /** Begins, or resumes, the install of {@code meta} from the leader of {@code leaderTerm}. */
    CompletionStage<SnapshotSink> beginInstall(SnapshotMeta meta, long leaderTerm);

    /** Hands a fully staged snapshot to the core; completes once it is live (or refused). */
    CompletionStage<RaftMessage.Response> installReceived(RaftMessage.InstallSnapshot header, SnapshotSink sink);
  }

  private final Node node;
  private final Materializer materializer;
  // Guarded by this: the transfer in progress and the switch that stops its chunk stream.
  private CompletableFuture<?> current = CompletableFuture.completedFuture(null);
  private SharedKillSwitch currentSwitch;

  SnapshotReceiver(Node node, Materializer materializer) {
    this.node = node;
    this.materializer = materializer;
  }

  /** How many chunks of the snapshot {@code header} names are staged here (0 if none). */
  CompletionStage<Long> probe(RaftMessage.InstallSnapshot header) {
    return exclusive(null, () -> node.beginInstall(metaOf(header), header.term()).thenApply(SnapshotSink::stagedChunks));
  }

  /**
   * Stages {@code chunks}, which start at chunk {@code firstChunk}, then hands the snapshot to
   * the node. Fails without touching the staging when this node holds a different number of
   * chunks than the leader resumes at; the leader then asks again and resumes where it should.
   */
  CompletionStage<RaftMessage.Response> receive(
      RaftMessage.InstallSnapshot header, long firstChunk, Source<byte[], NotUsed> chunks) {
    SharedKillSwitch stop = KillSwitches.shared("snapshot-from-" + header.from());
    return exclusive(stop, () -> node.beginInstall(metaOf(header), header.term())
        .thenCompose(sink -> {
          long staged = sink.stagedChunks();
          if (staged != firstChunk) {
            chunks.runWith(Sink.cancelled(), materializer);
            return CompletableFuture.failedFuture(new IllegalStateException(
                "this node holds " + staged + " chunks of the snapshot at index " + header.lastIncludedIndex()
                    + " staged, but the leader resumed at chunk " + firstChunk + "; ask again"));
          }
          return chunks
              .via(stop.flow())
              // Writing the staging blocks on disk: keep it off the node's dispatcher.
              .withAttributes(ActorAttributes.dispatcher("raftkv-snapshot-dispatcher"))
              .runForeach(sink::write, materializer)
              // A transfer that broke off keeps what it staged, for the next one to resume.
              .thenApply(done -> sink);
        })
        .thenCompose(sink -> node.installReceived(header, sink)));
  }

  /**
   * Runs {@code transfer} once the one before it has ended, after stopping that one's chunk
   * stream; {@code stop} (null for a probe) is what a later transfer uses to stop this one.
   */
  private <T> CompletionStage<T> exclusive(
      SharedKillSwitch stop, java.util.function.Supplier<CompletionStage<T>> transfer) {
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletableFuture<?> before;
    synchronized (this) {
      before = current;
      if (currentSwitch != null) {
        currentSwitch.abort(new IllegalStateException("a newer snapshot transfer replaced this one"));
      }
      currentSwitch = stop;
      current = result;
    }
    before.handle((r, e) -> null).thenCompose(ignored -> {
      try {
        return transfer.get();
      } catch (RuntimeException e) {
        return CompletableFuture.<T>failedFuture(e);
      }
    }).whenComplete((r, e) -> {
      if (e != null) {
        result.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
      } else {
        result.complete(r);
      }
    });
    return result;
  }

  private static SnapshotMeta metaOf(RaftMessage.InstallSnapshot header) {
    return new SnapshotMeta(
        header.lastIncludedIndex(), header.lastIncludedTerm(), header.membership(), 0, System.currentTimeMillis());
  }
}
