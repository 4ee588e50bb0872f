package io.raftkv.transport;

import com.google.protobuf.ByteString;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvCommandCodec;
import io.raftkv.kv.KvResultCodec;
import io.raftkv.raft.core.LogEntry;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import io.raftkv.raft.core.RaftMessage;
import io.raftkv.transport.grpc.AdminResponse;
import io.raftkv.transport.grpc.AppendEntriesRequest;
import io.raftkv.transport.grpc.AppendEntriesResponse;
import io.raftkv.transport.grpc.Entry;
import io.raftkv.transport.grpc.ForwardRequest;
import io.raftkv.transport.grpc.ForwardResponse;
import io.raftkv.transport.grpc.HelloResponse;
import io.raftkv.transport.grpc.InstallSnapshotChunk;
import io.raftkv.transport.grpc.InstallSnapshotResponse;
import io.raftkv.transport.grpc.JoinRequest;
import io.raftkv.transport.grpc.PeerHeader;
import io.raftkv.transport.grpc.ReadIndexRequest;
import io.raftkv.transport.grpc.ReadIndexResponse;
import io.raftkv.transport.grpc.RequestVoteRequest;
import io.raftkv.transport.grpc.RequestVoteResponse;
import io.raftkv.transport.grpc.TimeoutNowRequest;
import io.raftkv.transport.grpc.TimeoutNowResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure conversions between the core records and the {@code raft.proto} messages, both ways. It
 * holds no state and touches no Pekko type, so the wire mapping is unit-tested on its own.
 *
 * <p>Every {@code fromProto}/decoding method throws {@link IllegalArgumentException} on a message
 * it cannot map (an unknown enum value, a corrupt payload, an index the records reject); the server
 * turns that into an INVALID_ARGUMENT status and the client into a failed call, so a bad peer
 * cannot crash anyone.
 */
final class ProtoCodec {
  private ProtoCodec() {}

  // ---- RequestVote ----

  public static RequestVoteRequest toProto(RaftMessage.RequestVote m) {
    return RequestVoteRequest.newBuilder()
        .setFrom(m.from())
        .setTo(m.to())
        .setTerm(m.term())
        .setLastLogIndex(m.lastLogIndex())
        .setLastLogTerm(m.lastLogTerm())
        .setPreVote(m.preVote())
        .setTransfer(m.transfer())
        .build();
  }

  public static RaftMessage.RequestVote fromProto(RequestVoteRequest p) {
    return new RaftMessage.RequestVote(
        p.getFrom(), p.getTo(), p.getTerm(), p.getLastLogIndex(), p.getLastLogTerm(), p.getPreVote(),
        p.getTransfer());
  }

  public static RequestVoteResponse toProto(RaftMessage.RequestVoteResponse m) {
    return RequestVoteResponse.newBuilder()
        .setFrom(m.from())
        .setTo(m.to())
        .setTerm(m.term())
        .setVoteGranted(m.voteGranted())
        .setPreVote(m.preVote())
        .build();
  }

  public static RaftMessage.RequestVoteResponse fromProto(RequestVoteResponse p) {
    return new RaftMessage.RequestVoteResponse(
        p.getFrom(), p.getTo(), p.getTerm(), p.getVoteGranted(), p.getPreVote());
  }

  // ---- AppendEntries ----

  public static Entry toProto(LogEntry e) {
    return Entry.newBuilder()
        .setIndex(e.index())
        .setTerm(e.term())
        .setKind(toProto(e.kind()))
        // The record owns its array; copying keeps a later mutation of it off the wire.
        .setData(ByteString.copyFrom(e.data()))
        .build();
  }

  public static LogEntry fromProto(Entry p) {
    return new LogEntry(p.getIndex(), p.getTerm(), fromProto(p.getKind()), p.getData().toByteArray());
  }

  static Entry.Kind toProto(LogEntry.Kind kind) {
    switch (kind) {
      case COMMAND:
        return Entry.Kind.COMMAND;
      case NOOP:
        return Entry.Kind.NOOP;
      case CONFIG:
        return Entry.Kind.CONFIG;
      default:
        throw new IllegalArgumentException("unmapped log entry kind " + kind);
    }
  }

