package io.raftkv.config;

/**
 * A parsed {@code host:port} address. IPv6 literals must be bracketed ({@code [::1]:7001}) so the
 * port separator is unambiguous. Port 0 is accepted because tests bind ephemeral ports; callers
 * that need a real peer address (the join list) ask for {@link #requireConnectable()}.
 */
public record HostPort(String host, int port) {

  public HostPort {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("host is empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range 0..65535");
    }
  }

  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException with a message of the form {@code expected host:port, got
   *     "abc"}, suitable for a configuration error line
   */
  public static HostPort parse(String text) {
    String bad = "expected host:port, got " + Quote.string(text);
    if (text == null) {
      throw new IllegalArgumentException(bad);
    }
    String host;
    String portText;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 2 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(bad);
      }
      host = text.substring(1, close);
      portText = text.substring(close + 2);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || text.indexOf(':') != colon) {
        // No colon, empty host, or an unbracketed IPv6 literal whose port cannot be told apart.
        throw new IllegalArgumentException(bad);
      }
      host = text.substring(0, colon);
      portText = text.substring(colon + 1);
    }
    if (host.isBlank() || !host.strip().equals(host) || containsWhitespace(host)) {
      throw new IllegalArgumentException(bad + " (host must be non-empty, without spaces)");
    }
    if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(bad + " (port must be a number 0..65535)");
    }
    int port = Integer.parseInt(portText);
    if (port > 65535) {
      throw new IllegalArgumentException(bad + " (port must be a number 0..65535)");
    }
    return new HostPort(host, port);
  }

  /** Rejects port 0, which can be bound but never connected to. */
  public HostPort requireConnectable() {
    if (port == 0) {
      throw new IllegalArgumentException(
          "expected host:port with a port in 1..65535, got " + Quote.string(toString()));
    }
    return this;
  }

  /** True for a host that binds every interface (0.0.0.0, ::), which no peer can dial. */
  public boolean isWildcard() {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
  }

  /**
   * True for {@code localhost} and the loopback addresses (127.0.0.0/8, ::1). Other names are
   * not resolved: a name that only resolves to loopback here may not elsewhere.
   */
  public boolean isLoopback() {
    String h = host.toLowerCase(java.util.Locale.ROOT);
    return h.equals("localhost") || h.matches("127(\\.[0-9]{1,3}){3}") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  private static boolean containsWhitespace(String s) {
    return s.chars().anyMatch(Character::isWhitespace);
  }
}
