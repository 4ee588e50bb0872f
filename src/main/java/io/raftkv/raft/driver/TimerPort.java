package io.raftkv.raft.driver;

import java.time.Duration;

/**
 * Timers for the driver. Actions run later on the driver's thread, never inside the call; the
 * driver collects the core's output after each. The fixed-rate Raft tick is not here: the
 * environment calls {@link RaftDriver#tick} itself.
 */
public interface TimerPort {
  /** Runs {@code action} once after {@code delay}, replacing any pending timer with the same key. */
  void startSingle(String key, Duration delay, Runnable action);

  /**
   * Runs {@code action} after the inputs already waiting for the driver: proposals queued behind
   * one another are appended together before their Ready is collected (group commit).
   */
  void runSoon(Runnable action);
}