  static LogEntry.Kind fromProto(Entry.Kind kind) {
    switch (kind) {
      case COMMAND:
        return LogEntry.Kind.COMMAND;
      case NOOP:
        return LogEntry.Kind.NOOP;
      case CONFIG:
        return LogEntry.Kind.CONFIG;
      default:
        // KIND_UNSPECIFIED or a kind from a newer peer: applying it as anything would be a guess.
        throw new IllegalArgumentException("unknown log entry kind on the wire: " + kind);
    }
  }

  public static AppendEntriesRequest toProto(RaftMessage.AppendEntries m) {
    AppendEntriesRequest.Builder b =
        AppendEntriesRequest.newBuilder()
            .setFrom(m.from())
            .setTo(m.to())
            .setTerm(m.term())
            .setPrevLogIndex(m.prevLogIndex())
            .setPrevLogTerm(m.prevLogTerm())
            .setLeaderCommit(m.leaderCommit())
            .setReadSeq(m.readSeq());
    for (LogEntry e : m.entries()) b.addEntries(toProto(e));
    return b.build();
  }

  public static RaftMessage.AppendEntries fromProto(AppendEntriesRequest p) {
    List<LogEntry> entries = new ArrayList<>(p.getEntriesCount());
    for (Entry e : p.getEntriesList()) entries.add(fromProto(e));
    return new RaftMessage.AppendEntries(
        p.getFrom(),
        p.getTo(),
        p.getTerm(),
        p.getPrevLogIndex(),
        p.getPrevLogTerm(),
        entries,
        p.getLeaderCommit(),
        p.getReadSeq());
  }

  public static AppendEntriesResponse toProto(RaftMessage.AppendEntriesResponse m) {
    return AppendEntriesResponse.newBuilder()
        .setFrom(m.from())
        .setTo(m.to())
        .setTerm(m.term())
        .setSuccess(m.success())
        .setMatchIndex(m.matchIndex())
        .setConflictIndex(m.conflictIndex())
        .setPrevLogIndex(m.prevLogIndex())
        .setReadSeq(m.readSeq())
        .build();
  }

  public static RaftMessage.AppendEntriesResponse fromProto(AppendEntriesResponse p) {
    return new RaftMessage.AppendEntriesResponse(
        p.getFrom(),
        p.getTo(),
        p.getTerm(),
        p.getSuccess(),
        p.getMatchIndex(),
        p.getConflictIndex(),
        p.getPrevLogIndex(),
        p.getReadSeq());
  }

  // ---- Forward ----

  public static ForwardRequest toForwardRequest(KvCommand command) {
    // The command travels in the same compact encoding as a log entry, so the leader proposes the
    // exact bytes it received and the proto never has to follow the command set.
    return ForwardRequest.newBuilder().setCommand(ByteString.copyFrom(KvCommandCodec.encode(command))).build();
  }

  public static KvCommand fromProto(ForwardRequest p) {
    return KvCommandCodec.decode(p.getCommand().toByteArray());
  }

  public static ForwardResponse toProto(WriteOutcome outcome) {
    ForwardResponse.Builder b = ForwardResponse.newBuilder();
    if (outcome instanceof WriteOutcome.Applied a) {
      // The result crosses as KvResultCodec bytes, so new command kinds need no proto change.
      return b.setStatus(ForwardResponse.Status.APPLIED)
          .setResult(ByteString.copyFrom(KvResultCodec.encode(a.result())))
          .build();
    }
    if (outcome instanceof WriteOutcome.NotLeader n) {
      b.setStatus(ForwardResponse.Status.NOT_LEADER).setLeaderId(n.leaderId());
      if (n.leaderHttp() != null) b.setLeaderHttp(n.leaderHttp());
      return b.build();
    }
    if (outcome instanceof WriteOutcome.NoLeader n) {
      return withReason(b.setStatus(ForwardResponse.Status.NO_LEADER), n.reason()).build();
    }
    if (outcome instanceof WriteOutcome.Timeout t) {
      return withReason(b.setStatus(ForwardResponse.Status.TIMEOUT), t.reason()).build();
    }
    if (outcome instanceof WriteOutcome.Rejected r) {
      return withReason(b.setStatus(ForwardResponse.Status.REJECTED), r.reason()).build();
    }
    if (outcome instanceof WriteOutcome.NoSpace n) {
      return withReason(b.setStatus(ForwardResponse.Status.NO_SPACE), n.reason()).build();
    }
    if (outcome instanceof WriteOutcome.Overloaded o) {
      return withReason(b.setStatus(ForwardResponse.Status.OVERLOADED), o.reason())
          .setRetryAfterMs(o.retryAfterMs())
          .build();
    }
    throw new IllegalArgumentException("unmapped write outcome " + outcome);
  }

