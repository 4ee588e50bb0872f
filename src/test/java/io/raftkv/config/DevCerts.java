package io.raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Certificates for tests, made by openssl: scripts/dev-certs.sh, or one openssl command. */
public final class DevCerts {
  private DevCerts() {}

  /** True when openssl runs here; tests that need certificates assume it. */
  public static boolean opensslAvailable() {
    try {
      run(List.of("openssl", "version"));
      return true;
    } catch (IOException | AssertionError e) {
      return false;
    }
  }

  /** Runs scripts/dev-certs.sh into {@code out} (ca.pem, node1..3.pem, client.pem and their keys). */
  public static Path make(Path out) throws IOException {
    return make(out, 3);
  }

  /** As {@link #make(Path)}, with certificates for nodes 1..{@code nodes}. */
  public static Path make(Path out, int nodes) throws IOException {
    run(List.of("bash", "scripts/dev-certs.sh", out.toString(), Integer.toString(nodes)));
    return out;
  }

  /** Runs {@code command}, failing the test with its output unless it exits 0 within a minute. */
  public static String run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), command + " did not finish");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    assertEquals(0, p.exitValue(), command + " failed: " + output);
    return output;
  }
}
