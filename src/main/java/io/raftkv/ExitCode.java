package io.raftkv;

/**
 * How the process ends, so that a supervisor (systemd, Kubernetes, start.sh) can tell a clean
 * stop from a failure and restart the node when it should. The numbers follow BSD's sysexits.h
 * where one fits.
 *
 * <ul>
 *   <li>{@code 0}: clean stop on SIGTERM or Ctrl+C; nothing to restart.
 *   <li>{@code 2}: configuration or usage error; restarting will not help until the file is fixed.
 *   <li>{@code 3}: not ours: the JVM exits with 3 on an OutOfMemoryError when started with
 *       {@code -XX:+ExitOnOutOfMemoryError}, as start.sh does. raftkv never uses this number, so
 *       it always means the heap ran out.
 *   <li>{@code 69}: the node could not start (address in use, data directory unusable, no
 *       cluster to join); EX_UNAVAILABLE.
 *   <li>{@code 70}: the Raft node crashed on an internal error (a bug); EX_SOFTWARE. Restarting
 *       recovers from the durable log.
 *   <li>{@code 74}: a storage read, write or fsync failed (disk full, I/O error, data directory
 *       removed); EX_IOERR. The node stopped rather than acknowledge anything not on disk.
 * </ul>
 */
public enum ExitCode {
  CLEAN(0),
  CONFIG(2),
  STARTUP(69),
  INTERNAL(70),
  STORAGE(74);

  /** The JVM's own exit code for OutOfMemoryError under -XX:+ExitOnOutOfMemoryError. */
  public static final int JVM_OUT_OF_MEMORY = 3;

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