  private static ForwardResponse.Builder withReason(ForwardResponse.Builder b, String reason) {
    return reason == null ? b : b.setReason(reason);
  }

  public static WriteOutcome fromProto(ForwardResponse p) {
    String reason = p.hasReason() ? p.getReason() : null;
    switch (p.getStatus()) {
      case APPLIED:
        return new WriteOutcome.Applied(KvResultCodec.decode(p.getResult().toByteArray()));
      case NOT_LEADER:
        return new WriteOutcome.NotLeader(p.getLeaderId(), p.hasLeaderHttp() ? p.getLeaderHttp() : null);
      case NO_LEADER:
        return new WriteOutcome.NoLeader(reason);
      case TIMEOUT:
        return new WriteOutcome.Timeout(reason);
      case REJECTED:
        return new WriteOutcome.Rejected(reason);
      case NO_SPACE:
        return new WriteOutcome.NoSpace(reason);
      case OVERLOADED:
        return new WriteOutcome.Overloaded(reason, p.getRetryAfterMs());
      default:
        throw new IllegalArgumentException("unknown forward status on the wire: " + p.getStatus());
    }
  }

  // ---- ReadIndex ----

  public static ReadIndexRequest toReadIndexRequest(long from) {
    return ReadIndexRequest.newBuilder().setFrom(from).build();
  }

  public static ReadIndexResponse toProto(ReadIndexReply r) {
    return ReadIndexResponse.newBuilder()
        .setStatus(toProto(r.status()))
        .setReadIndex(r.readIndex())
        .setLeaderId(r.leaderId())
        .build();
  }

  public static ReadIndexReply fromProto(ReadIndexResponse p) {
    return new ReadIndexReply(fromProto(p.getStatus()), p.getReadIndex(), p.getLeaderId());
  }

  static ReadIndexResponse.Status toProto(ReadIndexReply.Status s) {
    switch (s) {
      case OK:
        return ReadIndexResponse.Status.OK;
      case NOT_LEADER:
        return ReadIndexResponse.Status.NOT_LEADER;
      case NO_LEADER:
        return ReadIndexResponse.Status.NO_LEADER;
      case TIMEOUT:
        return ReadIndexResponse.Status.TIMEOUT;
      default:
        throw new IllegalArgumentException("unmapped read index status " + s);
    }
  }

  static ReadIndexReply.Status fromProto(ReadIndexResponse.Status s) {
    switch (s) {
      case OK:
        return ReadIndexReply.Status.OK;
      case NOT_LEADER:
        return ReadIndexReply.Status.NOT_LEADER;
      case NO_LEADER:
        return ReadIndexReply.Status.NO_LEADER;
      case TIMEOUT:
        return ReadIndexReply.Status.TIMEOUT;
      default:
        // Serving a read on an unknown status could break linearizability; refuse it.
        throw new IllegalArgumentException("unknown read index status on the wire: " + s);
    }
  }

  // ---- Hello ----

  /**
   * Null addresses become empty strings (proto3 strings cannot be null). An empty membership is
   * sent as empty bytes, the proto's own "no cluster", rather than an encoded empty record.
   */
  public static HelloResponse toProto(PeerInfo info) {
    byte[] membership = info.membership() == null || info.membership().isEmpty()
        ? new byte[0]
        : MembershipCodec.encode(info.membership());
    return HelloResponse.newBuilder()
        .setNodeId(info.nodeId())
        .setRaftAddr(nullToEmpty(info.raftAddr()))
        .setHttpAddr(nullToEmpty(info.httpAddr()))
        .setMembership(ByteString.copyFrom(membership))
        .setLeaderId(info.leaderId())
        .setClusterId(info.clusterId())
        .setIncarnation(info.incarnation())
        .setHasState(info.hasState())
        .build();
  }

