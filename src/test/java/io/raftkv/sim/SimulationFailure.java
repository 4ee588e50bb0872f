package io.raftkv.sim;

/**
 * A broken invariant or a liveness failure found by the simulator. The message always names the
 * seed and the virtual time, because without them the failure cannot be replayed.
 */
final class SimulationFailure extends RuntimeException {
  final long seed;
  final long virtualMs;

  SimulationFailure(long seed, long virtualMs, String what) {
    super("seed=" + seed + " t=" + virtualMs + "ms: " + what);
    this.seed = seed;
    this.virtualMs = virtualMs;
  }

  SimulationFailure(long seed, long virtualMs, String what, Throwable cause) {
    super("seed=" + seed + " t=" + virtualMs + "ms: " + what, cause);
    this.seed = seed;
    this.virtualMs = virtualMs;
  }
}
