package io.raftkv.transport;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.RaftMessage;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * How a node talks to its peers. The production implementation is Pekko gRPC; tests use an
 * in-memory network with a firewall. Every call completes exceptionally when the peer cannot be
 * reached; callers treat that as a lost message, which Raft tolerates.
 */
public interface Transport extends AutoCloseable {
  /** Delivers a RequestVote or AppendEntries and completes with the peer's response. */
  CompletionStage<RaftMessage.Response> send(long peerId, RaftMessage.Request request);

  /**
   * Streams a snapshot to a follower (§7): {@code chunks} are pulled as the peer takes them, so a
   * snapshot larger than memory never has to be loaded whole.
   */
  CompletionStage<RaftMessage.Response> installSnapshot(
      long peerId, RaftMessage.InstallSnapshot header, Source<byte[], NotUsed> chunks);

  /** Hands a client write to the leader; completes with the leader's outcome. */
  CompletionStage<WriteOutcome> forward(long peerId, KvCommand command);

  /** Asks the leader for a read index it has confirmed with a majority (thesis §6.4). */
  CompletionStage<ReadIndexReply> readIndex(long peerId);

  /**
   * Asks the node at {@code raftAddr} to add {@code member} to its cluster; {@code forwarded}
   * when this node is a follower passing the request to its leader.
   */
  CompletionStage<AdminOutcome> join(String raftAddr, Member member, boolean forwarded);

  /**
   * Asks the node at {@code raftAddr} to remove {@code nodeId} from its cluster; {@code force}
   * confirms a removal that leaves fewer than three voters.
   */
  CompletionStage<AdminOutcome> leave(String raftAddr, long nodeId, boolean force, boolean forwarded);

  /** Asks the node at {@code raftAddr} to move leadership to {@code nodeId} (0: any voter). */
  CompletionStage<AdminOutcome> transferLeader(String raftAddr, long nodeId, boolean forwarded);

  /** Asks whoever listens at a raft address who it is; used before the peer's id is known. */
  CompletionStage<PeerInfo> hello(String raftAddr);

  /**
   * A message just arrived from this peer, so it is up: a connection to it that is failing or
   * backing off should be re-established now rather than at its next scheduled retry.
   */
  default void peerSeen(long peerId) {}

  /** The id to address map of the current membership; connections follow it. */
  void updatePeers(Map<Long, String> raftAddrById);

  @Override
  void close();
}
