package io.raftkv.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The query string of one request, decoded strictly. Pekko's own decoding replaces bytes that
 * are not UTF-8 (a percent-encoded lone surrogate, say) with U+FFFD, which would silently turn
 * two different keys into one; here they are refused. A parameter the endpoint does not know is
 * refused too, naming the ones it accepts: ignoring a misspelt {@code consistancy=local} would
 * quietly give the client a different read than it asked for.
 */
final class QueryParams {
  private final Map<String, String> values;

  private QueryParams(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses {@code rawQuery} (the query as sent, still percent-encoded) for an endpoint that
   * accepts {@code accepted} (in the order the error lists them); {@code endpoint} names it, e.g.
   * "GET /get".
   */
  static QueryParams parse(Optional<String> rawQuery, List<String> accepted, String endpoint) throws ClientError {
    Map<String, String> values = new LinkedHashMap<>();
    if (rawQuery.isEmpty() || rawQuery.get().isEmpty()) return new QueryParams(values);
    for (String part : rawQuery.get().split("&", -1)) {
      if (part.isEmpty()) continue;
      int eq = part.indexOf('=');
      String name = decode(eq < 0 ? part : part.substring(0, eq), "a query parameter name");
      String value = decode(eq < 0 ? "" : part.substring(eq + 1), "query parameter '" + Fields.printable(name) + "'");
      if (!accepted.contains(name)) throw unknown(name, accepted, endpoint);
      if (values.putIfAbsent(name, value) != null) {
        throw new ClientError(StatusCodes.BAD_REQUEST, "query parameter '" + name + "' is given more than once");
      }
    }
    return new QueryParams(values);
  }

  /** The decoded value, or null when the parameter is absent. */
  String get(String name) {
    return values.get(name);
  }

  private static ClientError unknown(String name, List<String> accepted, String endpoint) {
    String shown = Fields.printable(name);
    if (accepted.isEmpty()) {
      return new ClientError(
          StatusCodes.BAD_REQUEST,
          "unknown query parameter '" + shown + "': " + endpoint + " takes no query parameters; remove it");
    }
    String closest = closest(name, accepted);
    return new ClientError(
        StatusCodes.BAD_REQUEST,
        "unknown query parameter '" + shown + "'"
            + (closest == null ? "" : " (did you mean '" + closest + "'?)")
            + ": " + endpoint + " accepts " + String.join(", ", accepted));
  }

  /** The accepted name within a few typing mistakes of {@code name}, or null. */
  static String closest(String name, List<String> accepted) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : accepted) {
      int d = editDistance(name.toLowerCase(), candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best != null && bestDistance <= Math.max(2, best.length() / 3) ? best : null;
  }

  private static int editDistance(String a, String b) {
    if (a.length() > 64) return Integer.MAX_VALUE;
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) previous[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }

  /**
   * Percent-decodes {@code raw} ({@code +} is a space, as HTML forms and most clients send it)
   * and then decodes the bytes as UTF-8, refusing anything that is not: a malformed escape, a
   * byte sequence that is not UTF-8, or an encoded surrogate code point.
   */
  private static String decode(String raw, String what) throws ClientError {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new ClientError(
              StatusCodes.BAD_REQUEST,
              what + " has a '%' that is not followed by two hex digits; percent-encode the value"
                  + " (for example with curl --data-urlencode, or encodeURIComponent)");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c == '+') {
        bytes.write(' ');
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        // Pekko's strict URI parsing lets no raw non-ASCII through; should one arrive, its bytes
        // are unknown here, so it is refused rather than guessed.
        throw new ClientError(
            StatusCodes.BAD_REQUEST, what + " contains a character that is not percent-encoded; percent-encode it");
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          what + " is not valid UTF-8 once percent-decoded (for example an encoded lone surrogate such"
              + " as %ED%A0%80); keys and values must be Unicode text, so encode binary data first"
              + " (for example as base64)");
    }
  }
}
