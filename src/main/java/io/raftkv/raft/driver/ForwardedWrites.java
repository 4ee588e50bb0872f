package io.raftkv.raft.driver;

import io.raftkv.api.WriteOutcome;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes a follower has handed to its leader and whose answer has not come back. Normally the
 * leader's answer (or the forwarded call's own deadline) settles each one. But when the follower
 * loses its leader, an answer may never come: the leader may be cut off, paused or dead, and
 * the call would hang until its deadline while the client waits. So losing the leader answers
 * every one of them at once as outcome-unknown (the leader may still commit the write), and the
 * leader's late answer, if any, is dropped: each client hears exactly one answer.
 *
 * <p>The leader's answer arrives on the transport's thread, so the first-answer-wins choice is
 * an atomic flag per call, not the driver's single thread.
 */
final class ForwardedWrites {
  private final Map<Long, Call> inFlight = new ConcurrentHashMap<>();
  private long nextId = 1;

  private final class Call implements Reply<WriteOutcome> {
    private final long id;
    private final long leader;
    private final Reply<WriteOutcome> client;
    private final AtomicBoolean answered = new AtomicBoolean();

    Call(long id, long leader, Reply<WriteOutcome> client) {
      this.id = id;
      this.leader = leader;
      this.client = client;
    }

    @Override
    public void tell(WriteOutcome answer) {
      if (answered.compareAndSet(false, true)) {
        inFlight.remove(id);
        client.tell(answer);
      }
    }
  }

  /** Registers a write forwarded to {@code leader}; its answer must go to the returned reply. */
  Reply<WriteOutcome> track(long leader, Reply<WriteOutcome> client) {
    long id = nextId++;
    Call call = new Call(id, leader, client);
    inFlight.put(id, call);
    return call;
  }

  /** The follower no longer knows a leader: every forwarded write still waiting is answered now. */
  void leaderLost() {
    for (Call c : inFlight.values()) {
      c.tell(new WriteOutcome.Timeout("this node lost contact with the leader (node " + c.leader
          + ") before the forwarded write was answered; its outcome is unknown: read the key to see"
          + " whether it was applied"));
    }
  }

  int size() {
    return inFlight.size();
  }
}
