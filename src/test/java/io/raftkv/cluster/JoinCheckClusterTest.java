package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /join first asks the endpoint who it is: an endpoint where no raftkv node listens is a 400
 * within seconds (not a long hang), another node id is a 400, and a node of another cluster is a
 * 409. None of them changes the membership.
 */
class JoinCheckClusterTest {
  @TempDir Path dir;

  @Test
  void joinsOfNonRaftkvEndpointsAndOfOtherClustersAreRefusedQuickly() throws Exception {
    try (TestCluster ours = new TestCluster(dir.resolve("ours"), 1, ClusterTest.FAST);
        TestCluster theirs = new TestCluster(dir.resolve("theirs"), 1, ClusterTest.FAST);
        FakeEndpoint silent = new FakeEndpoint(s -> {});
        FakeEndpoint garbage = new FakeEndpoint(JoinCheckClusterTest::writeGarbage)) {
      ours.startAll();
      theirs.startAll();
      ours.awaitLeader();
      theirs.awaitLeader();
      // A first request warms the HTTP path up, so the timings below measure the join check.
      ours.setEventually(1, "warm", "up");

      for (FakeEndpoint endpoint : List.of(garbage, silent)) {
        long start = System.nanoTime();
        TestCluster.Response r = ours.post(1, "/join", "{\"node_id\": 5, \"endpoint\": \"" + endpoint.address() + "\"}");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(400, r.status(), r.body());
        assertTrue(r.json().get("error").asText().contains("no raftkv node answers at endpoint " + endpoint.address()),
            r.body());
        assertTrue(millis < 6_000, "answered in " + millis + " ms");
      }

      TestCluster.Response wrongId = ours.post(1, "/join", "{\"node_id\": 7, \"endpoint\": \"" + theirs.raftAddr(1) + "\"}");
      assertEquals(400, wrongId.status(), wrongId.body());
      assertTrue(wrongId.json().get("error").asText().contains("has node_id 1"), wrongId.body());

      TestCluster.Response other = ours.post(1, "/join", "{\"node_id\": 1, \"endpoint\": \"" + theirs.raftAddr(1) + "\"}");
      assertEquals(409, other.status(), other.body());
      assertTrue(other.json().get("error").asText().contains("another cluster"), other.body());

      assertEquals(1, ours.server(1).membership().allIds().size(), "nothing was added");
      assertFalse(ours.server(1).membership().all().values().stream()
          .anyMatch(m -> m.raftAddr().equals(theirs.raftAddr(1))));
      ours.setEventually(1, "still", "works");
    }
  }

  private static void writeGarbage(Socket s) {
    try {
      OutputStream out = s.getOutputStream();
      byte[] junk = new byte[4096];
      new Random(3).nextBytes(junk);
      out.write(junk);
      out.flush();
    } catch (IOException e) {
      // the client hung up: fine
    }
  }

  /** A loopback TCP endpoint that is not raftkv: it accepts connections and does {@code onAccept} with each. */
  static final class FakeEndpoint implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread acceptor;

    FakeEndpoint(Consumer<Socket> onAccept) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            accepted.add(s);
            onAccept.accept(s);
          } catch (IOException e) {
            return; // closed
          }
        }
      }, "fake-endpoint-" + server.getLocalPort());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String address() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      List<IOException> failures = new ArrayList<>();
      for (Socket s : accepted) {
        try {
          s.close();
        } catch (IOException e) {
          failures.add(e);
        }
      }
      if (!failures.isEmpty()) throw failures.get(0);
    }
  }
}
