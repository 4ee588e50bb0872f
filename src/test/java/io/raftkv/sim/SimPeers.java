package io.raftkv.sim;

import io.raftkv.api.AdminOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.driver.JoinRequest;
import io.raftkv.raft.driver.JoinVerdict;
import io.raftkv.raft.driver.LeaveRequest;
import io.raftkv.raft.driver.PeerPort;
import io.raftkv.raft.driver.Reply;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.SnapshotSource;
import io.raftkv.transport.ReadIndexReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

/**
 * A node's peer port on the simulated network. Raft messages and their responses travel as
 * network messages (lost, delayed, duplicated and cut like any other). A call that expects an
 * answer (a forwarded write, a ReadIndex, a snapshot transfer) gives up after a deadline, as a
 * gRPC call does, and a late answer is then ignored. Before anything leaves, the checkers
 * confirm that the state it speaks for is durable.
 */
final class SimPeers implements PeerPort {
  /** How long a snapshot transfer may take before the sender treats it as failed. */
  private final Simulation sim;
  private final SimNode node;
  private final int life;
  /** Per peer, the snapshot transfer in flight and whether it was answered. */
  private final Map<Long, Long> transferInFlight = new TreeMap<>();
  private long transfers;
  private long calls;

  SimPeers(Simulation sim, SimNode node, int life) {
    this.sim = sim;
    this.node = node;
    this.life = life;
  }

  private void checkNotHalted(Object what) {
    if (node.driver != null && node.driver.halted()) {
      throw new SimulationFailure(sim.seed(), sim.now(), "node " + node.id + " sent " + what + " after its storage failed");
    }
  }

  @Override
  public void send(RaftMessage.Request request) {
    checkNotHalted(request);
    sim.invariants().onSend(node, request);
    sim.network().send(request);
  }

  /** The response to a peer's request, sent when the driver releases it. */
  void sendResponse(RaftMessage.Response response) {
    if (!node.alive(life)) return;
    checkNotHalted(response);
    if (Simulation.DEBUG) System.out.println(sim.now() + " n" + node.id + " responds " + response);
    sim.invariants().onSend(node, response);
    sim.network().send(response);
  }

  @Override
  public void sendSnapshot(long peer, RaftMessage.InstallSnapshot header, SnapshotSource source) {
    checkNotHalted(header);
    List<byte[]> chunks = new ArrayList<>();
    SnapshotMeta meta = source.meta();
    try {
      for (byte[] c = source.nextChunk(sim.snapshotChunkBytes()); c != null; c = source.nextChunk(sim.snapshotChunkBytes())) {
        chunks.add(c);
      }
    } finally {
      source.close();
    }
    long transfer = ++transfers;
    transferInFlight.put(peer, transfer);
    // The answer comes back on this transfer's own call, as a gRPC call's result does: a late
    // answer to an earlier transfer never stands in for this one's.
    sim.network().sendSnapshot(node.id, peer, header, meta, chunks, response -> sim.network().call(peer, node.id, () -> {
      Long current = transferInFlight.get(peer);
      if (current != null && current == transfer) transferInFlight.remove(peer);
      node.input(life, d -> d.response(response));
    }));
    sim.schedule(sim.snapshotTimeoutMs(), Simulation.EV_SNAPSHOT_TIMEOUT, node.id, peer, () -> {
      Long current = transferInFlight.get(peer);
      if (current == null || current != transfer) return;
      transferInFlight.remove(peer);
      node.input(life, d -> d.snapshotSendFailed(peer, "no answer within " + sim.snapshotTimeoutMs() + " ms"));
    });
  }

  /** The answer to a snapshot transfer this node received, sent back on that transfer's call. */
  void answerTransfer(RaftMessage.Response response, java.util.function.Consumer<RaftMessage.Response> answer) {
    if (!node.alive(life)) return;
    checkNotHalted(response);
    sim.invariants().onSend(node, response);
    answer.accept(response);
  }

