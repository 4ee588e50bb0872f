package io.raftkv.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Generic checks of JSON fields and query parameters, each failing with a {@link ClientError}
 * (400) whose text says what was wrong and what to send instead.
 */
final class Fields {
  private Fields() {}

  static String string(ObjectNode body, String field, String example) throws ClientError {
    JsonNode node = body.get(field);
    if (node == null) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "missing field '" + field + "': the body must look like " + example);
    }
    if (!node.isTextual()) {
      String hint = "";
      if (node.isNumber() || node.isBoolean()) {
        hint = "; quote it, e.g. \"" + field + "\":\"" + node.asText() + "\"";
      } else if (node.isNull() && field.equals("value")) {
        hint = "; to remove a key use POST /delete";
      }
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "field '" + field + "' must be a JSON string, got " + describe(node) + hint);
    }
    String text = node.textValue();
    checkUnicode(text, "field '" + field + "'");
    return text;
  }

  /**
   * Refuses text that is not valid Unicode: a UTF-16 surrogate without its partner, which JSON
   * can carry as a backslash-u escape such as D800. Stored, it would become '?' in UTF-8, so two
   * different keys would collide; it is refused instead, never altered.
   */
  static void checkUnicode(String s, String what) throws ClientError {
    int bad = firstLoneSurrogate(s);
    if (bad >= 0) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          what + " is not valid Unicode: it contains a lone UTF-16 surrogate (\\u"
              + Integer.toHexString(s.charAt(bad)) + ") at character " + bad
              + ". Send text; encode binary data first (for example as base64)");
    }
  }

  /** The index of the first surrogate that is not half of a pair, or -1. */
  static int firstLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /** {@code s} made safe to quote in an error message: cut when long, surrogates escaped. */
  static String printable(String s) {
    return escapeSurrogates(s.length() > 100 ? s.substring(0, 100) + "..." : s);
  }

  /** Lone surrogates shown as backslash-u text, because JSON output cannot carry them. */
  static String escapeSurrogates(String s) {
    if (firstLoneSurrogate(s) < 0) return s;
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        b.append("\\u").append(Integer.toHexString(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** Unknown fields are refused so that a misspelt or unsupported option is never ignored. */
  static void only(ObjectNode body, Set<String> allowed, String example) throws ClientError {
    Iterator<String> names = body.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new ClientError(
            StatusCodes.BAD_REQUEST,
            "unknown field '" + printable(name) + "': the body must look like " + example);
      }
    }
  }

  static boolean linearizable(String consistency) throws ClientError {
    if (consistency == null || consistency.equals("linearizable")) return true;
    if (consistency.equals("local")) return false;
    throw new ClientError(
        StatusCodes.BAD_REQUEST,
        "unknown consistency '"
            + printable(consistency)
            + "': use consistency=linearizable (the default) or consistency=local");
  }

  static String describe(JsonNode node) {
    switch (node.getNodeType()) {
      case ARRAY:
        return "an array";
      case OBJECT:
        return "an object";
      case NUMBER:
        return "a number";
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      case STRING:
        return "a string";
      default:
        return node.getNodeType().toString().toLowerCase();
    }
  }

  static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