  public static PeerInfo fromProto(HelloResponse p) {
    Membership membership = p.getMembership().isEmpty()
        ? Membership.EMPTY
        : MembershipCodec.decode(p.getMembership().toByteArray());
    return new PeerInfo(p.getNodeId(), p.getRaftAddr(), p.getHttpAddr(), membership, p.getLeaderId(),
        p.getClusterId(), p.getIncarnation(), p.getHasState());
  }

  // ---- PeerHeader ----

  public static PeerHeader toProto(PeerStamp s) {
    return PeerHeader.newBuilder()
        .setClusterId(s.clusterId())
        .setFromId(s.fromId())
        .setFromIncarnation(s.fromIncarnation())
        .setToId(s.toId())
        .setToIncarnation(s.toIncarnation())
        .build();
  }

  /** A message without a header reads as {@link PeerStamp#NONE}, which no node admits. */
  public static PeerStamp fromProto(PeerHeader p) {
    return new PeerStamp(
        p.getClusterId(), p.getFromId(), p.getFromIncarnation(), p.getToId(), p.getToIncarnation());
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  // ---- TimeoutNow ----

  public static TimeoutNowRequest toProto(RaftMessage.TimeoutNow m) {
    return TimeoutNowRequest.newBuilder().setFrom(m.from()).setTo(m.to()).setTerm(m.term()).build();
  }

  public static RaftMessage.TimeoutNow fromProto(TimeoutNowRequest p) {
    return new RaftMessage.TimeoutNow(p.getFrom(), p.getTo(), p.getTerm());
  }

  public static TimeoutNowResponse toProto(RaftMessage.TimeoutNowResponse m) {
    return TimeoutNowResponse.newBuilder()
        .setFrom(m.from()).setTo(m.to()).setTerm(m.term()).setAccepted(m.accepted()).build();
  }

  public static RaftMessage.TimeoutNowResponse fromProto(TimeoutNowResponse p) {
    return new RaftMessage.TimeoutNowResponse(p.getFrom(), p.getTo(), p.getTerm(), p.getAccepted());
  }

  // ---- Join / Leave ----

  public static JoinRequest toJoinRequest(io.raftkv.raft.core.Member m, boolean forwarded) {
    return JoinRequest.newBuilder()
        .setNodeId(m.id()).setRaftAddr(m.raftAddr()).setHttpAddr(m.httpAddr()).setForwarded(forwarded).build();
  }

  public static io.raftkv.raft.core.Member fromProto(JoinRequest p) {
    return new io.raftkv.raft.core.Member(p.getNodeId(), p.getRaftAddr(), p.getHttpAddr());
  }

  public static AdminResponse toProto(io.raftkv.api.AdminOutcome o) {
    AdminResponse.Builder b = AdminResponse.newBuilder();
    if (o instanceof io.raftkv.api.AdminOutcome.Done d) {
      return b.setStatus(AdminResponse.Status.DONE).setMessage(d.message()).build();
    }
    if (o instanceof io.raftkv.api.AdminOutcome.Invalid i) {
      return b.setStatus(AdminResponse.Status.INVALID).setMessage(i.reason()).build();
    }
    if (o instanceof io.raftkv.api.AdminOutcome.Unavailable u) {
      return b.setStatus(AdminResponse.Status.UNAVAILABLE).setMessage(u.reason()).build();
    }
    if (o instanceof io.raftkv.api.AdminOutcome.Timeout t) {
      return b.setStatus(AdminResponse.Status.TIMEOUT).setMessage(t.reason()).build();
    }
    if (o instanceof io.raftkv.api.AdminOutcome.Conflict c) {
      return b.setStatus(AdminResponse.Status.CONFLICT).setMessage(c.reason()).build();
    }
    if (o instanceof io.raftkv.api.AdminOutcome.Transferred t) {
      return b.setStatus(AdminResponse.Status.TRANSFERRED).setLeaderId(t.leaderId()).build();
    }
    throw new IllegalArgumentException("unknown admin outcome " + o);
  }

  public static io.raftkv.api.AdminOutcome fromProto(AdminResponse p) {
    switch (p.getStatus()) {
      case DONE:
        return new io.raftkv.api.AdminOutcome.Done(p.getMessage());
      case INVALID:
        return new io.raftkv.api.AdminOutcome.Invalid(p.getMessage());
      case UNAVAILABLE:
        return new io.raftkv.api.AdminOutcome.Unavailable(p.getMessage());
      case TIMEOUT:
        return new io.raftkv.api.AdminOutcome.Timeout(p.getMessage());
      case CONFLICT:
        return new io.raftkv.api.AdminOutcome.Conflict(p.getMessage());
      case TRANSFERRED:
        return new io.raftkv.api.AdminOutcome.Transferred(p.getLeaderId());
      default:
        throw new IllegalArgumentException("unknown admin status " + p.getStatus());
    }
  }

  // ---- InstallSnapshot ----

  /** The header of a stream whose data starts at chunk {@code firstChunk}; it carries no data. */
  public static InstallSnapshotChunk resumeChunk(RaftMessage.InstallSnapshot m, long firstChunk) {
    return header(m).setFirstChunk(firstChunk).build();
  }

  /**
   * A header that asks how many chunks of the snapshot the follower holds staged. It leaves the
   * membership out on purpose: a follower of an earlier version, which knows no probes, then
   * rejects it as a header-less chunk instead of installing an empty snapshot.
   */
  public static InstallSnapshotChunk probeChunk(RaftMessage.InstallSnapshot m) {
    return header(m).clearMembership().setProbe(true).build();
  }

  /** The snapshot a probe names; its membership is not part of a probe and reads as empty. */
  public static RaftMessage.InstallSnapshot probeOf(InstallSnapshotChunk p) {
    if (!p.getProbe()) throw new IllegalArgumentException("not a snapshot probe");
    return new RaftMessage.InstallSnapshot(
        p.getFrom(), p.getTo(), p.getTerm(), p.getLastIncludedIndex(), p.getLastIncludedTerm(),
        io.raftkv.raft.core.Membership.EMPTY);
  }

  /** The answer to a probe, from the follower that holds {@code stagedChunks} chunks. */
  public static InstallSnapshotResponse probeResponse(RaftMessage.InstallSnapshot m, long stagedChunks) {
    return InstallSnapshotResponse.newBuilder()
        .setFrom(m.to()).setTo(m.from()).setTerm(m.term()).setSuccess(true).setStagedChunks(stagedChunks)
        .build();
  }

  private static InstallSnapshotChunk.Builder header(RaftMessage.InstallSnapshot m) {
    return InstallSnapshotChunk.newBuilder()
        .setFrom(m.from())
        .setTo(m.to())
        .setTerm(m.term())
        .setLastIncludedIndex(m.lastIncludedIndex())
        .setLastIncludedTerm(m.lastIncludedTerm())
        .setMembership(ByteString.copyFrom(io.raftkv.raft.core.MembershipCodec.encode(m.membership())));
  }

  public static InstallSnapshotChunk dataChunk(byte[] data) {
    return InstallSnapshotChunk.newBuilder().setData(ByteString.copyFrom(data)).build();
  }

  public static RaftMessage.InstallSnapshot headerOf(InstallSnapshotChunk p) {
    if (p.getMembership().isEmpty()) throw new IllegalArgumentException("the first snapshot chunk has no header");
    return new RaftMessage.InstallSnapshot(
        p.getFrom(), p.getTo(), p.getTerm(), p.getLastIncludedIndex(), p.getLastIncludedTerm(),
        io.raftkv.raft.core.MembershipCodec.decode(p.getMembership().toByteArray()));
  }

  public static InstallSnapshotResponse toProto(RaftMessage.InstallSnapshotResponse m) {
    return InstallSnapshotResponse.newBuilder()
        .setFrom(m.from()).setTo(m.to()).setTerm(m.term()).setSuccess(m.success()).setMatchIndex(m.matchIndex())
        .build();
  }

  public static RaftMessage.InstallSnapshotResponse fromProto(InstallSnapshotResponse p) {
    return new RaftMessage.InstallSnapshotResponse(p.getFrom(), p.getTo(), p.getTerm(), p.getSuccess(), p.getMatchIndex());
  }
}