  @Override
  public void forward(long leader, byte[] command, Reply<WriteOutcome> replyTo) {
    checkNotHalted("a forwarded write");
    Reply<WriteOutcome> once = once(replyTo, new WriteOutcome.Timeout("the leader did not answer; outcome unknown"));
    sim.network().call(node.id, leader, () -> {
      SimNode target = sim.node(leader);
      int targetLife = target.incarnation;
      target.input(targetLife, d -> d.write(command, true,
          outcome -> sim.network().call(leader, node.id, () -> {
            if (node.alive(life)) once.tell(outcome);
          })));
    });
  }

  @Override
  public void readIndex(long leader) {
    checkNotHalted("a ReadIndex request");
    long call = ++calls;
    boolean[] done = new boolean[1];
    sim.network().call(node.id, leader, () -> {
      SimNode target = sim.node(leader);
      target.input(target.incarnation, d -> d.peerReadIndex(reply -> sim.network().call(leader, node.id, () -> {
        if (done[0]) return;
        done[0] = true;
        node.input(life, me -> me.leaderReadIndex(reply, null));
      })));
    });
    sim.schedule(sim.callTimeoutMs(), Simulation.EV_TIMER, node.id, call, () -> {
      if (done[0]) return;
      done[0] = true;
      node.input(life, me -> me.leaderReadIndex(
          new ReadIndexReply(ReadIndexReply.Status.TIMEOUT, 0, 0), new TimeoutException("ReadIndex timed out")));
    });
  }

  @Override
  public void forwardJoin(String leaderRaftAddr, Member member, Reply<AdminOutcome> replyTo) {
    long leader = idOf(leaderRaftAddr);
    Reply<AdminOutcome> once = once(replyTo, new AdminOutcome.Timeout("the leader did not answer"));
    sim.network().call(node.id, leader, () -> sim.node(leader).input(sim.node(leader).incarnation,
        d -> d.join(new JoinRequest(member, true, o -> sim.network().call(leader, node.id, () -> once.tell(o))))));
  }

  @Override
  public void forwardLeave(String leaderRaftAddr, long nodeId, boolean force, Reply<AdminOutcome> replyTo) {
    long leader = idOf(leaderRaftAddr);
    Reply<AdminOutcome> once = once(replyTo, new AdminOutcome.Timeout("the leader did not answer"));
    sim.network().call(node.id, leader, () -> sim.node(leader).input(sim.node(leader).incarnation,
        d -> d.leave(new LeaveRequest(nodeId, force, true, o -> sim.network().call(leader, node.id, () -> once.tell(o))))));
  }

  @Override
  public void forwardTransferLeader(String leaderRaftAddr, long nodeId, Reply<AdminOutcome> replyTo) {
    long leader = idOf(leaderRaftAddr);
    Reply<AdminOutcome> once = once(replyTo, new AdminOutcome.Timeout("the leader did not answer"));
    sim.network().call(node.id, leader, () -> sim.node(leader).input(sim.node(leader).incarnation,
        d -> d.transferLeader(nodeId, true, o -> sim.network().call(leader, node.id, () -> once.tell(o)))));
  }

  @Override
  public void vetJoin(JoinRequest join) {
    sim.schedule(0, Simulation.EV_TIMER, node.id, join.member().id(),
        () -> node.input(life, d -> d.joinVetted(join, JoinVerdict.accept(join.member()))));
  }

  @Override
  public void peerSeen(long peer) {}

  @Override
  public void updatePeers(Map<Long, String> raftAddrById) {}

  /** Answers at most once: with the first answer, or with {@code onTimeout} after the call deadline. */
  private <T> Reply<T> once(Reply<T> replyTo, T onTimeout) {
    boolean[] done = new boolean[1];
    sim.schedule(sim.callTimeoutMs(), Simulation.EV_TIMER, node.id, ++calls, () -> {
      if (done[0] || !node.alive(life)) return;
      done[0] = true;
      replyTo.tell(onTimeout);
    });
    return answer -> {
      if (done[0]) return;
      done[0] = true;
      replyTo.tell(answer);
    };
  }

  private static long idOf(String raftAddr) {
    return Long.parseLong(raftAddr.substring(raftAddr.indexOf(':') + 1));
  }
}
