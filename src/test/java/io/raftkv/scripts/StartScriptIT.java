package io.raftkv.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * start.sh as a user runs it, on the shipped configs and ports 7001-7003 / 8001-8003, against the
 * jar that `package` just built. Whatever happens, the nodes it started are stopped again.
 */
class StartScriptIT {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final List<Integer> PORTS = List.of(7001, 7002, 7003, 8001, 8002, 8003);
  private boolean started;

  record Run(int exit, String output) {}

  @Test
  void startStatusTestStop() throws Exception {
    for (int port : PORTS) {
      if (listening(port)) {
        fail("port " + port + " is in use: stop the running cluster (./start.sh stop) before running this test");
      }
    }
    started = true;
    Run start = run(180, "start");
    assertEquals(0, start.exit(), start.output());
    assertTrue(start.output().contains("Leader: node "), start.output());

    Run again = run(60, "start");
    assertEquals(0, again.exit(), again.output());
    assertTrue(again.output().contains("already running"), "a second start starts nothing new: " + again.output());

    Run status = run(30, "status");
    assertEquals(0, status.exit(), status.output());
    for (int n = 1; n <= 3; n++) {
      assertTrue(status.output().matches("(?s).*node" + n + "\\s+running.*"), status.output());
    }

    Run test = run(60, "test");
    assertEquals(0, test.exit(), test.output());
    assertTrue(test.output().contains("PASS"), test.output());

    Run stop = run(60, "stop");
    started = false;
    assertEquals(0, stop.exit(), stop.output());
    for (int port : PORTS) assertTrue(!listening(port), "port " + port + " is closed after stop");
    Run after = run(30, "status");
    assertTrue(after.output().matches("(?s).*node1\\s+stopped.*"), after.output());
    for (int n = 1; n <= 3; n++) {
      String log = Files.readString(ROOT.resolve("logs/node" + n + ".log"));
      assertTrue(log.contains("stopped cleanly"), "node" + n + " shut down cleanly on SIGTERM");
    }
  }

  @AfterEach
  void stopWhatWeStarted() throws Exception {
    if (started) run(60, "stop");
  }

  private static Run run(int timeoutSeconds, String... args) throws IOException, InterruptedException {
    String[] cmd = new String[args.length + 2];
    cmd[0] = "bash";
    cmd[1] = ROOT.resolve("start.sh").toString();
    System.arraycopy(args, 0, cmd, 2, args.length);
    Path out = Files.createTempFile("start-sh", ".out");
    try {
      Process p = new ProcessBuilder(cmd)
          .directory(ROOT.toFile())
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return new Run(-1, "timed out after " + timeoutSeconds + " s:\n" + Files.readString(out));
      }
      return new Run(p.exitValue(), Files.readString(out));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
