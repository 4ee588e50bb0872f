package io.raftkv.raft.driver;

import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftCore;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/**
 * Client writes as the driver handles them, kept apart from {@link RaftDriver} because their
 * state (the proposals waiting to be applied, and the admission bound on them) is the same
 * whatever else the node does. A leader proposes a write and answers it once its entry is
 * applied; a follower hands it to its leader once.
 */
final class ClientWrites {
  private final NodeSettings settings;
  private final RaftCore core;
  private final PeerPort peers;
  private final LongSupplier clock;
  private final PendingWrites pending = new PendingWrites();
  private final ForwardedWrites forwarded = new ForwardedWrites();
  private final ProposalAdmission admission;

  ClientWrites(NodeSettings settings, RaftCore core, PeerPort peers, LongSupplier clock) {
    this.settings = settings;
    this.core = core;
    this.peers = peers;
    this.clock = clock;
    this.admission = new ProposalAdmission(settings.maxPendingProposals(), settings.maxPendingProposalBytes());
  }

  /**
   * On the leader: appends the write unless too much is pending (429). True when it was
   * appended; otherwise {@code replyTo} has its answer already.
   */
  boolean propose(byte[] command, Reply<WriteOutcome> replyTo) {
    WriteOutcome.Overloaded overloaded = admission.refusal(command.length);
    if (overloaded != null) {
      replyTo.tell(overloaded);
      return false;
    }
    ProposeResult result = core.propose(LogEntry.Kind.COMMAND, command);
    if (result instanceof ProposeResult.Accepted a) {
      admission.admitted(a.index(), command.length);
      pending.add(a.index(), a.term(), replyTo, clock.getAsLong() + settings.requestTimeout().toNanos());
      return true;
    }
    replyTo.tell(result instanceof ProposeResult.Rejected rej
        ? new WriteOutcome.Rejected(rej.reason())
        : new WriteOutcome.NoLeader(RaftDriver.NO_LEADER));
    return false;
  }

  /** On a follower: hands the write to the leader once; a forwarded write is never forwarded again. */
  void forward(byte[] command, boolean forwarded, Reply<WriteOutcome> replyTo) {
    long leader = core.leaderId();
    if (leader == 0 || leader == settings.nodeId()) {
      replyTo.tell(new WriteOutcome.NoLeader(RaftDriver.NO_LEADER));
    } else if (forwarded || !settings.forwardWrites()) {
      Member m = core.membership().member(leader);
      replyTo.tell(new WriteOutcome.NotLeader(leader, m == null ? "" : m.httpAddr()));
    } else {
      peers.forward(leader, command, this.forwarded.track(leader, replyTo));
    }
  }

  /** The indices among {@code entries} whose result a client here waits for. */
  LongPredicate waitingFor(List<LogEntry> entries) {
    return pending.waitingFor(entries);
  }

  void onApplied(LogEntry entry, KvResult result) {
    pending.onApplied(entry, result);
  }

  /** Everything up to {@code appliedIndex} is applied: it no longer counts against the bound. */
  void appliedTo(long appliedIndex) {
    admission.applied(appliedIndex);
  }

  /**
   * The node no longer knows a leader (§5.2: its election timer ran out, or as leader it lost
   * its majority, §6.2's CheckQuorum). Every write waiting on a leader is answered now, as
   * outcome-unknown, rather than at its deadline: the client can retry elsewhere at once, and a
   * node cut off from the majority answers within about an election timeout, never later.
   * While the leader is known, even through a leadership transfer, writes keep waiting, since
   * their answer is on its way.
   */
  void leaderLost(boolean wasLeader) {
    if (wasLeader) {
      pending.failAll("this node stopped leading before the write committed (it lost contact with a"
          + " majority); its outcome is unknown: read the key to see whether it was applied");
    }
    forwarded.leaderLost();
  }

  /** A new role starts with nothing of its own pending against the bound. */
  void roleChanged() {
    admission.clear();
  }

  void expire(long now) {
    pending.expire(now);
  }

  void failAll(String reason) {
    pending.failAll(reason);
  }
}
