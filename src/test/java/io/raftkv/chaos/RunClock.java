package io.raftkv.chaos;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Time within one run, in microseconds since it began, shared by the workload, the nemesis and
 * the report so that every figure and every fault is on one axis; and the run's stop signal,
 * which ends any wait at once.
 */
final class RunClock {
  private final long startNanos = System.nanoTime();
  private final CountDownLatch stop = new CountDownLatch(1);

  long micros() {
    return (System.nanoTime() - startNanos) / 1_000;
  }

  /** Holds the calling thread for {@code d}, or less if the run stops; true if it did not stop. */
  boolean hold(Duration d) throws InterruptedException {
    return !stop.await(d.toNanos(), TimeUnit.NANOSECONDS);
  }

  void stop() {
    stop.countDown();
  }

  boolean stopped() {
    return stop.getCount() == 0;
  }
}
