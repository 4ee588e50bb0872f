package io.raftkv.config;

import java.util.List;

/**
 * Thrown by {@link NodeConfig}'s constructor when a value breaks an invariant. It carries the
 * snake_case keys involved rather than a file name because a record does not know where its
 * values came from; {@link ConfigLoader} adds the file when it turns this into a {@link
 * ConfigException}.
 */
public final class InvalidSettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final List<String> keys;
  private final String problem;

  InvalidSettingException(String key, String problem) {
    this(List.of(key), problem);
  }

  InvalidSettingException(List<String> keys, String problem) {
    super("key '" + keys.get(0) + "': " + problem);
    this.keys = List.copyOf(keys);
    this.problem = problem;
  }

  /** The keys whose combination is invalid; the first is the one the rule is written about. */
  public List<String> keys() {
    return keys;
  }

  /** The problem without the key prefix. */
  public String problem() {
    return problem;
  }
}
