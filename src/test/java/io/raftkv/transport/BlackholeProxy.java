package io.raftkv.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy to a server that can turn into a blackhole: once {@link #blackhole()} is
 * called, the connections open at that moment stay open and keep accepting bytes, but nothing
 * is forwarded either way any more, like a peer that lost power behind a switch that still
 * holds the route. Connections accepted later are forwarded normally (the peer came back).
 */
final class BlackholeProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong toServerBytes = new AtomicLong();
  private final AtomicLong toClientBytes = new AtomicLong();
  private final AtomicInteger closedByServer = new AtomicInteger();
  /** Connections numbered below this are swallowed. */
  private volatile int blackholeBelow;
  private volatile boolean closed;

  BlackholeProxy(int targetPort) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  int accepted() {
    return accepted.get();
  }

  long toServerBytes() {
    return toServerBytes.get();
  }

  long toClientBytes() {
    return toClientBytes.get();
  }

  /** From now on, the connections open so far forward nothing, in either direction. */
  void blackhole() {
    blackholeBelow = accepted.get() + 1;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        int number = accepted.incrementAndGet();
        Socket server = new Socket();
        server.connect(target, 2000);
        sockets.add(client);
        sockets.add(server);
        pump(number, client, server, toServerBytes, null);
        pump(number, server, client, toClientBytes, closedByServer);
      } catch (IOException e) {
        if (closed) return;
      }
    }
  }

  /** Connections the server end closed (its side of the stream ended), blackholed or not. */
  int closedByServer() {
    return closedByServer.get();
  }

  private void pump(int number, Socket from, Socket to, AtomicLong counter, AtomicInteger endedCounter) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          // A blackholed connection reads on, so the sender's writes never block or fail.
          if (number < blackholeBelow) continue;
          out.write(buf, 0, n);
          out.flush();
          counter.addAndGet(n);
        }
        if (endedCounter != null) endedCounter.incrementAndGet();
      } catch (IOException e) {
        // One side closed or reset the connection: the other goes with it.
        if (endedCounter != null && !closed) endedCounter.incrementAndGet();
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-pump-" + number);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    for (Socket s : sockets) closeQuietly(s);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
