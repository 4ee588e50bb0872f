package io.raftkv.raft.driver;

import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Everything the driver reaches the world through: storage, peers, timers, a monotonic clock in
 * nanoseconds ({@code System::nanoTime} in production, virtual time in the simulator) and a log.
 */
public record DriverPorts(StoragePort storage, PeerPort peers, TimerPort timers, LongSupplier nanoClock, Logger log) {}
