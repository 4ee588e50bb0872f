package io.raftkv.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Builds a {@link NodeConfig} from three layers, later ones winning: the {@code raftkv} block of
 * {@code application.conf} on the classpath (defaults), one node file ({@code .toml}, or {@code
 * .conf}/{@code .hocon} in HOCON), and system properties {@code raftkv.<key>}.
 *
 * <p>Keys are the rockraft example's snake_case names. In a file they may sit at the top level or inside a
 * {@code raftkv} table/block. Every problem, including an unknown key, becomes a one-line {@link
 * ConfigException} naming the key and the file, because a node that starts with a typo in its
 * config would silently run with a default the operator did not choose.
 */
public final class ConfigLoader {

  /** The section that holds raftkv keys in application.conf and, optionally, in node files. */
  public static final String SECTION = "raftkv";

  /** Prefix of system properties that override keys, e.g. {@code -Draftkv.http_addr=...}. */
  public static final String PROPERTY_PREFIX = "raftkv.";

  /**
   * The property start.sh and logback.xml use for the log level. It is read as an alias of {@code
   * raftkv.log_level} so one flag sets both the logging backend and the node's config.
   */
  public static final String LOG_LEVEL_PROPERTY = "raftkv.log.level";

  private static final String DEFAULTS_ORIGIN = "application.conf";

  private enum Type {
    ID,
    INT,
    LONG,
    BOOL,
    ADDRESS,
    OPTIONAL_ADDRESS,
    ADDRESS_LIST,
    PATH,
    OPTIONAL_PATH,
    LEVEL
  }

  private record Key(String name, Type type, boolean required) {}

  // Declaration order is the order of NodeConfig's components and of error checking.
  private static final List<Key> KEYS =
      List.of(
          new Key("node_id", Type.ID, true),
          new Key("raft_addr", Type.ADDRESS, true),
          new Key("http_addr", Type.ADDRESS, true),
          new Key("single", Type.BOOL, false),
          new Key("join", Type.ADDRESS_LIST, false),
          new Key("data_path", Type.PATH, true),
          new Key("max_open_files", Type.INT, false),
          new Key("forward_writes", Type.BOOL, false),
          new Key("election_timeout_ms_min", Type.INT, false),
          new Key("election_timeout_ms_max", Type.INT, false),
          new Key("heartbeat_interval_ms", Type.INT, false),
          new Key("tick_ms", Type.INT, false),
          new Key("request_timeout_ms", Type.INT, false),
          new Key("max_body_bytes", Type.INT, false),
          new Key("max_key_bytes", Type.INT, false),
          new Key("max_value_bytes", Type.INT, false),
          new Key("max_batch_ops", Type.INT, false),
          new Key("max_prefix_limit", Type.INT, false),
          new Key("snapshot_interval_entries", Type.INT, false),
          new Key("snapshot_keep_log_entries", Type.INT, false),
          new Key("snapshot_chunk_bytes", Type.INT, false),
          new Key("max_entries_per_append", Type.INT, false),
          new Key("max_bytes_per_append", Type.INT, false),
          new Key("max_inflight_appends", Type.INT, false),
          new Key("max_batch_entries", Type.INT, false),
          new Key("join_retry_interval_ms", Type.INT, false),
          new Key("shutdown_timeout_ms", Type.INT, false),
          new Key("log_level", Type.LEVEL, false),
          new Key("max_txn_ops", Type.INT, false),
          new Key("max_response_bytes", Type.INT, false),
          new Key("max_pending_proposals", Type.INT, false),
          new Key("max_pending_proposal_bytes", Type.LONG, false),
          new Key("snapshot_interval_bytes", Type.LONG, false),
          new Key("log_cache_entries", Type.INT, false),
          new Key("log_cache_bytes", Type.LONG, false),
          new Key("quota_backend_bytes", Type.LONG, false),
          new Key("max_members", Type.INT, false),
          new Key("ready_max_apply_lag", Type.INT, false),
          new Key("peer_keepalive_interval_ms", Type.INT, false),
          new Key("peer_keepalive_timeout_ms", Type.INT, false),
          new Key("snapshot_chunk_timeout_ms", Type.INT, false),
          new Key("admin_timeout_ms", Type.INT, false),
          new Key("advertise_raft_addr", Type.OPTIONAL_ADDRESS, false),
          new Key("cert_file", Type.OPTIONAL_PATH, false),
          new Key("key_file", Type.OPTIONAL_PATH, false),
          new Key("trusted_ca_file", Type.OPTIONAL_PATH, false),
          new Key("client_cert_auth", Type.BOOL, false),
          new Key("peer_cert_file", Type.OPTIONAL_PATH, false),
          new Key("peer_key_file", Type.OPTIONAL_PATH, false),
          new Key("peer_trusted_ca_file", Type.OPTIONAL_PATH, false));

