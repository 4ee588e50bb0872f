package io.raftkv.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
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
    return node.textValue();
  }

  /** Unknown fields are refused so that a misspelt or unsupported option is never ignored. */
  static void only(ObjectNode body, Set<String> allowed, String example) throws ClientError {
    Iterator<String> names = body.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new ClientError(
            StatusCodes.BAD_REQUEST,
            "unknown field '" + name + "': the body must look like " + example);
      }
    }
  }

  /** A repeated query parameter is ambiguous, so it is refused rather than resolved. */
  static String singleParam(List<String> values, String name) throws ClientError {
    if (values.isEmpty()) return null;
    if (values.size() > 1) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST, "query parameter '" + name + "' is given more than once");
    }
    return values.get(0);
  }

  static boolean linearizable(String consistency) throws ClientError {
    if (consistency == null || consistency.equals("linearizable")) return true;
    if (consistency.equals("local")) return false;
    throw new ClientError(
        StatusCodes.BAD_REQUEST,
        "unknown consistency '"
            + consistency
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
