package io.raftkv.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The link proxy against an echo server on loopback: each mode does what the nemesis relies on. */
class LinkProxyTest {
  private ServerSocket echo;
  private LinkProxy link;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread c = new Thread(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException ignored) {
              // the client went away
            }
          });
          c.setDaemon(true);
          c.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    link = new LinkProxy("a->b", echo.getLocalPort(), 42);
  }

  @AfterEach
  void stop() throws IOException {
    link.close();
    echo.close();
  }

  private Socket dial() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), link.port());
    s.setSoTimeout(500);
    return s;
  }

  private static byte[] roundTrip(Socket s, String text) throws IOException {
    byte[] sent = text.getBytes(StandardCharsets.UTF_8);
    s.getOutputStream().write(sent);
    s.getOutputStream().flush();
    return s.getInputStream().readNBytes(sent.length);
  }

  @Test
  void passRelaysBothWays() throws IOException {
    try (Socket s = dial()) {
      assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), roundTrip(s, "hello"));
    }
    // The count moves just after each chunk is written on, so it may trail the echo briefly.
    await().atMost(Duration.ofSeconds(5)).until(() -> link.relayedBytes() >= 10);
  }

  @Test
  void cutClosesOpenConnectionsAndRefusesNewOnes() throws IOException {
    Socket s = dial();
    roundTrip(s, "x");
    link.set(LinkProxy.Mode.CUT);
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      try {
        return s.getInputStream().read() == -1;
      } catch (IOException e) {
        return true;
      }
    });
    try (Socket again = dial()) {
      // Accepted by the kernel, then closed by the proxy: the first read sees the end.
      assertEquals(-1, again.getInputStream().read());
    }
    link.heal();
    try (Socket healed = dial()) {
      assertArrayEquals("ok".getBytes(StandardCharsets.UTF_8), roundTrip(healed, "ok"));
    }
  }

  @Test
  void blackholeAcceptsButNeverAnswers() throws IOException {
    link.set(LinkProxy.Mode.BLACKHOLE);
    try (Socket s = dial()) {
      s.getOutputStream().write(1);
      assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
    }
  }

  @Test
  void oneWayFaultLetsRequestsThroughButSwallowsAnswers() throws IOException {
    link.setDownstream(LinkProxy.Mode.BLACKHOLE);
    try (Socket s = dial()) {
      s.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
      // The echo server did receive and answer: only the way back is cut.
      await().atMost(Duration.ofSeconds(5)).until(() -> link.relayedBytes() >= 4);
    }
  }

  @Test
  void delayHoldsEveryChunk() throws IOException {
    link.delay(150, 0);
    try (Socket s = dial()) {
      s.setSoTimeout(5_000);
      long start = System.nanoTime();
      roundTrip(s, "slow");
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(tookMs >= 300, "two crossings of 150 ms each, took " + tookMs + " ms");
    }
  }

  @Test
  void droppingEveryConnectionRefusesThemAll() throws IOException {
    link.dropConnections(1.0);
    try (Socket s = dial()) {
      assertEquals(-1, s.getInputStream().read());
    }
  }
}