  private ConfigLoader() {}

  /** All keys a node file may set, in declaration order. */
  public static List<String> keys() {
    List<String> names = new ArrayList<>();
    for (Key k : KEYS) {
      names.add(k.name);
    }
    return names;
  }

  /** Loads {@code file} over the defaults, then applies {@code raftkv.*} system properties. */
  public static NodeConfig load(Path file) {
    return load(file, System.getProperties());
  }

  /** As {@link #load(Path)}, with the overriding properties given explicitly (for tests). */
  public static NodeConfig load(Path file, Properties overrides) {
    String origin = file.toString();
    Map<String, Object> fileValues = section(readFile(file, origin), origin);
    Layers layers = defaults();
    layers.put(fileValues, origin, Rank.FILE);
    layers.putProperties(overrides, origin);
    return layers.build(origin);
  }

  /**
   * Builds a config from in-memory values over the defaults, without system properties, for tests
   * and embedders that pick ports and directories at run time. Values use the same snake_case keys
   * and Java types a parsed file would give (Integer/Long, Boolean, String, List of String).
   */
  public static NodeConfig fromMap(Map<String, ?> values, String origin) {
    Map<String, Object> copy = new LinkedHashMap<>(values);
    Layers layers = defaults();
    layers.put(copy, origin, Rank.FILE);
    return layers.build(origin);
  }

  // ---- reading files ----

