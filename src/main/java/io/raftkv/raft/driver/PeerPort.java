package io.raftkv.raft.driver;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.storage.SnapshotSource;
import java.util.Map;

/**
 * How the driver reaches other nodes. Calls never block and never call back into the driver
 * synchronously. Raft messages get their answer through {@link RaftDriver#response} (or {@link
 * RaftDriver#unreachable}, which Raft treats as a lost message); forwarded client and admin
 * requests are answered straight to their {@link Reply}, with an outcome-unknown answer when the
 * leader does not respond.
 */
public interface PeerPort {
  /** Sends a RequestVote, AppendEntries or TimeoutNow. */
  void send(RaftMessage.Request request);

  /**
   * Streams the snapshot {@code source} to {@code peer} (§7), then closes it; completes with
   * {@link RaftDriver#response} or {@link RaftDriver#snapshotSendFailed}.
   */
  void sendSnapshot(long peer, RaftMessage.InstallSnapshot header, SnapshotSource source);

  /** Hands a client write (an encoded command) to the leader; its outcome goes to {@code replyTo}. */
  void forward(long leader, byte[] command, Reply<WriteOutcome> replyTo);

  /** Asks the leader for a confirmed read index; completes with {@link RaftDriver#leaderReadIndex}. */
  void readIndex(long leader);

  /** Passes a join on to the leader at {@code leaderRaftAddr}. */
  void forwardJoin(String leaderRaftAddr, Member member, Reply<AdminOutcome> replyTo);

  /** Passes a leave on to the leader at {@code leaderRaftAddr}. */
  void forwardLeave(String leaderRaftAddr, long nodeId, boolean force, Reply<AdminOutcome> replyTo);

  /** Passes a leadership transfer to {@code nodeId} (0: any voter) on to the leader at {@code leaderRaftAddr}. */
  void forwardTransferLeader(String leaderRaftAddr, long nodeId, Reply<AdminOutcome> replyTo);

  /**
   * Checks who listens at a joining node's endpoint before it is added (a Hello); completes with
   * {@link RaftDriver#joinVetted}. An environment without node identities answers with the
   * member as asked.
   */
  void vetJoin(JoinRequest join);

  /** A message just came from {@code peer}: a connection to it that is backing off may retry now. */
  void peerSeen(long peer);

  /** The id to raft address map of the current membership; connections follow it. */
  void updatePeers(Map<Long, String> raftAddrById);
}
