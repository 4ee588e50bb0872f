package io.raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvResultCodec;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.AppendEntriesRequest;
import io.raftkv.transport.grpc.AppendEntriesResponse;
import io.raftkv.transport.grpc.Entry;
import io.raftkv.transport.grpc.ForwardRequest;
import io.raftkv.transport.grpc.ForwardResponse;
import io.raftkv.transport.grpc.HelloResponse;
import io.raftkv.transport.grpc.InstallSnapshotChunk;
import io.raftkv.transport.grpc.InstallSnapshotResponse;
import io.raftkv.transport.grpc.ReadIndexResponse;
import io.raftkv.transport.grpc.RequestVoteResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtoCodecTest {

  static List<LogEntry> entriesOfEachKind() {
    return List.of(
        LogEntry.noop(5, 2),
        new LogEntry(6, 2, LogEntry.Kind.COMMAND, KvCommandCodec.encode(new KvCommand.Set("k", "v\u00e9"))),
        new LogEntry(7, 3, LogEntry.Kind.CONFIG, MembershipCodec.encode(threeVoters())),
        new LogEntry(8, 3, LogEntry.Kind.COMMAND, new byte[0]));
  }

  static Membership threeVoters() {
    return Membership.ofVoters(
            List.of(
                new Member(1, "127.0.0.1:7001", "127.0.0.1:8001"),
                new Member(2, "127.0.0.1:7002", "127.0.0.1:8002"),
                new Member(3, "127.0.0.1:7003", "")))
        .withLearner(new Member(4, "127.0.0.1:7004", "127.0.0.1:8004"));
  }

  @Test
  void requestVoteRoundTrips() {
    for (boolean preVote : new boolean[] {false, true}) {
      var m = new RaftMessage.RequestVote(1, 2, 7, 100, 6, preVote);
      assertEquals(m, ProtoCodec.fromProto(ProtoCodec.toProto(m)));
      var r = new RaftMessage.RequestVoteResponse(2, 1, 7, true, preVote);
      assertEquals(r, ProtoCodec.fromProto(ProtoCodec.toProto(r)));
    }
    var refused = new RaftMessage.RequestVoteResponse(2, 1, 9, false, false);
    assertEquals(refused, ProtoCodec.fromProto(ProtoCodec.toProto(refused)));
  }

  @Test
  void appendEntriesRoundTripsWithEveryKindAndWhenEmpty() {
    var full = new RaftMessage.AppendEntries(1, 2, 3, 4, 2, entriesOfEachKind(), 6, 42);
    var back = ProtoCodec.fromProto(ProtoCodec.toProto(full));
    assertEquals(full, back);
    assertArrayEquals(full.entries().get(1).data(), back.entries().get(1).data());

    var heartbeat = new RaftMessage.AppendEntries(1, 2, 3, 10, 3, List.of(), 10, 43);
    assertEquals(heartbeat, ProtoCodec.fromProto(ProtoCodec.toProto(heartbeat)));

    var ok = new RaftMessage.AppendEntriesResponse(2, 1, 3, true, 8, 0, 4, 42);
    assertEquals(ok, ProtoCodec.fromProto(ProtoCodec.toProto(ok)));
    var conflict = new RaftMessage.AppendEntriesResponse(2, 1, 3, false, 0, 3, 4, 42);
    assertEquals(conflict, ProtoCodec.fromProto(ProtoCodec.toProto(conflict)));
  }

  @Test
  void largeIndicesAndTermsSurviveUnsignedFields() {
    var m = new RaftMessage.RequestVote(Long.MAX_VALUE, 2, Long.MAX_VALUE - 1, Long.MAX_VALUE, 1L << 40, false);
    assertEquals(m, ProtoCodec.fromProto(ProtoCodec.toProto(m)));
  }

  @Test
  void unknownEntryKindIsRejected() {
    Entry unspecified = Entry.newBuilder().setIndex(1).setTerm(1).build();
    assertThrows(IllegalArgumentException.class, () -> ProtoCodec.fromProto(unspecified));
    Entry future = Entry.newBuilder().setIndex(1).setTerm(1).setKindValue(99).build();
    assertThrows(IllegalArgumentException.class, () -> ProtoCodec.fromProto(future));
    Entry badIndex = Entry.newBuilder().setIndex(0).setTerm(1).setKind(Entry.Kind.NOOP).build();
    assertThrows(IllegalArgumentException.class, () -> ProtoCodec.fromProto(badIndex));
  }

  @Test
  void forwardRequestCarriesTheCommandCodecBytes() {
    List<KvCommand> commands =
        List.of(
            new KvCommand.Set("a", ""),
            new KvCommand.Set("", "x"),
            new KvCommand.Delete("k"),
            new KvCommand.Batch(List.of(new KvCommand.Set("a", "1"), new KvCommand.Delete("b"))),
            new KvCommand.GetSet("g", "new"));
    for (KvCommand c : commands) {
      ForwardRequest p = ProtoCodec.toForwardRequest(c);
      assertArrayEquals(KvCommandCodec.encode(c), p.getCommand().toByteArray());
      assertEquals(c, ProtoCodec.fromProto(p));
    }
    ForwardRequest garbage = ForwardRequest.newBuilder().setCommand(ByteString.copyFromUtf8("\u0009zz")).build();
    assertThrows(IllegalArgumentException.class, () -> ProtoCodec.fromProto(garbage));
  }

  static List<WriteOutcome> everyOutcome() {
    return List.of(
        new WriteOutcome.Applied(new KvResult.Applied("old")),
        new WriteOutcome.Applied(new KvResult.Applied("")),
        new WriteOutcome.Applied(new KvResult.Applied(null)),
        new WriteOutcome.Applied(KvResult.NONE),
        new WriteOutcome.Applied(new KvResult.BatchApplied(3)),
        new WriteOutcome.Applied(new KvResult.TxnApplied(true, Arrays.asList("a", null, ""))),
        new WriteOutcome.Applied(new KvResult.TxnApplied(false, null)),
        new WriteOutcome.Applied(new KvResult.GetSetApplied(null)),
        new WriteOutcome.Applied(new KvResult.GetSetApplied("old")),
        new WriteOutcome.NotLeader(3, "127.0.0.1:8003"),
        new WriteOutcome.NotLeader(3, null),
        new WriteOutcome.NoLeader("election in progress"),
        new WriteOutcome.NoLeader(null),
        new WriteOutcome.Timeout("no commit within 5000 ms"),
        new WriteOutcome.Rejected("term changed"),
        new WriteOutcome.Overloaded("4096 writes are waiting to be applied", 1000),
        new WriteOutcome.NoSpace("the NOSPACE alarm is raised on node 1"));
  }

  @Test
  void noSpaceTravelsAsStatusSeven() {
    ForwardResponse p = ProtoCodec.toProto(new WriteOutcome.NoSpace("full"));
    assertEquals(7, p.getStatusValue());
    assertEquals("full", p.getReason());
  }

  @Test
  void everyWriteOutcomeRoundTrips() {
    for (WriteOutcome o : everyOutcome()) {
      assertEquals(o, ProtoCodec.fromProto(ProtoCodec.toProto(o)), o.toString());
    }
  }

  @Test
  void appliedResultTravelsAsKvResultCodecBytes() {
    KvResult result = new KvResult.TxnApplied(true, Arrays.asList(null, "v"));
    ForwardResponse p = ProtoCodec.toProto(new WriteOutcome.Applied(result));
    assertArrayEquals(KvResultCodec.encode(result), p.getResult().toByteArray());
    ForwardResponse corrupt =
        p.toBuilder().setResult(ByteString.copyFrom(new byte[] {(byte) 99})).build();
    assertThrows(IllegalArgumentException.class, () -> ProtoCodec.fromProto(corrupt));
  }

  @Test
  void unknownForwardStatusIsRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> ProtoCodec.fromProto(ForwardResponse.getDefaultInstance()));
  }

  @Test
  void readIndexRoundTrips() {
    for (ReadIndexReply.Status s : ReadIndexReply.Status.values()) {
      var r = new ReadIndexReply(s, 77, 2);
      assertEquals(r, ProtoCodec.fromProto(ProtoCodec.toProto(r)));
    }
    assertEquals(9, ProtoCodec.toReadIndexRequest(9).getFrom());
    assertThrows(
        IllegalArgumentException.class, () -> ProtoCodec.fromProto(ReadIndexResponse.getDefaultInstance()));
  }

  @Test
  void helloRoundTripsMembershipAndEmptyCluster() {
    var joined = new PeerInfo(2, "127.0.0.1:7002", "127.0.0.1:8002", threeVoters(), 1);
    assertEquals(joined, ProtoCodec.fromProto(ProtoCodec.toProto(joined)));
    var fresh = new PeerInfo(5, "127.0.0.1:7005", "", Membership.EMPTY, 0);
    HelloResponse p = ProtoCodec.toProto(fresh);
    assertEquals(0, p.getMembership().size());
    assertEquals(fresh, ProtoCodec.fromProto(p));
  }

  @Test
  void entryDataIsCopiedNotShared() {
    byte[] data = "abc".getBytes(StandardCharsets.UTF_8);
    Entry p = ProtoCodec.toProto(new LogEntry(1, 1, LogEntry.Kind.COMMAND, data));
    data[0] = 'z';
    assertEquals("abc", p.getData().toStringUtf8());
  }

  @Test
  void bigBatchRoundTrips() {
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 1; i <= 2000; i++) {
      entries.add(new LogEntry(i, 1 + i / 500, LogEntry.Kind.COMMAND, new byte[256]));
    }
    var m = new RaftMessage.AppendEntries(1, 2, 5, 0, 0, entries, 1999, 1);
    assertEquals(m, ProtoCodec.fromProto(ProtoCodec.toProto(m)));
  }

  @Test
  void snapshotProbeAndResumeHeadersKeepTheHeaderAndSayWhereTheDataStarts() throws Exception {
    Membership m = Membership.ofVoters(List.of(new Member(1, "a:1", "a:2"), new Member(2, "b:1", "b:2")));
    var header = new RaftMessage.InstallSnapshot(1, 2, 7, 1000, 6, m);

    InstallSnapshotChunk probe = InstallSnapshotChunk.parseFrom(ProtoCodec.probeChunk(header).toByteArray());
    assertEquals(true, probe.getProbe());
    assertEquals(new RaftMessage.InstallSnapshot(1, 2, 7, 1000, 6, Membership.EMPTY), ProtoCodec.probeOf(probe));
    assertEquals(0, probe.getData().size());
    // A follower that knows no probes must refuse one rather than install an empty snapshot.
    assertThrows(IllegalArgumentException.class, () -> ProtoCodec.headerOf(probe));

    InstallSnapshotChunk resume = InstallSnapshotChunk.parseFrom(ProtoCodec.resumeChunk(header, 42).toByteArray());
    assertEquals(false, resume.getProbe());
    assertEquals(42, resume.getFirstChunk());
    assertEquals(header, ProtoCodec.headerOf(resume));

    InstallSnapshotResponse answer =
        InstallSnapshotResponse.parseFrom(ProtoCodec.probeResponse(header, 42).toByteArray());
    assertEquals(42, answer.getStagedChunks());
    assertEquals(new RaftMessage.InstallSnapshotResponse(2, 1, 7, true, 0), ProtoCodec.fromProto(answer));
  }

  @Test
  void helloCarriesIdentityAndPeerHeadersRoundTrip() {
    var info = new PeerInfo(2, "127.0.0.1:7002", "", threeVoters(), 1, 0xC1L, -5L, true);
    assertEquals(info, ProtoCodec.fromProto(ProtoCodec.toProto(info)));
    var stamp = new PeerStamp(-1L, 1, 0x11, 2, Long.MIN_VALUE);
    assertEquals(stamp, ProtoCodec.fromProto(ProtoCodec.toProto(stamp)));
    assertEquals(PeerStamp.NONE, ProtoCodec.fromProto(AppendEntriesRequest.getDefaultInstance().getHeader()),
        "a message without header reads as no identity");
  }
}
