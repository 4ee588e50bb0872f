package io.raftkv.config;

import java.util.List;
import java.util.Map;

/** Renders user-supplied values for error messages: quoted, escaped, and short. */
final class Quote {
  // A pasted certificate or a whole file as a value should not turn an error into a page.
  private static final int MAX_CHARS = 80;

  private Quote() {}

  static String string(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder("\"");
    int limit = Math.min(s.length(), MAX_CHARS);
    for (int i = 0; i < limit; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (Character.isISOControl(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    if (s.length() > limit) {
      out.append("...");
    }
    return out.append('"').toString();
  }

  /** Describes a parsed value with its type, e.g. {@code string "abc"} or {@code boolean true}. */
  static String typed(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return "string " + string((String) v);
    }
    if (v instanceof Boolean) {
      return "boolean " + v;
    }
    if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
      return "number " + v;
    }
    if (v instanceof Number) {
      return "integer " + v;
    }
    if (v instanceof List) {
      String text = v.toString();
      return "array " + (text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) + "...]" : text);
    }
    if (v instanceof Map) {
      return "table";
    }
    return v.getClass().getSimpleName() + " " + string(String.valueOf(v));
  }
}
