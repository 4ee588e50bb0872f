package io.raftkv.transport;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.raftkv.transport.grpc.RaftService;
import java.util.concurrent.TimeUnit;

/**
 * Gives each call its deadline by method: the Pekko gRPC client applies its configured deadline
 * on some call paths only, so the deadline is set where every call passes, on the channel.
 * A shorter deadline already on the call is kept.
 */
final class CallDeadlines implements ClientInterceptor {
  private static final String FORWARD = MethodDescriptor.generateFullMethodName(RaftService.name, "Forward");
  private static final String READ_INDEX = MethodDescriptor.generateFullMethodName(RaftService.name, "ReadIndex");
  private static final String JOIN = MethodDescriptor.generateFullMethodName(RaftService.name, "Join");
  private static final String LEAVE = MethodDescriptor.generateFullMethodName(RaftService.name, "Leave");
  private static final String TRANSFER_LEADER =
      MethodDescriptor.generateFullMethodName(RaftService.name, "TransferLeader");
  private static final String APPEND_STREAM = MethodDescriptor.generateFullMethodName(RaftService.name, "AppendStream");
  private static final String INSTALL_SNAPSHOT =
      MethodDescriptor.generateFullMethodName(RaftService.name, "InstallSnapshot");
  private final long raftNanos;
  private final long clientCallNanos;
  /** A join waits while the learner catches up, which takes as long as the log is big. */
  private final long adminNanos;

  CallDeadlines(GrpcTransport.Settings settings) {
    this.raftNanos = settings.raftDeadline().toNanos();
    this.clientCallNanos = settings.clientCallDeadline().toNanos();
    this.adminNanos = settings.adminCallDeadline().toNanos();
  }

  @Override
  public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
    String name = method.getFullMethodName();
    // The append stream lives as long as the connection; each message has its own deadline.
    // A snapshot transfer takes as long as the snapshot is big; SnapshotSender bounds the wait
    // for each chunk instead.
    if (APPEND_STREAM.equals(name) || INSTALL_SNAPSHOT.equals(name)) return next.newCall(method, options);
    // The leader answers a leadership transfer within its request timeout, as it does a write.
    long nanos = FORWARD.equals(name) || READ_INDEX.equals(name) || TRANSFER_LEADER.equals(name)
        ? clientCallNanos : raftNanos;
    if (JOIN.equals(name) || LEAVE.equals(name)) nanos = adminNanos;
    Deadline deadline = Deadline.after(nanos, TimeUnit.NANOSECONDS);
    Deadline existing = options.getDeadline();
    if (existing != null && existing.isBefore(deadline)) deadline = existing;
    return next.newCall(method, options.withDeadline(deadline));
  }
}
