package io.raftkv.raft.core;

/**
 * The state Figure 2 of the paper requires on stable storage before responding to RPCs: the
 * current term and the candidate voted for in it ({@link #NO_VOTE} when none).
 */
public record HardState(long term, long votedFor) {
  public static final long NO_VOTE = 0;
  public static final HardState INITIAL = new HardState(0, NO_VOTE);

  public HardState {
    if (term < 0) throw new IllegalArgumentException("negative term " + term);
  }
}
