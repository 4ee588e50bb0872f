package io.raftkv;

import io.raftkv.config.ConfigException;
import io.raftkv.config.ConfigLoader;
import io.raftkv.config.NodeConfig;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;

/** Starts one node: {@code java -jar raftkv.jar --conf conf/node1.toml}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Initialise logging on this thread first, so SLF4J does not warn about replaying early
    // messages logged from Pekko's threads.
    LoggerFactory.getILoggerFactory();
    Path conf = confArgument(args);
    NodeConfig config;
    try {
      config = ConfigLoader.load(conf);
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    applyLogLevel(config.logLevel());
    System.out.println(config.describe());
    System.out.println();

    AtomicReference<RaftKvServer> server = new AtomicReference<>();
    AtomicBoolean stopping = new AtomicBoolean();
    Thread mainThread = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      System.out.println("Shutting down node " + config.nodeId() + "...");
      RaftKvServer s = server.get();
      if (s == null) {
        mainThread.interrupt();
        return;
      }
      try {
        s.stop();
        System.out.println("✓ Node " + config.nodeId() + " stopped cleanly");
        System.out.flush();
        // A clean stop on SIGTERM or Ctrl+C exits 0, not the JVM's 143/130.
        Runtime.getRuntime().halt(0);
      } catch (RuntimeException e) {
        System.err.println("error: " + e.getMessage());
        Runtime.getRuntime().halt(1);
      }
    }, "raftkv-shutdown"));

    try {
      server.set(RaftKvServer.start(config, System.out::println));
    } catch (Exception e) {
      if (stopping.get()) return;
      System.err.println("error: node " + config.nodeId() + " failed to start: " + rootMessage(e));
      System.exit(1);
      return;
    }
    server.get().whenClosed().join();
    if (!stopping.get()) {
      System.err.println("error: node " + config.nodeId() + " stopped after a storage failure; see the log above");
      System.exit(1);
    }
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
    System.exit(2);
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) t = t.getCause();
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
