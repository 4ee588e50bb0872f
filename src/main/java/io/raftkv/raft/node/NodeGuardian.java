package io.raftkv.raft.node;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actor system's guardian: spawns the Raft node once the transport it needs exists, and
 * stops (terminating the system) if the node stops on its own. That happens after a storage
 * failure or a crash of the node on an internal error; the guardian tells which (see {@link
 * NodeFailure}) and reports it, so the process exits with a code that says why rather than serve
 * without a durable log.
 */
public final class NodeGuardian {
  private NodeGuardian() {}

  public sealed interface Command permits Spawn {}

  public record Spawn(Behavior<RaftNode.Command> node, ActorRef<ActorRef<RaftNode.Command>> replyTo)
      implements Command {}

  /** {@code onFailure} hears, once, why the node stopped on its own; a clean shutdown is silent. */
  public static Behavior<Command> create(Consumer<NodeFailure> onFailure) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(NodeGuardian.class);
      return Behaviors.receive(Command.class)
          .onMessage(Spawn.class, s -> {
            ActorRef<RaftNode.Command> node = ctx.spawn(s.node(), "raft");
            ctx.watch(node);
            s.replyTo().tell(node);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            NodeFailure failure = t instanceof ChildFailed failed
                ? NodeFailure.of(failed.getCause())
                : new NodeFailure(NodeFailure.Kind.INTERNAL,
                    new IllegalStateException("the Raft node stopped without an error"));
            // Pekko has logged the exception with its stack trace already; this line says what it means.
            ctx.getLog().error("the Raft node stopped on a failure ({}); shutting the process down", failure.describe());
            onFailure.accept(failure);
            return Behaviors.stopped();
          })
          .build();
    });
  }
}
