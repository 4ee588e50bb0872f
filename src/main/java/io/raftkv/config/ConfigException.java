package io.raftkv.config;

/**
 * A configuration problem that must stop the node. The message is always a single line of the
 * form {@code <file>: key '<key>': <problem>} so that it reads well as the last line a failed
 * start prints, and so scripts can grep for it.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String origin;
  private final String key;

  /** A problem with one key; {@code origin} names the file (and system property) it came from. */
  public ConfigException(String origin, String key, String problem) {
    this(origin, key, origin + ": key '" + key + "': " + problem, null);
  }

  private ConfigException(String origin, String key, String message, Throwable cause) {
    super(oneLine(message), cause);
    this.origin = origin;
    this.key = key;
  }

  /** A problem with the file as a whole (unreadable, bad syntax, unsupported extension). */
  public static ConfigException forFile(String origin, String problem, Throwable cause) {
    return new ConfigException(origin, null, origin + ": " + problem, cause);
  }

  /** Where the offending value came from: a file name, possibly with a system property. */
  public String origin() {
    return origin;
  }

  /** The offending key, or null when the whole file is at fault. */
  public String key() {
    return key;
  }

  // Parser messages and user values may carry line breaks; a multi-line error would break the
  // "one line naming the key and the file" promise, so flatten them here once for every caller.
  static String oneLine(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r') {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
          out.append(' ');
        }
      } else if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString().strip();
  }
}