  private static Map<String, Object> readFile(Path file, String origin) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw ConfigException.forFile(origin, "cannot read config file: no such file", e);
    } catch (IOException e) {
      throw ConfigException.forFile(origin, "cannot read config file: " + e, e);
    }
    if (lower.endsWith(".toml")) {
      return parseToml(text, origin);
    }
    if (lower.endsWith(".conf") || lower.endsWith(".hocon")) {
      return parseHocon(text, origin);
    }
    throw ConfigException.forFile(
        origin, "unsupported config file type; use .toml, .conf or .hocon", null);
  }

  private static Map<String, Object> parseToml(String text, String origin) {
    try {
      Map<String, Object> m =
          new TomlMapper().readValue(text, new TypeReference<LinkedHashMap<String, Object>>() {});
      return m == null ? new LinkedHashMap<>() : m;
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      String where = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr();
      throw ConfigException.forFile(origin, "invalid TOML" + where + ": " + e.getOriginalMessage(), e);
    }
  }

  private static Map<String, Object> parseHocon(String text, String origin) {
    try {
      Config c =
          ConfigFactory.parseString(
                  text,
                  ConfigParseOptions.defaults().setOriginDescription(origin).setSyntax(ConfigSyntax.CONF))
              .resolve();
      return new LinkedHashMap<>(c.root().unwrapped());
    } catch (com.typesafe.config.ConfigException e) {
      // Typesafe prefixes its message with "<origin>: <line>: "; we print the origin ourselves.
      String msg = e.getMessage();
      String where = "";
      if (e.origin() != null && e.origin().lineNumber() > 0) {
        where = " at line " + e.origin().lineNumber();
        String prefix = origin + ": " + e.origin().lineNumber() + ": ";
        if (msg.startsWith(prefix)) {
          msg = msg.substring(prefix.length());
        }
      }
      throw ConfigException.forFile(origin, "invalid HOCON" + where + ": " + msg, e);
    }
  }

  /**
   * Flattens the optional {@code raftkv} section into the top level. A key set both ways is an
   * error: which one wins would be a guess.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(Map<String, Object> root, String origin) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : root.entrySet()) {
      if (!e.getKey().equals(SECTION)) {
        out.put(e.getKey(), e.getValue());
      }
    }
    Object block = root.get(SECTION);
    if (block == null) {
      return out;
    }
    if (!(block instanceof Map)) {
      throw new ConfigException(origin, SECTION, "expected a table of settings, got " + Quote.typed(block));
    }
    for (Map.Entry<String, Object> e : ((Map<String, Object>) block).entrySet()) {
      if (out.containsKey(e.getKey())) {
        throw new ConfigException(
            origin, e.getKey(), "set both at the top level and under '" + SECTION + "'");
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  // ---- layering ----

  /** How specific a source is; errors about two keys blame the more specific one. */
  private enum Rank {
    DEFAULTS,
    FILE,
    PROPERTY
  }

  private static final class Sourced {
    final Object value;
    final String origin;
    final Rank rank;

    Sourced(Object value, String origin, Rank rank) {
      this.value = value;
      this.origin = origin;
      this.rank = rank;
    }
  }

  private static Layers defaults() {
    Config conf;
    try {
      conf =
          ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "application.conf")
              .resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalStateException("application.conf on the classpath is invalid: " + e.getMessage(), e);
    }
    if (!conf.hasPath(SECTION)) {
      throw new IllegalStateException("application.conf on the classpath has no '" + SECTION + "' block");
    }
    Layers layers = new Layers();
    layers.put(conf.getConfig(SECTION).root().unwrapped(), DEFAULTS_ORIGIN, Rank.DEFAULTS);
    return layers;
  }

  private static final class Layers {
    private final Map<String, Sourced> values = new LinkedHashMap<>();

    void put(Map<String, ?> layer, String origin, Rank rank) {
      for (Map.Entry<String, ?> e : layer.entrySet()) {
        Key key = find(e.getKey());
        if (key == null) {
          throw new ConfigException(origin, e.getKey(), "unknown key" + suggestion(e.getKey()));
        }
        if (rank == Rank.DEFAULTS && key.required) {
          // A default for node_id or an address would hide a missing line in a node file.
          throw new IllegalStateException("application.conf must not set required key " + key.name);
        }
        values.put(key.name, new Sourced(e.getValue(), origin, rank));
      }
    }

    // Unrelated raftkv.* properties (logging, test switches) are left alone: system properties
    // are shared by the whole JVM, so unlike file keys they are not ours to reject.
    void putProperties(Properties props, String fileOrigin) {
      String alias = props.getProperty(LOG_LEVEL_PROPERTY);
      if (alias != null) {
        values.put(
            "log_level",
            new Sourced(alias, fileOrigin + " (system property " + LOG_LEVEL_PROPERTY + ")", Rank.PROPERTY));
      }
      for (Key key : KEYS) {
        String name = PROPERTY_PREFIX + key.name;
        String text = props.getProperty(name);
        if (text != null) {
          values.put(key.name, new Sourced(text, fileOrigin + " (system property " + name + ")", Rank.PROPERTY));
        }
      }
    }

    NodeConfig build(String fileOrigin) {
      for (Key key : KEYS) {
        if (!values.containsKey(key.name)) {
          if (key.required) {
            throw new ConfigException(fileOrigin, key.name, "required key is missing");
          }
          throw new IllegalStateException("application.conf has no default for " + key.name);
        }
      }
      NodeConfig config;
      try {
        config = new NodeConfig(
            idValue("node_id"),
            address("raft_addr"),
            address("http_addr"),
            bool("single"),
            addressList("join"),
            path("data_path"),
            intValue("max_open_files"),
            bool("forward_writes"),
            intValue("election_timeout_ms_min"),
            intValue("election_timeout_ms_max"),
            intValue("heartbeat_interval_ms"),
            intValue("tick_ms"),
            intValue("request_timeout_ms"),
            intValue("max_body_bytes"),
            intValue("max_key_bytes"),
            intValue("max_value_bytes"),
            intValue("max_batch_ops"),
            intValue("max_prefix_limit"),
            intValue("max_entries_per_append"),
            intValue("max_bytes_per_append"),
            intValue("max_inflight_appends"),
            intValue("max_batch_entries"),
            intValue("snapshot_interval_entries"),
            intValue("snapshot_keep_log_entries"),
            intValue("snapshot_chunk_bytes"),
            intValue("join_retry_interval_ms"),
            intValue("shutdown_timeout_ms"),
            level("log_level"),
            intValue("max_txn_ops"),
            intValue("max_response_bytes"),
            intValue("max_pending_proposals"),
            longValue("max_pending_proposal_bytes"),
            longValue("snapshot_interval_bytes"),
            intValue("log_cache_entries"),
            longValue("log_cache_bytes"),
            longValue("quota_backend_bytes"),
            intValue("max_members"),
            intValue("ready_max_apply_lag"),
            intValue("peer_keepalive_interval_ms"),
            intValue("peer_keepalive_timeout_ms"),
            intValue("snapshot_chunk_timeout_ms"),
            intValue("admin_timeout_ms"),
            optionalAddress("advertise_raft_addr"),
            new TlsConfig(optionalPath("cert_file"), optionalPath("key_file"), optionalPath("trusted_ca_file"),
                bool("client_cert_auth"), optionalPath("peer_cert_file"), optionalPath("peer_key_file"),
                optionalPath("peer_trusted_ca_file")));
        TlsFiles.check(config.tls());
      } catch (InvalidSettingException e) {
        String blamed = e.keys().get(0);
        for (String k : e.keys()) {
          if (values.get(k).rank.compareTo(values.get(blamed).rank) > 0) {
            blamed = k;
          }
        }
        throw new ConfigException(values.get(blamed).origin, blamed, e.problem());
      }
      return config;
    }

    private ConfigException wrongType(String key, String expected) {
      Sourced s = values.get(key);
      return new ConfigException(s.origin, key, "expected " + expected + ", got " + Quote.typed(s.value));
    }

    private long idValue(String key) {
      return integer(key, 1, Long.MAX_VALUE, "an integer greater than 0");
    }

    private int intValue(String key) {
      return (int) integer(key, Integer.MIN_VALUE, Integer.MAX_VALUE, "an integer");
    }

    private long longValue(String key) {
      return integer(key, Long.MIN_VALUE, Long.MAX_VALUE, "an integer");
    }

    private long integer(String key, long min, long max, String expected) {
      Sourced s = values.get(key);
      Object v = s.value;
      BigInteger n = null;
      if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
        n = BigInteger.valueOf(((Number) v).longValue());
      } else if (v instanceof BigInteger) {
        n = (BigInteger) v;
      } else if (v instanceof String && s.rank == Rank.PROPERTY) {
        try {
          n = new BigInteger(((String) v).strip());
        } catch (NumberFormatException e) {
          throw wrongType(key, expected);
        }
      }
      if (n == null) {
        throw wrongType(key, expected);
      }
      if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
        if (min == Integer.MIN_VALUE) {
          throw new ConfigException(s.origin, key, "value " + n + " is out of range for a 32-bit integer");
        }
        throw new ConfigException(s.origin, key, "expected " + expected + ", got " + n);
      }
      return n.longValue();
    }

    private boolean bool(String key) {
      Sourced s = values.get(key);
      if (s.value instanceof Boolean) {
        return (Boolean) s.value;
      }
      if (s.value instanceof String && s.rank == Rank.PROPERTY) {
        String t = ((String) s.value).strip().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
          return Boolean.parseBoolean(t);
        }
      }
      throw wrongType(key, "true or false");
    }

    private String string(String key, String expected) {
      Sourced s = values.get(key);
      if (s.value instanceof String) {
        return (String) s.value;
      }
      throw wrongType(key, expected);
    }

    // Addresses are checked again by NodeConfig; parsing here too gives the file-level message for
    // a value that is a string but not an address, before cross-key rules run.
    private String address(String key) {
      String text = string(key, "a host:port string");
      try {
        HostPort.parse(text);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(values.get(key).origin, key, e.getMessage());
      }
      return text;
    }

    /** An address, or the empty string for "not set"; NodeConfig applies the default. */
    private String optionalAddress(String key) {
      String text = string(key, "a host:port string");
      return text.isEmpty() ? text : address(key);
    }

    private List<String> addressList(String key) {
      Sourced s = values.get(key);
      List<?> items;
      if (s.value instanceof List) {
        items = (List<?>) s.value;
      } else if (s.value instanceof String && s.rank == Rank.PROPERTY) {
        items = splitList((String) s.value);
      } else {
        throw wrongType(key, "an array of host:port strings");
      }
      List<String> out = new ArrayList<>();
      for (Object item : items) {
        if (!(item instanceof String)) {
          throw new ConfigException(
              s.origin, key, "expected an array of host:port strings, got an element " + Quote.typed(item));
        }
        try {
          HostPort.parse((String) item).requireConnectable();
        } catch (IllegalArgumentException e) {
          throw new ConfigException(s.origin, key, e.getMessage());
        }
        out.add((String) item);
      }
      return out;
    }

    private Path path(String key) {
      String text = string(key, "a path string");
      if (text.isBlank()) {
        throw new ConfigException(values.get(key).origin, key, "must not be empty");
      }
      try {
        return Path.of(text);
      } catch (InvalidPathException e) {
        throw new ConfigException(values.get(key).origin, key, "invalid path " + Quote.string(text));
      }
    }

    /** A path, or null for the empty string ("not set"). */
    private Path optionalPath(String key) {
      String text = string(key, "a path string");
      return text.isEmpty() ? null : path(key);
    }

    private String level(String key) {
      String text = string(key, "a log level string");
      try {
        return NodeConfig.normalizeLogLevel(text);
      } catch (InvalidSettingException e) {
        throw new ConfigException(values.get(key).origin, key, e.problem());
      }
    }
  }

  /**
   * A list given as one system property: {@code a:1,b:2}, also accepting the TOML spelling {@code
   * ["a:1", "b:2"]} so a value can be pasted from a file. An empty string is an empty list.
   */
  static List<String> splitList(String text) {
    String t = text.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1).strip();
    }
    List<String> out = new ArrayList<>();
    if (t.isEmpty()) {
      return out;
    }
    for (String part : t.split(",", -1)) {
      String p = part.strip();
      if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) {
        p = p.substring(1, p.length() - 1);
      }
      out.add(p);
    }
    return out;
  }

  private static Key find(String name) {
    for (Key k : KEYS) {
      if (k.name.equals(name)) {
        return k;
      }
    }
    return null;
  }

  // The usual unknown key is a typo or a camelCase/kebab-case spelling; naming the intended key
  // saves a trip to the README.
  private static String suggestion(String name) {
    String normalized = name.replace('-', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (Key k : KEYS) {
      int d = distance(normalized, k.name);
      if (d < bestDistance) {
        bestDistance = d;
        best = k.name;
      }
    }
    if (best != null && bestDistance <= Math.max(2, best.length() / 4)) {
      return " (did you mean '" + best + "'?)";
    }
    return "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
