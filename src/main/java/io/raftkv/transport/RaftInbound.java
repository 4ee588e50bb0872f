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
   * A snapshot streamed by the leader: {@code chunks} are the snapshot's data in order. Completes
   * with the response once the snapshot is durably installed (or refused).
   */
  CompletionStage<RaftMessage.Response> onInstallSnapshot(
      RaftMessage.InstallSnapshot header, Source<byte[], NotUsed> chunks);

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
}
