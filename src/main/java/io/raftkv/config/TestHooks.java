package io.raftkv.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Switches that only fault-injection tests set, as system properties (never in node files, and
 * not node keys: {@link ConfigLoader} leaves {@code raftkv.test.*} alone). Parsed once at start;
 * a malformed value is a configuration error like any other, so a test harness learns of its
 * typo at once instead of running a cluster without the fault it meant to inject.
 *
 * @param dialOverrides advertised peer address to the address actually dialled instead
 * @param syncDelayFile the file whose content, in milliseconds, delays every synced write
 */
public record TestHooks(Map<HostPort, HostPort> dialOverrides, Optional<Path> syncDelayFile) {

  /** {@code advertised=actual} pairs of host:port, comma-separated. */
  public static final String DIAL_OVERRIDES_PROPERTY = "raftkv.test.dial_overrides";

  /** Absolute path of the slow-disk switch file. */
  public static final String SYNC_DELAY_FILE_PROPERTY = "raftkv.test.sync_delay_file";

  /** No hooks: the production setting. */
  public static final TestHooks NONE = new TestHooks(Map.of(), Optional.empty());

  public TestHooks {
    dialOverrides = Collections.unmodifiableMap(new LinkedHashMap<>(dialOverrides));
  }

  /** The hooks the given system properties set. */
  public static TestHooks fromProperties(Properties props) {
    String overrides = props.getProperty(DIAL_OVERRIDES_PROPERTY);
    String syncFile = props.getProperty(SYNC_DELAY_FILE_PROPERTY);
    return new TestHooks(
        overrides == null ? Map.of() : parseDialOverrides(overrides),
        syncFile == null ? Optional.empty() : Optional.of(syncDelayFile(syncFile)));
  }

  /**
   * Parses {@code a:1=b:2,c:3=d:4}. Every address must be one a channel can dial, and an address
   * may be overridden only once: two targets for one peer would be a guess.
   */
  public static Map<HostPort, HostPort> parseDialOverrides(String text) {
    Map<HostPort, HostPort> out = new LinkedHashMap<>();
    if (text.isBlank()) return out;
    for (String pair : text.split(",", -1)) {
      String p = pair.strip();
      int eq = p.indexOf('=');
      if (eq < 0 || eq != p.lastIndexOf('=')) {
        throw problem(DIAL_OVERRIDES_PROPERTY,
            "expected advertised=actual pairs of host:port, comma-separated, got " + Quote.string(p));
      }
      HostPort advertised = dialable(p.substring(0, eq).strip());
      HostPort actual = dialable(p.substring(eq + 1).strip());
      if (out.put(advertised, actual) != null) {
        throw problem(DIAL_OVERRIDES_PROPERTY, "overrides " + Quote.string(advertised.toString()) + " twice");
      }
    }
    return out;
  }

  private static HostPort dialable(String text) {
    try {
      return HostPort.parse(text).requireConnectable();
    } catch (IllegalArgumentException e) {
      throw problem(DIAL_OVERRIDES_PROPERTY, e.getMessage());
    }
  }

  private static Path syncDelayFile(String text) {
    try {
      Path p = Path.of(text.strip());
      if (text.isBlank() || !p.isAbsolute()) {
        throw problem(SYNC_DELAY_FILE_PROPERTY, "expected an absolute path, got " + Quote.string(text));
      }
      return p;
    } catch (InvalidPathException e) {
      throw problem(SYNC_DELAY_FILE_PROPERTY, "invalid path " + Quote.string(text));
    }
  }

  private static ConfigException problem(String property, String message) {
    return new ConfigException("system properties", property, message);
  }
}
