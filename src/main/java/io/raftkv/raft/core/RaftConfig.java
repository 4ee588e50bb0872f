package io.raftkv.raft.core;

/**
 * Tuning of the core, in logical ticks (the driver decides how long a tick is). The election
 * timeout is drawn uniformly from [electionTicksMin, electionTicksMax) each time it is reset
 * (§5.2: randomized timeouts make split votes rare).
 *
 * @param maxInflightAppends how many AppendEntries may be outstanding to one follower while it is
 *     keeping up (pipelining); 1 while probing for the match point
 * @param preVote run a PreVote round before a real election (thesis §9.6) so a node that was cut
 *     off cannot disrupt a healthy leader by bumping the term when it comes back
 * @param checkQuorum a leader that has not heard from a majority within an election timeout
 *     steps down (thesis §6.2), so clients of a deposed leader fail over quickly
 */
public record RaftConfig(
    int electionTicksMin,
    int electionTicksMax,
    int heartbeatTicks,
    int maxEntriesPerAppend,
    long maxBytesPerAppend,
    int maxInflightAppends,
    boolean preVote,
    boolean checkQuorum) {

  public RaftConfig {
    if (heartbeatTicks < 1) throw new IllegalArgumentException("heartbeatTicks must be >= 1");
    if (electionTicksMin <= heartbeatTicks) {
      throw new IllegalArgumentException("electionTicksMin must exceed heartbeatTicks");
    }
    if (electionTicksMax <= electionTicksMin) {
      throw new IllegalArgumentException("electionTicksMax must exceed electionTicksMin");
    }
    if (maxEntriesPerAppend < 1) throw new IllegalArgumentException("maxEntriesPerAppend must be >= 1");
    if (maxBytesPerAppend < 1) throw new IllegalArgumentException("maxBytesPerAppend must be >= 1");
    if (maxInflightAppends < 1) throw new IllegalArgumentException("maxInflightAppends must be >= 1");
  }

  /** Defaults used by tests: 10 ticks election minimum, heartbeat every 2 ticks. */
  public static RaftConfig defaults() {
    return new RaftConfig(10, 20, 2, 64, 1 << 20, 8, true, true);
  }
}
