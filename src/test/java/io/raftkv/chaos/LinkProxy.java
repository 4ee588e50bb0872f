package io.raftkv.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One directed network link between two real nodes, as a TCP proxy on loopback: the dialing node
 * is configured to reach its peer at {@link #port()}, and the proxy relays to the peer's real
 * address. The nemesis changes how the link behaves while nodes run, without root or iptables:
 *
 * <ul>
 *   <li>{@link Mode#PASS}: bytes flow;
 *   <li>{@link Mode#CUT}: every open connection is closed and new ones are closed at once, as a
 *       peer that is down or a firewall that rejects;
 *   <li>{@link Mode#BLACKHOLE}: connections are accepted but nothing is relayed, as a partition
 *       that drops packets (the dialer learns only from its own timeouts).
 * </ul>
 *
 * Each direction of the link can be set apart ({@link #setUpstream}: dialer to peer, {@link
 * #setDownstream}: the answers), so one-way faults are possible. On top of the mode, {@link
 * #delay} adds a fixed latency plus jitter to every chunk, {@link #limitBandwidth} caps the bytes
 * per second, and {@link #dropConnections} closes a fraction of new connections.
 */
public final class LinkProxy implements AutoCloseable {
  public enum Mode {
    PASS,
    CUT,
    BLACKHOLE
  }

  private final String name;
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Random random;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicLong relayedBytes = new AtomicLong();
  private volatile Mode upstream = Mode.PASS;
  private volatile Mode downstream = Mode.PASS;
  private volatile long delayMs;
  private volatile long jitterMs;
  private volatile long bytesPerSecond;
  private volatile double dropFraction;
  private volatile boolean closed;

  /** Listens on an ephemeral loopback port and relays to {@code targetPort} on loopback. */
  public LinkProxy(String name, int targetPort, long seed) throws IOException {
    this.name = name;
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.random = new Random(seed);
    Thread acceptor = new Thread(this::acceptLoop, "link-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port the dialing node must use to reach its peer over this link. */
  public int port() {
    return server.getLocalPort();
  }

  public String name() {
    return name;
  }

  /** Sets both directions at once. */
  public void set(Mode mode) {
    setUpstream(mode);
    setDownstream(mode);
  }

  /** How the dialer's bytes to the peer are treated. */
  public void setUpstream(Mode mode) {
    upstream = mode;
    if (mode == Mode.CUT) closeAll();
  }

  /** How the peer's answers to the dialer are treated. */
  public void setDownstream(Mode mode) {
    downstream = mode;
    if (mode == Mode.CUT) closeAll();
  }

  public Mode upstream() {
    return upstream;
  }

  public Mode downstream() {
    return downstream;
  }

  /** Every relayed chunk waits {@code fixedMs} plus up to {@code jitterMs} more. */
  public void delay(long fixedMs, long jitterMs) {
    this.delayMs = fixedMs;
    this.jitterMs = jitterMs;
  }

  /** Caps each direction at {@code bytesPerSecond} (0: no cap). */
  public void limitBandwidth(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Closes this fraction of new connections at once (0: none). */
  public void dropConnections(double fraction) {
    this.dropFraction = fraction;
  }

  /** Back to a clean link: passes both ways, no delay, no cap, no drops. */
  public void heal() {
    delay(0, 0);
    limitBandwidth(0);
    dropConnections(0);
    set(Mode.PASS);
  }

  /** Bytes relayed so far, both directions. */
  public long relayedBytes() {
    return relayedBytes.get();
  }

  /** Connections currently open through this link. */
  public int openConnections() {
    return open.size() / 2;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      boolean drop;
      synchronized (random) {
        drop = dropFraction > 0 && random.nextDouble() < dropFraction;
      }
      if (upstream == Mode.CUT || downstream == Mode.CUT || drop) {
        closeQuietly(client);
        continue;
      }
      Socket peer = new Socket();
      try {
        peer.connect(target, 2_000);
        client.setTcpNoDelay(true);
        peer.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(peer);
        continue;
      }
      open.add(client);
      open.add(peer);
      pump(client, peer, true);
      pump(peer, client, false);
    }
  }

  private void pump(Socket from, Socket to, boolean isUpstream) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          Mode mode = isUpstream ? upstream : downstream;
          if (mode == Mode.BLACKHOLE) continue; // swallowed: the sender never hears
          if (mode == Mode.CUT) break;
          pause(n);
          out.write(buf, 0, n);
          out.flush();
          relayedBytes.addAndGet(n);
        }
      } catch (IOException | InterruptedException e) {
        // The connection ended: close both ends below, as a broken link would.
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "link-" + name + (isUpstream ? "-up" : "-down"));
    t.setDaemon(true);
    t.start();
  }

  /** Latency and bandwidth: how long a chunk of {@code bytes} takes to cross the link. */
  private void pause(int bytes) throws InterruptedException {
    long wait = delayMs;
    if (jitterMs > 0) {
      synchronized (random) {
        wait += (long) (random.nextDouble() * jitterMs);
      }
    }
    long rate = bytesPerSecond;
    if (rate > 0) wait += bytes * 1000L / rate;
    // Simulating the wire: the relay thread itself is the link, so it waits as the link would.
    if (wait > 0) Thread.sleep(wait);
  }

  private void closeAll() {
    for (Socket s : open) closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Already closed or broken: either way it carries nothing more.
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing the listener only stops new connections; open ones are closed next.
    }
    closeAll();
  }

  @Override
  public String toString() {
    return name + " (" + port() + " -> " + target.getPort() + ", up " + upstream + ", down " + downstream + ")";
  }
}
