package io.raftkv.raft.node;

import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.driver.Reply;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.RaftLogStore;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSink;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.storage.SnapshotStore;
import io.raftkv.storage.StateMachineStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.LongPredicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns the node's durable state: log, hard state, state machine and snapshots. It runs on a
 * dispatcher of its own because every persist blocks on fsync. Requests are served strictly in
 * arrival order, so an Apply sent after a Persist's acknowledgement always sees that persist's
 * entries, and a snapshot is always taken between two applies.
 *
 * <p>A storage failure is fatal: the actor throws, stops, and the node (which watches it) stops
 * too. Continuing after a failed fsync could acknowledge data that is not on disk.
 */
public final class StorageActor extends AbstractBehavior<StorageActor.Command> {

  public sealed interface Command
      permits Persist, Apply, CreateSnapshot, PurgeLog, OpenSnapshot, BeginInstall, CompactionFailed {}

  /**
   * Durably write {@code batch}, after making {@code install} live if it is set (a received
   * snapshot), then tell {@code replyTo} {@code Persisted(seq)}.
   */
  public record Persist(
      long seq, PersistBatch batch, SnapshotSink install, boolean keepLogAfterIndex, ActorRef<RaftNode.Command> replyTo)
      implements Command {}

  /**
   * Apply committed entries, then tell {@code replyTo} what each produced. Results are built only
   * for the indices {@code resultWanted} accepts (those a client on this node waits for).
   */
  public record Apply(List<LogEntry> entries, LongPredicate resultWanted, ActorRef<RaftNode.Command> replyTo)
      implements Command {}

  /**
   * Snapshot the applied state, keeping {@code keepLogEntries} of the log behind it (negative:
   * keep all). {@code compactFirst}: compact the state machine before, so deleted data frees its
   * space (asked for by an operator, not by the automatic snapshots, as it rewrites every file).
   */
  public record CreateSnapshot(long keepLogEntries, boolean compactFirst, ActorRef<RaftNode.Command> replyTo)
      implements Command {}

  /** Compact the log up to {@code uptoIndex} (at most the latest snapshot's index). */
  public record PurgeLog(long uptoIndex, ActorRef<RaftNode.Command> replyTo) implements Command {}

  /** Open the latest snapshot for streaming to {@code peer}. */
  public record OpenSnapshot(long peer, ActorRef<RaftNode.Command> replyTo) implements Command {}

  /** The compaction before a snapshot failed on its own thread; the actor fails with it. */
  record CompactionFailed(Throwable cause) implements Command {}

  /**
   * Start receiving a snapshot from the leader of {@code leaderTerm}, or resume the unfinished
   * install of that same snapshot from that same term.
   */
  public record BeginInstall(SnapshotMeta meta, long leaderTerm, Reply<SnapshotSink> replyTo) implements Command {}

  private final RaftLogStore logStore;
  private final StateMachineStore stateMachine;
  private final SnapshotStore snapshots;

  public static Behavior<Command> create(RaftLogStore logStore, StateMachineStore stateMachine, SnapshotStore snapshots) {
    return Behaviors.setup(ctx -> new StorageActor(ctx, logStore, stateMachine, snapshots));
  }

  private StorageActor(
      ActorContext<Command> ctx, RaftLogStore logStore, StateMachineStore stateMachine, SnapshotStore snapshots) {
    super(ctx);
    this.logStore = logStore;
    this.stateMachine = stateMachine;
    this.snapshots = snapshots;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Persist.class, this::onPersist)
        .onMessage(Apply.class, this::onApply)
        .onMessage(CreateSnapshot.class, this::onCreateSnapshot)
        .onMessage(PurgeLog.class, this::onPurge)
        .onMessage(OpenSnapshot.class, this::onOpen)
        .onMessage(CompactionFailed.class, f -> {
          // A storage failure like any other: the node must stop (see the class comment).
          throw f.cause() instanceof RuntimeException r ? r : new IllegalStateException(f.cause());
        })
        .onMessage(BeginInstall.class, b -> {
          b.replyTo().tell(snapshots.resumeInstall(b.meta(), b.leaderTerm()));
          return this;
        })
        .build();
  }

  private Behavior<Command> onPersist(Persist p) {
    SnapshotMeta installed = null;
    if (p.install() != null) {
      p.install().commit(p.keepLogAfterIndex());
      installed = snapshots.latestSnapshot().orElse(null);
    }
    logStore.persist(p.batch());
    p.replyTo().tell(new RaftNode.Persisted(p.seq(), installed));
    return this;
  }

  private Behavior<Command> onApply(Apply a) {
    List<KvResult> results = stateMachine.apply(a.entries(), a.resultWanted());
    a.replyTo().tell(new RaftNode.Applied(a.entries(), results));
    return this;
  }

  private Behavior<Command> onCreateSnapshot(CreateSnapshot c) {
    if (c.compactFirst()) {
      // Compacting rewrites every file of the state machine and may take seconds. It runs on a
      // thread of its own, so log writes and applies go on meanwhile (RocksDB compacts under
      // concurrent writes); the snapshot itself is taken here, in order, once it is done.
      Executor blocking = getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking());
      getContext().pipeToSelf(
          CompletableFuture.runAsync(snapshots::compactStateMachine, blocking),
          (done, failure) -> failure == null
              ? new CreateSnapshot(c.keepLogEntries(), false, c.replyTo())
              : new CompactionFailed(failure instanceof CompletionException && failure.getCause() != null
                  ? failure.getCause() : failure));
      return this;
    }
    SnapshotMeta meta = snapshots.createSnapshot();
    long purgeTo = meta.index() - c.keepLogEntries();
    long purged = 0;
    if (c.keepLogEntries() >= 0 && purgeTo > 0) {
      snapshots.purgeLog(purgeTo);
      purged = purgeTo;
    }
    c.replyTo().tell(new RaftNode.SnapshotTaken(meta, purged));
    return this;
  }

  private Behavior<Command> onPurge(PurgeLog p) {
    try {
      snapshots.purgeLog(p.uptoIndex());
    } catch (IllegalArgumentException e) {
      // A request beyond the snapshot or the applied index: the caller's mistake, not a storage failure.
      p.replyTo().tell(new RaftNode.LogPurged(p.uptoIndex(), null, e.getMessage()));
      return this;
    }
    p.replyTo().tell(new RaftNode.LogPurged(p.uptoIndex(), snapshots.latestSnapshot().orElseThrow(), null));
    return this;
  }

  private Behavior<Command> onOpen(OpenSnapshot o) {
    SnapshotSource source = snapshots.latestSnapshot().isPresent() ? snapshots.openSnapshot() : null;
    o.replyTo().tell(new RaftNode.SnapshotOpened(o.peer(), source));
    return this;
  }
}
