package io.raftkv.raft.node;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actor system's guardian: spawns the Raft node once the transport it needs exists, and
 * stops (terminating the system) if the node stops on its own, which happens only after a
 * storage failure. The process then exits non-zero rather than serve without a durable log.
 */
public final class NodeGuardian {
  private NodeGuardian() {}

  public sealed interface Command permits Spawn {}

  public record Spawn(Behavior<RaftNode.Command> node, ActorRef<ActorRef<RaftNode.Command>> replyTo)
      implements Command {}

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> Behaviors.receive(Command.class)
        .onMessage(Spawn.class, s -> {
          ActorRef<RaftNode.Command> node = ctx.spawn(s.node(), "raft");
          ctx.watch(node);
          s.replyTo().tell(node);
          return Behaviors.same();
        })
        .onSignal(Terminated.class, t -> {
          ctx.getLog().error("the Raft node stopped unexpectedly; shutting the process down");
          return Behaviors.stopped();
        })
        .build());
  }
}
