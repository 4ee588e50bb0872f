package io.raftkv.transport;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.RaftMessage;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/** What a transport's server side delivers to the local node. Implemented by the node. */
public interface RaftInbound {
  /** Completes with the response only after whatever it depends on has been persisted. */
  CompletionStage<RaftMessage.Response> onRequest(RaftMessage.Request request);

  CompletionStage<WriteOutcome> onForward(KvCommand command);

  /**
   * A snapshot streamed by the leader: {@code chunks} are the snapshot's data in order, starting
   * at chunk {@code firstChunk} (the ones before it this node staged in an earlier transfer).
   * Completes with the response once the snapshot is durably installed (or refused), and fails if
   * this node does not hold exactly {@code firstChunk} chunks of that snapshot staged.
   */
  CompletionStage<RaftMessage.Response> onInstallSnapshot(
      RaftMessage.InstallSnapshot header, long firstChunk, Source<byte[], NotUsed> chunks);

  /**
   * The leader asks, before it streams, how many chunks of the snapshot {@code header} names
   * this node already holds staged from an earlier transfer in the same term (0 if none); a
   * staged install of any other snapshot is abandoned.
   */
  CompletionStage<Long> onSnapshotProbe(RaftMessage.InstallSnapshot header);

  CompletionStage<ReadIndexReply> onReadIndex();

  PeerInfo onHello();

  /**
   * Adds a node to the cluster (as a learner, then a voter once caught up). {@code forwarded}:
   * a follower passed it on, so this node must not pass it on again.
   */
  CompletionStage<AdminOutcome> onJoin(Member member, boolean forwarded);

  /**
   * Removes a node from the cluster; {@code force} confirms a removal that leaves fewer than
   * three voters; {@code forwarded} as for {@link #onJoin}.
   */
  CompletionStage<AdminOutcome> onLeave(long nodeId, boolean force, boolean forwarded);

  /**
   * Moves leadership to voter {@code nodeId} (0: the most caught-up one); {@code forwarded} as
   * for {@link #onJoin}.
   */
  CompletionStage<AdminOutcome> onTransferLeader(long nodeId, boolean forwarded);
}
