package io.raftkv.raft.node;

import io.raftkv.api.AdminOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.driver.JoinVerdict;
import io.raftkv.transport.PeerInfo;
import io.raftkv.transport.Transport;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Before a leader adds a node, it asks the endpoint who listens there (Hello), with a short
 * deadline. Without this, a join of an address where no raftkv node listens (a typo, a port of
 * some other service) would be proposed anyway and hang until the catch-up deadline, and a node
 * of another cluster would be added as if it were empty. The answer also gives the node's
 * incarnation, which the new member is recorded with.
 */
final class JoinVetting {
  /** How long the endpoint has to answer Hello. */
  static final Duration HELLO_DEADLINE = Duration.ofSeconds(2);

  private final Transport transport;
  private final LongSupplier clusterId;

  JoinVetting(Transport transport, LongSupplier clusterId) {
    this.transport = transport;
    this.clusterId = clusterId;
  }

  /** Hellos the endpoint of {@code requested}; completes (never exceptionally) with the verdict. */
  CompletionStage<JoinVerdict> vet(Member requested) {
    CompletionStage<PeerInfo> hello;
    try {
      hello = transport.hello(requested.raftAddr());
    } catch (RuntimeException e) {
      return java.util.concurrent.CompletableFuture.completedFuture(decide(requested, null, e, clusterId.getAsLong()));
    }
    return hello.toCompletableFuture()
        .orTimeout(HELLO_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .handle((info, failure) -> decide(requested, info, failure, clusterId.getAsLong()));
  }

  /** The pure rule: what a Hello answer (or its failure) means for a join. */
  static JoinVerdict decide(Member requested, PeerInfo info, Throwable failure, long ourCluster) {
    String endpoint = requested.raftAddr();
    if (failure != null || info == null) {
      Throwable cause = failure;
      while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      String why = cause instanceof TimeoutException
          ? "it did not answer within " + HELLO_DEADLINE.toMillis() + " ms"
          : "it did not answer as a raftkv node (" + (cause == null ? "no answer" : cause.getMessage()) + ")";
      return refuse(new AdminOutcome.Invalid("no raftkv node answers at endpoint " + endpoint + ": " + why
          + "; check that the node is started and that endpoint is its raft_addr (not its http_addr)"));
    }
    if (info.nodeId() != requested.id()) {
      return refuse(new AdminOutcome.Invalid("the node at endpoint " + endpoint + " has node_id " + info.nodeId()
          + ", not " + requested.id() + "; send the join with the node_id from that node's config"));
    }
    if (info.clusterId() != 0 && info.clusterId() != ourCluster) {
      return refuse(new AdminOutcome.Conflict("node " + info.nodeId() + " at " + endpoint
          + " already belongs to another cluster (" + Long.toUnsignedString(info.clusterId(), 16)
          + "); a node can belong to one cluster only: remove it from that cluster and wipe its data_path"
          + " before it joins this one"));
    }
    // Addresses as the operator gave them; the incarnation as the node reported it.
    return JoinVerdict.accept(new Member(requested.id(), requested.raftAddr(), requested.httpAddr(), info.incarnation()));
  }

  private static JoinVerdict refuse(AdminOutcome outcome) {
    return JoinVerdict.refuse(outcome);
  }
}
