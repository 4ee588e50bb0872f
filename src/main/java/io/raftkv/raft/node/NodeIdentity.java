package io.raftkv.raft.node;

import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.storage.IdentityStore;
import io.raftkv.storage.StorageException;
import io.raftkv.transport.PeerAdmission;
import io.raftkv.transport.PeerIdentity;
import io.raftkv.transport.PeerStamp;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who this node is to its peers: node id, incarnation and cluster id, kept in its storage
 * ({@link IdentityStore}). Stamps the node's outgoing peer messages and admits incoming ones by
 * the rules of {@link PeerAdmission}; counts and logs (at most every few seconds) what it drops;
 * and says, for /health, when the node's identity stands in its way (a wiped member that its
 * peers still know as its previous incarnation).
 */
public final class NodeIdentity implements PeerIdentity {
  private static final Logger log = LoggerFactory.getLogger(NodeIdentity.class);
  private static final long LOG_INTERVAL_NANOS = 5_000_000_000L;
  /** How long a message addressed to our previous incarnation keeps the problem on /health. */
  private static final long PROBLEM_MEMORY_NANOS = 10_000_000_000L;

  private final long nodeId;
  private final long incarnation;
  private final IdentityStore store;
  private final Supplier<Membership> membership;
  private final AtomicLong rejectedCount = new AtomicLong();
  private volatile long clusterId;
  private volatile Runnable onStorageFailure = () -> {};
  private volatile String bootstrapProblem;
  private volatile long oldSelfSeenNanos;
  private volatile long oldSelfIncarnation;
  private long lastLogNanos;
  private long suppressedLogs;

  private NodeIdentity(long nodeId, long incarnation, long clusterId, IdentityStore store, Supplier<Membership> membership) {
    this.nodeId = nodeId;
    this.incarnation = incarnation;
    this.clusterId = clusterId;
    this.store = store;
    this.membership = membership;
  }

  /**
   * Reads the identity from {@code store}; a store that has none yet (a node starting with empty
   * storage, or one written before incarnations existed) gets a random non-zero incarnation,
   * synced before this returns, so that the node never talks to a peer under an identity its
   * disk might lose.
   */
  public static NodeIdentity load(long nodeId, IdentityStore store, Random random, Supplier<Membership> membership) {
    long incarnation = store.incarnation();
    if (incarnation == 0) {
      incarnation = nonZero(random);
      store.saveIncarnation(incarnation);
    }
    return new NodeIdentity(nodeId, incarnation, store.clusterId(), store, membership);
  }

  /** A random 64-bit value other than 0, which means "none" on the wire. */
  public static long nonZero(Random random) {
    long v;
    do {
      v = random.nextLong();
    } while (v == 0);
    return v;
  }

  /** Called when saving the cluster id fails: the node must stop (its state on disk is unknown). */
  public void onStorageFailure(Runnable action) {
    this.onStorageFailure = action;
  }

  public long nodeId() {
    return nodeId;
  }

  public long incarnation() {
    return incarnation;
  }

  public long clusterId() {
    return clusterId;
  }

  /** Messages dropped so far for their identity or form. */
  public long rejectedCount() {
    return rejectedCount.get();
  }

  /**
   * Makes {@code id} this node's cluster, durably, if it has none yet. Returns whether the node
   * now belongs to cluster {@code id}.
   */
  public synchronized boolean joinCluster(long id) {
    if (id == 0) return false;
    if (clusterId != 0) return clusterId == id;
    try {
      store.saveClusterId(id);
    } catch (StorageException e) {
      log.error("could not save the cluster id; stopping the node", e);
      onStorageFailure.run();
      throw e;
    }
    clusterId = id;
    log.info("node {} belongs to cluster {}", nodeId, Long.toUnsignedString(id, 16));
    return true;
  }

  // ---------------------------------------------------------------- PeerIdentity

  @Override
  public PeerStamp toPeer(long peerId) {
    Member m = membership.get().member(peerId);
    return new PeerStamp(clusterId, nodeId, incarnation, peerId, m == null ? 0 : m.incarnation());
  }

  @Override
  public PeerStamp replyTo(PeerStamp request) {
    // A node with no cluster yet answers in the cluster of the request it admitted.
    long cluster = clusterId != 0 ? clusterId : request.clusterId();
    return new PeerStamp(cluster, nodeId, incarnation, request.fromId(), request.fromIncarnation());
  }

  @Override
  public String admitRequest(PeerStamp stamp, long from, long to, boolean mayLearnCluster) {
    PeerAdmission.Self self = self();
    String refused = PeerAdmission.admit(self, membership.get(), stamp, from, to, mayLearnCluster);
    if (refused != null) {
      if (PeerAdmission.addressedToOldSelf(self, stamp)) {
        oldSelfIncarnation = stamp.toIncarnation();
        oldSelfSeenNanos = System.nanoTime();
      }
      return refused;
    }
    if (self.clusterId() == 0 && mayLearnCluster) joinCluster(stamp.clusterId());
    return null;
  }

  @Override
  public String admitResponse(PeerStamp stamp, long from, long to) {
    return PeerAdmission.admit(self(), membership.get(), stamp, from, to);
  }

  @Override
  public void rejected(String what, String reason) {
    rejectedCount.incrementAndGet();
    long now = System.nanoTime();
    long suppressed;
    synchronized (this) {
      if (lastLogNanos != 0 && now - lastLogNanos < LOG_INTERVAL_NANOS) {
        suppressedLogs++;
        return;
      }
      lastLogNanos = now;
      suppressed = suppressedLogs;
      suppressedLogs = 0;
    }
    log.warn("dropped a {} from a peer: {} ({} more dropped since the last such warning, {} in all)",
        what, reason, suppressed, rejectedCount.get());
  }

  // ---------------------------------------------------------------- /health

  /** Set by the start-up join loop when the cluster still lists this node as another incarnation. */
  public void reportBootstrapProblem(String problem) {
    bootstrapProblem = problem;
  }

  /**
   * Why this node's identity keeps it out of its cluster, or null. Cleared by itself once the
   * membership lists this node with its own incarnation.
   */
  public String problem() {
    Member me = membership.get().member(nodeId);
    if (me != null && me.isIncarnation(incarnation)) return null;
    String p = bootstrapProblem;
    if (p != null) return p;
    if (oldSelfSeenNanos != 0 && System.nanoTime() - oldSelfSeenNanos < PROBLEM_MEMORY_NANOS) {
      return wipedText(nodeId, oldSelfIncarnation, incarnation);
    }
    return null;
  }

  /** The explanation for a member that came back with a new incarnation, and what to do. */
  public static String wipedText(long nodeId, long memberIncarnation, long incarnation) {
    return "the cluster knows node " + nodeId + " as incarnation " + Long.toUnsignedString(memberIncarnation, 16)
        + ", but this node is incarnation " + Long.toUnsignedString(incarnation, 16)
        + " (its storage was wiped or replaced), so it may not vote or count towards a quorum;"
        + " remove the old member with POST /leave {\"node_id\": " + nodeId
        + "} on any member (add \"force\": true if fewer than three voters would remain),"
        + " then this node joins again by itself";
  }

  private PeerAdmission.Self self() {
    return new PeerAdmission.Self(nodeId, incarnation, clusterId);
  }
}
