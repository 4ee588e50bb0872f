package io.raftkv;

import io.raftkv.config.ConfigException;
import io.raftkv.config.ConfigLoader;
import io.raftkv.config.NodeConfig;
import io.raftkv.config.TestHooks;
import io.raftkv.raft.node.NodeFailure;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;

/**
 * Starts one node: {@code java -jar raftkv.jar --conf conf/node1.toml}. The exit code says how
 * the node ended (see {@link ExitCode}); a failure is never reported as a clean stop.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Initialise logging on this thread first, so SLF4J does not warn about replaying early
    // messages logged from Pekko's threads.
    LoggerFactory.getILoggerFactory();
    Path conf = confArgument(args);
    NodeConfig config;
    TestHooks hooks;
    try {
      config = ConfigLoader.load(conf);
      hooks = TestHooks.fromProperties(System.getProperties());
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(ExitCode.CONFIG.code());
      return;
    }
    applyLogLevel(config.logLevel());
    System.out.println(config.describe());
    config.plaintextWarning().ifPresent(System.out::println);
    System.out.println();

    AtomicReference<RaftKvServer> server = new AtomicReference<>();
    AtomicBoolean stopping = new AtomicBoolean();
    // Set before the main thread exits on a failure; the shutdown hook then leaves the exit code alone.
    AtomicBoolean failed = new AtomicBoolean();
    Thread mainThread = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      // System.exit(code) runs this hook too: after a failure there is nothing to stop cleanly,
      // and halting here would replace the failure's exit code.
      if (failed.get()) return;
      System.out.println("Shutting down node " + config.nodeId() + "...");
      RaftKvServer s = server.get();
      if (s == null) {
        mainThread.interrupt();
        return;
      }
      try {
        s.stop();
      } catch (RuntimeException e) {
        System.err.println("error: node " + config.nodeId() + " did not stop cleanly: " + rootMessage(e)
            + " (exit " + ExitCode.INTERNAL.code() + ")");
        System.err.flush();
        Runtime.getRuntime().halt(ExitCode.INTERNAL.code());
      }
      Optional<NodeFailure> failure = s.failure();
      if (failure.isPresent()) {
        // The node failed while (or just before) it was asked to stop: report that, not a clean stop.
        Runtime.getRuntime().halt(reportFailure(config, failure.get()));
      }
      System.out.println("✓ Node " + config.nodeId() + " stopped cleanly");
      System.out.flush();
      // A clean stop on SIGTERM or Ctrl+C exits 0, not the JVM's 143/130.
      Runtime.getRuntime().halt(ExitCode.CLEAN.code());
    }, "raftkv-shutdown"));

    try {
      server.set(RaftKvServer.start(config, hooks, System.out::println));
    } catch (Exception e) {
      if (stopping.get()) return;
      failed.set(true);
      System.err.println("error: node " + config.nodeId() + " failed to start: " + NodeFailure.messages(e)
          + " (exit " + ExitCode.STARTUP.code() + ")");
      System.exit(ExitCode.STARTUP.code());
      return;
    }
    server.get().whenClosed().join();
    if (!stopping.get()) {
      failed.set(true);
      NodeFailure failure = server.get().failure().orElse(new NodeFailure(NodeFailure.Kind.INTERNAL,
          new IllegalStateException("the node stopped for no known reason")));
      System.exit(reportFailure(config, failure));
    }
  }

  /** Prints the one line that says why the node stopped, and returns the exit code for it. */
  private static int reportFailure(NodeConfig config, NodeFailure failure) {
    int code = (failure.kind() == NodeFailure.Kind.STORAGE ? ExitCode.STORAGE : ExitCode.INTERNAL).code();
    System.err.println("error: node " + config.nodeId() + " stopped after a " + failure.describe() + " (exit " + code + ")");
    System.err.flush();
    return code;
  }

  /** A log_level set in the node file wins over logback.xml's default (INFO). */
  private static void applyLogLevel(String level) {
    if (System.getProperty("raftkv.log.level") != null) return; // logback.xml already uses it
    org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root instanceof ch.qos.logback.classic.Logger logback) {
      logback.setLevel(ch.qos.logback.classic.Level.toLevel(level, ch.qos.logback.classic.Level.INFO));
    }
  }

  private static Path confArgument(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if ((args[i].equals("--conf") || args[i].equals("-c")) && i + 1 < args.length) return Path.of(args[i + 1]);
      if (args[i].startsWith("--conf=")) return Path.of(args[i].substring("--conf=".length()));
    }
    System.err.println("usage: java -jar raftkv.jar --conf <node.toml|node.conf>");
    System.exit(ExitCode.CONFIG.code());
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) t = t.getCause();
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
