package io.raftkv.raft.node;

import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.storage.PersistBatch;
import io.raftkv.storage.RaftLogStore;
import io.raftkv.storage.StateMachineStore;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns the node's durable state: log, hard state and state machine. It runs on a dispatcher of
 * its own because every persist blocks on fsync. Requests are served strictly in arrival order,
 * so an Apply sent after a Persist's acknowledgement always sees that persist's entries.
 *
 * <p>A storage failure is fatal: the actor throws, stops, and the node (which watches it) stops
 * too. Continuing after a failed fsync could acknowledge data that is not on disk.
 */
public final class StorageActor extends AbstractBehavior<StorageActor.Command> {

  public sealed interface Command permits Persist, Apply {}

  /** Durably write {@code batch}, then tell {@code replyTo} {@code Persisted(seq)}. */
  public record Persist(long seq, PersistBatch batch, ActorRef<RaftNode.Command> replyTo) implements Command {}

  /** Apply committed entries, then tell {@code replyTo} what each produced. */
  public record Apply(List<LogEntry> entries, ActorRef<RaftNode.Command> replyTo) implements Command {}

  private final RaftLogStore logStore;
  private final StateMachineStore stateMachine;

  public static Behavior<Command> create(RaftLogStore logStore, StateMachineStore stateMachine) {
    return Behaviors.setup(ctx -> new StorageActor(ctx, logStore, stateMachine));
  }

  private StorageActor(ActorContext<Command> ctx, RaftLogStore logStore, StateMachineStore stateMachine) {
    super(ctx);
    this.logStore = logStore;
    this.stateMachine = stateMachine;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Persist.class, this::onPersist)
        .onMessage(Apply.class, this::onApply)
        .build();
  }

  private Behavior<Command> onPersist(Persist p) {
    logStore.persist(p.batch());
    p.replyTo().tell(new RaftNode.Persisted(p.seq()));
    return this;
  }

  private Behavior<Command> onApply(Apply a) {
    List<KvResult> results = stateMachine.apply(a.entries());
    a.replyTo().tell(new RaftNode.Applied(a.entries(), results));
    return this;
  }
}
