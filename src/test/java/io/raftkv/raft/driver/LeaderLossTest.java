package io.raftkv.raft.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.raft.core.Role;
import io.raftkv.transport.ReadIndexReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a node does with the requests it holds when it gives up on its leader: a follower whose
 * election timer runs out, or a leader that loses its majority (CheckQuorum, thesis §6.2),
 * answers them at once instead of at their deadline, so a node cut off from the majority never
 * keeps a client waiting; when someone else campaigns (a leadership transfer) they keep waiting.
 */
class LeaderLossTest {
  private static final RaftConfig RAFT = new RaftConfig(10, 20, 2, 64, 1 << 20, 4, true, true);
  private static final Membership THREE = Membership.ofVoters(List.of(
      new Member(1, "p:1", "h:1"), new Member(2, "p:2", "h:2"), new Member(3, "p:3", "h:3")));
  private static final byte[] SET = KvCommandCodec.encode(new KvCommand.Set("k", "v"));

  private final RecordingPorts ports = new RecordingPorts();
  private final long[] clock = {0};

  /** Node 2, following node 1 in term 1, with the cluster's configuration committed. */
  private RaftDriver follower() {
    RaftDriver follower = ports.driver(2, RAFT, () -> clock[0]);
    LogEntry config = new LogEntry(1, 1, LogEntry.Kind.CONFIG, MembershipCodec.encode(THREE));
    follower.request(new RaftMessage.AppendEntries(1, 2, 1, 0, 0, List.of(config), 1, 0), r -> {});
    settle(follower);
    assertEquals(1, follower.status().currentLeader());
    return follower;
  }

  private void settle(RaftDriver d) {
    while (!d.idle()) d.persisted(ports.lastPersist().seq(), null);
  }

  /** Time passes with no word from anyone, long past any election timeout. */
  private void silence(RaftDriver d) {
    clock[0] += Duration.ofSeconds(1).toNanos();
    for (int i = 0; i < 30; i++) d.tick();
    settle(d);
  }

  @Test
  void aFollowerThatGivesUpOnItsLeaderAnswersItsForwardedWritesAtOnce() {
    RaftDriver follower = follower();
    List<WriteOutcome> outcomes = new ArrayList<>();
    follower.forwardWrite(SET, false, outcomes::add);
    assertEquals(1, ports.forwards.size());
    assertTrue(outcomes.isEmpty(), "the leader's answer is awaited");

    silence(follower);
    assertEquals(Role.PRE_CANDIDATE, follower.role());
    WriteOutcome.Timeout unknown = assertInstanceOf(WriteOutcome.Timeout.class, outcomes.get(0));
    assertTrue(unknown.reason().contains("outcome is unknown"), unknown.reason());

    // The leader's answer comes after all: the client has had its one answer.
    ports.forwards.get(0).tell(new WriteOutcome.Applied(new KvResult.Applied(null)));
    assertEquals(1, outcomes.size());
  }

  @Test
  void aForwardedWriteKeepsWaitingWhileAnotherNodeCampaigns() {
    RaftDriver follower = follower();
    List<WriteOutcome> outcomes = new ArrayList<>();
    follower.forwardWrite(SET, false, outcomes::add);

    // Node 3 campaigns for term 2, as the target of a leadership transfer does.
    follower.request(new RaftMessage.RequestVote(3, 2, 2, 1, 1, false, true), r -> {});
    settle(follower);
    assertEquals(0, follower.status().currentLeader());
    assertTrue(outcomes.isEmpty(), "the old leader is still there to answer");

    ports.forwards.get(0).tell(new WriteOutcome.Applied(new KvResult.Applied(null)));
    assertInstanceOf(WriteOutcome.Applied.class, outcomes.get(0));
  }

  @Test
  void aFollowerThatGivesUpOnItsLeaderRefusesItsWaitingReadsAndIgnoresTheLateReadIndex() {
    RaftDriver follower = follower();
    List<ReadPermit> permits = new ArrayList<>();
    follower.readViaLeader(permits::add);
    assertEquals(1, ports.readIndexCalls);

    silence(follower);
    assertEquals(1, permits.size());
    assertInstanceOf(ReadOutcome.NoLeader.class, permits.get(0).refusal());

    // The old leader's read index was fixed before any later read arrived: it serves no one.
    follower.leaderReadIndex(new ReadIndexReply(ReadIndexReply.Status.OK, 1, 1), null);
    assertEquals(1, permits.size());
  }

  @Test
  void aLeaderThatLosesItsMajorityAnswersItsPendingWritesAtOnce() {
    RaftDriver leader = ports.driver(1, RAFT, () -> clock[0]);
    leader.bootstrap(THREE);
    settle(leader);
    silence(leader); // pre-candidate: asks 2 and 3 for a pre-vote
    leader.response(new RaftMessage.RequestVoteResponse(2, 1, leader.status().currentTerm() + 1, true, true));
    settle(leader); // candidate
    leader.response(new RaftMessage.RequestVoteResponse(2, 1, leader.status().currentTerm(), true, false));
    settle(leader);
    assertEquals(Role.LEADER, leader.role());

    List<WriteOutcome> outcomes = new ArrayList<>();
    leader.proposeWrite(SET, outcomes::add);
    ports.runQueued();
    settle(leader);
    assertTrue(outcomes.isEmpty(), "not committed: nobody acknowledged it");

    silence(leader); // no follower answers for an election timeout: CheckQuorum steps down
    assertTrue(leader.role() != Role.LEADER, "stepped down, then campaigns again");
    WriteOutcome.Timeout unknown = assertInstanceOf(WriteOutcome.Timeout.class, outcomes.get(0));
    assertTrue(unknown.reason().contains("stopped leading"), unknown.reason());
  }
}
