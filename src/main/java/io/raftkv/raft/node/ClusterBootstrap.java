package io.raftkv.raft.node;

import io.raftkv.raft.driver.NodeSettings;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.transport.PeerInfo;
import io.raftkv.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Brings a node with no state into a cluster. The rule guarantees that the shipped configs form
 * exactly one cluster whatever order the nodes start in:
 *
 * <ul>
 *   <li>{@code single = true}: found a one-member cluster.
 *   <li>Otherwise ask every address in {@code join} who it is. If any of them already belongs to
 *       a cluster, this node never founds one: it waits until the cluster's leader replicates the
 *       membership to it.
 *   <li>If none does, every listed address has answered, and this node has the lowest id among
 *       them all, it founds the cluster with all of them as voters. Any other node that could
 *       found one must have heard from this node (lower id) or from a node that is already
 *       a member, so at most one node founds.
 * </ul>
 *
 * A node restarted with data never gets here: its log already holds the membership.
 */
public final class ClusterBootstrap {
  public enum Outcome {
    FOUNDED,
    JOINED
  }

  private final long selfId;
  private final String selfRaftAddr;
  private final String selfHttpAddr;
  private final boolean single;
  private final List<String> join;
  private final Transport transport;
  private final ActorRef<RaftNode.Command> node;
  private final Supplier<Membership> currentMembership;
  private final Scheduler scheduler;
  private final Executor executor;
  private final Duration retryInterval;
  private final Consumer<String> progress;
  private final CompletableFuture<Outcome> result = new CompletableFuture<>();
  private final NodeIdentity identity;
  /** The id of the cluster this node founds, drawn on the first attempt to found it. */
  private long foundingClusterId;
  private String lastNote = "";

  public ClusterBootstrap(
      NodeSettings settings,
      boolean single,
      List<String> join,
      Transport transport,
      ActorRef<RaftNode.Command> node,
      Supplier<Membership> currentMembership,
      Scheduler scheduler,
      Executor executor,
      Duration retryInterval,
      Consumer<String> progress,
      NodeIdentity identity) {
    this.identity = identity;
    this.selfId = settings.nodeId();
    this.selfRaftAddr = settings.raftAddr();
    this.selfHttpAddr = settings.httpAddr();
    this.single = single;
    this.join = List.copyOf(join);
    this.transport = transport;
    this.node = node;
    this.currentMembership = currentMembership;
    this.scheduler = scheduler;
    this.executor = executor;
    this.retryInterval = retryInterval;
    this.progress = progress;
  }

  /** Completes once this node belongs to a cluster, founded here or joined. */
  public CompletionStage<Outcome> run() {
    // Once in a cluster, nothing from the start-up loop stands in the node's way any more.
    result.whenComplete((outcome, e) -> identity.reportBootstrapProblem(null));
    attempt();
    return result;
  }

  public void cancel() {
    result.cancel(false);
  }

  private void attempt() {
    if (result.isDone()) return;
    if (!currentMembership.get().isEmpty()) {
      result.complete(Outcome.JOINED);
      return;
    }
    if (single) {
      found(Membership.ofVoters(List.of(self())));
      return;
    }
    List<CompletableFuture<PeerInfo>> asks = new ArrayList<>();
    for (String addr : join) {
      asks.add(transport.hello(addr).toCompletableFuture().exceptionally(e -> null));
    }
    CompletableFuture.allOf(asks.toArray(new CompletableFuture[0]))
        .whenCompleteAsync((ignored, e) -> decide(asks.stream().map(CompletableFuture::join).toList()), executor);
  }

  private void decide(List<PeerInfo> answers) {
    if (result.isDone()) return;
    if (!currentMembership.get().isEmpty()) {
      result.complete(Outcome.JOINED);
      return;
    }
    List<Member> heard = new ArrayList<>();
    heard.add(self());
    boolean allAnswered = true;
    for (int i = 0; i < answers.size(); i++) {
      PeerInfo p = answers.get(i);
      if (p == null) {
        allAnswered = false;
        continue;
      }
      if (p.nodeId() == selfId) {
        note("node at " + join.get(i) + " has the same node_id " + selfId + "; node ids must be unique");
        allAnswered = false;
        continue;
      }
      if (!p.membership().isEmpty() || p.clusterId() != 0) {
        Member listed = p.membership().member(selfId);
        if (listed != null && listed.isIncarnation(identity.incarnation())) {
          note("Waiting for cluster to be ready... (a member at " + join.get(i) + " lists this node)");
          retryLater();
        } else {
          if (listed != null) {
            // The cluster knows this node id as an older incarnation: this node's storage was
            // wiped. Its join is refused until an operator removes the old member.
            String problem = NodeIdentity.wipedText(selfId, listed.incarnation(), identity.incarnation());
            identity.reportBootstrapProblem(problem);
            note("Cannot rejoin yet: " + problem);
          }
          askToJoin(join.get(i));
        }
        return;
      }
      heard.add(new Member(p.nodeId(), p.raftAddr(), p.httpAddr(), p.incarnation()));
    }
    boolean lowest = heard.stream().allMatch(m -> m.id() >= selfId);
    if (allAnswered && lowest) {
      found(Membership.ofVoters(heard));
      return;
    }
    note(allAnswered
        ? "Waiting for cluster to be ready... (node " + heard.stream().mapToLong(Member::id).min().orElse(0)
            + " founds the cluster)"
        : "Waiting for cluster to be ready... (not every address in join answers yet)");
    retryLater();
  }

  /** An existing cluster does not know this node: ask it to add us (learner, then voter). */
  private void askToJoin(String addr) {
    note("Joining the cluster at " + addr + "...");
    transport.join(addr, self(), false).whenCompleteAsync((outcome, e) -> {
      if (e == null && outcome instanceof io.raftkv.api.AdminOutcome.Done) {
        progress.accept("✓ Joined the cluster through " + addr);
      } else {
        note("Join through " + addr + " not done yet: " + (e != null ? e.getMessage() : outcome) + "; retrying");
      }
      // Either way, wait until the leader's replication brings the membership to this node.
      retryLater();
    }, executor);
  }

  private void found(Membership membership) {
    if (foundingClusterId == 0) foundingClusterId = NodeIdentity.nonZero(new java.security.SecureRandom());
    // The cluster id is on disk before the first entry exists, so every message this node ever
    // sends as a member carries it.
    if (!identity.joinCluster(foundingClusterId)) {
      note("Waiting for cluster to be ready... (this node already belongs to a cluster)");
      retryLater();
      return;
    }
    progress.accept("Initializing " + membership.voters().size() + "-node cluster...");
    AskPattern.<RaftNode.Command, Boolean>ask(
            node, replyTo -> new RaftNode.Bootstrap(membership, replyTo), Duration.ofSeconds(10), scheduler)
        .whenCompleteAsync((founded, e) -> {
          if (e == null && founded) {
            progress.accept("✓ Cluster initialized successfully!");
            result.complete(Outcome.FOUNDED);
          } else {
            retryLater();
          }
        }, executor);
  }

  private void retryLater() {
    if (result.isDone()) return;
    scheduler.scheduleOnce(retryInterval, this::attempt, asExecutionContext());
  }

  private scala.concurrent.ExecutionContext asExecutionContext() {
    return scala.concurrent.ExecutionContext.fromExecutor(executor);
  }

  private void note(String line) {
    if (!line.equals(lastNote)) {
      lastNote = line;
      progress.accept(line);
    }
  }

  private Member self() {
    return new Member(selfId, selfRaftAddr, selfHttpAddr, identity.incarnation());
  }
}
