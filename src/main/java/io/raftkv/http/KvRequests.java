package io.raftkv.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.ReadQuery;
import io.raftkv.kv.Condition;
import io.raftkv.kv.KvCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Turns validated request bodies and parameters into kv commands and queries, enforcing the
 * configured key, value and operation-count limits (413) on the way.
 */
final class KvRequests {
  static final String SET_EXAMPLE = "{\"key\":\"k\",\"value\":\"v\"}";
  static final String DELETE_EXAMPLE = "{\"key\":\"k\"}";
  static final String GETSET_EXAMPLE = "{\"key\":\"counter\",\"value\":\"2\"}";
  static final String OP_EXAMPLE =
      "{\"op\":\"set\",\"key\":\"k\",\"value\":\"v\"} or {\"op\":\"delete\",\"key\":\"k\"}";
  static final String BATCH_EXAMPLE =
      "{\"operations\":[{\"op\":\"set\",\"key\":\"k\",\"value\":\"v\"},{\"op\":\"delete\",\"key\":\"old\"}]}";
  static final String CONDITION_EXAMPLE =
      "{\"key\":\"k\",\"op\":\"equal\",\"value\":\"v\"} or {\"key\":\"k\",\"op\":\"exists\"}";
  static final String TXN_EXAMPLE =
      "{\"conditions\":[{\"key\":\"k\",\"op\":\"equal\",\"value\":\"v\"}],"
          + "\"if_then\":[{\"op\":\"set\",\"key\":\"k\",\"value\":\"w\"}],\"else_then\":[],"
          + "\"return_previous\":true}";
  static final String PREFIX_USAGE =
      "GET /prefix?prefix=<prefix>[&limit=<n>][&start_after=<key>][&consistency=local]";

  private final HttpLimits limits;

  KvRequests(HttpLimits limits) {
    this.limits = limits;
  }

  KvCommand.Set set(ObjectNode body) throws ClientError {
    Fields.only(body, Set.of("key", "value"), SET_EXAMPLE);
    String key = Fields.string(body, "key", SET_EXAMPLE);
    checkKey(key);
    String value = Fields.string(body, "value", SET_EXAMPLE);
    checkValue(value);
    return new KvCommand.Set(key, value);
  }

  KvCommand.Delete delete(ObjectNode body) throws ClientError {
    Fields.only(body, Set.of("key"), DELETE_EXAMPLE);
    String key = Fields.string(body, "key", DELETE_EXAMPLE);
    checkKey(key);
    return new KvCommand.Delete(key);
  }

  KvCommand.GetSet getSet(ObjectNode body) throws ClientError {
    Fields.only(body, Set.of("key", "value"), GETSET_EXAMPLE);
    String key = Fields.string(body, "key", GETSET_EXAMPLE);
    checkKey(key);
    String value = Fields.string(body, "value", GETSET_EXAMPLE);
    checkValue(value);
    return new KvCommand.GetSet(key, value);
  }

  /**
   * A batch, or null for an empty one: it changes nothing, so it is answered without a log
   * entry (as the rockraft example answers it).
   */
  KvCommand.Batch batch(ObjectNode body) throws ClientError {
    Fields.only(body, Set.of("operations"), BATCH_EXAMPLE);
    JsonNode node = body.get("operations");
    if (node == null) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST, "missing field 'operations': the body must look like " + BATCH_EXAMPLE);
    }
    List<KvCommand.Op> ops = ops(node, "operations", BATCH_EXAMPLE, limits.maxBatchOps(), "max_batch_ops");
    return ops.isEmpty() ? null : new KvCommand.Batch(ops);
  }

  /**
   * A transaction. Only {@code conditions} is required; an empty list holds vacuously, so the
   * if_then branch runs. Both branches default to no operations and return_previous to false.
   */
  KvCommand.Txn txn(ObjectNode body) throws ClientError {
    Fields.only(body, Set.of("conditions", "if_then", "else_then", "return_previous"), TXN_EXAMPLE);
    JsonNode conditionsNode = body.get("conditions");
    if (conditionsNode == null) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "missing field 'conditions' (use [] for none): the body must look like " + TXN_EXAMPLE);
    }
    ArrayNode array = array(conditionsNode, "conditions", TXN_EXAMPLE, limits.maxTxnOps(), "max_txn_ops");
    List<Condition> conditions = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      try {
        conditions.add(condition(array.get(i)));
      } catch (ClientError e) {
        throw e.within("conditions[" + i + "]");
      }
    }
    List<KvCommand.Op> ifThen = optionalOps(body, "if_then");
    List<KvCommand.Op> elseThen = optionalOps(body, "else_then");
    boolean returnPrevious = false;
    JsonNode rp = body.get("return_previous");
    if (rp != null) {
      if (!rp.isBoolean()) {
        throw new ClientError(
            StatusCodes.BAD_REQUEST,
            "field 'return_previous' must be true or false, got " + Fields.describe(rp));
      }
      returnPrevious = rp.booleanValue();
    }
    return new KvCommand.Txn(conditions, ifThen, elseThen, returnPrevious);
  }

  /**
   * The query of GET /prefix; {@code limit} defaults to, and may not exceed, maxPrefixLimit, and
   * the answer is cut at maxResponseBytes. {@code startAfter} (may be null) continues a cut
   * answer after its {@code next_key}.
   */
  ReadQuery.Prefix prefix(String prefix, String limit, String startAfter) throws ClientError {
    if (prefix == null) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "missing query parameter 'prefix': use " + PREFIX_USAGE + " (prefix= with nothing after"
              + " it lists every key)");
    }
    // An empty prefix is allowed: it lists every key, up to the limit. A prefix longer than the
    // longest possible key could never match, so it gets the key limit's 413.
    if (!prefix.isEmpty()) checkKey(prefix, "prefix");
    if (startAfter != null) checkKey(startAfter, "start_after");
    int n = limits.maxPrefixLimit();
    if (limit != null) {
      try {
        n = Integer.parseInt(limit);
      } catch (NumberFormatException e) {
        throw new ClientError(
            StatusCodes.BAD_REQUEST, "limit must be a whole number from 0 to " + limits.maxPrefixLimit() + ", got '" + limit + "'");
      }
      if (n < 0 || n > limits.maxPrefixLimit()) {
        throw new ClientError(
            StatusCodes.BAD_REQUEST,
            "limit must be from 0 to " + limits.maxPrefixLimit() + ", got " + n
                + (n < 0 ? "" : ". Ask for more pages instead: pass each answer's next_key as start_after"));
      }
    }
    return new ReadQuery.Prefix(prefix, startAfter, n, limits.maxResponseBytes());
  }

  // ---------------------------------------------------------------- parts of bodies

  private List<KvCommand.Op> optionalOps(ObjectNode body, String field) throws ClientError {
    JsonNode node = body.get(field);
    if (node == null) return List.of();
    return ops(node, field, TXN_EXAMPLE, limits.maxTxnOps(), "max_txn_ops");
  }

  /** A list of operations, refused whole with 413 before any is parsed when it is too long. */
  private List<KvCommand.Op> ops(JsonNode node, String field, String example, int max, String key)
      throws ClientError {
    ArrayNode array = array(node, field, example, max, key);
    List<KvCommand.Op> ops = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      try {
        ops.add(op(array.get(i)));
      } catch (ClientError e) {
        throw e.within(field + "[" + i + "]");
      }
    }
    return ops;
  }

  private ArrayNode array(JsonNode node, String field, String example, int max, String key) throws ClientError {
    if (!node.isArray()) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "field '" + field + "' must be a JSON array, got " + Fields.describe(node)
              + ": the body must look like " + example);
    }
    if (node.size() > max) {
      throw new ClientError(
          StatusCodes.PAYLOAD_TOO_LARGE,
          "'" + field + "' has " + node.size() + " entries; the limit is " + max
              + " (" + key + "). Split it into smaller requests");
    }
    return (ArrayNode) node;
  }

  private KvCommand.Op op(JsonNode node) throws ClientError {
    if (!node.isObject()) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "each operation must be a JSON object such as " + OP_EXAMPLE + ", got " + Fields.describe(node));
    }
    ObjectNode o = (ObjectNode) node;
    String op = Fields.string(o, "op", OP_EXAMPLE);
    if (op.equals("set")) {
      Fields.only(o, Set.of("op", "key", "value"), OP_EXAMPLE);
      String key = Fields.string(o, "key", OP_EXAMPLE);
      checkKey(key);
      String value = Fields.string(o, "value", OP_EXAMPLE);
      checkValue(value);
      return new KvCommand.Set(key, value);
    }
    if (op.equals("delete")) {
      Fields.only(o, Set.of("op", "key"), OP_EXAMPLE);
      String key = Fields.string(o, "key", OP_EXAMPLE);
      checkKey(key);
      return new KvCommand.Delete(key);
    }
    throw new ClientError(
        StatusCodes.BAD_REQUEST, "unknown op '" + Fields.printable(op) + "': use \"set\" or \"delete\"");
  }

  private Condition condition(JsonNode node) throws ClientError {
    if (!node.isObject()) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "each condition must be a JSON object such as " + CONDITION_EXAMPLE + ", got " + Fields.describe(node));
    }
    ObjectNode o = (ObjectNode) node;
    Fields.only(o, Set.of("key", "op", "value"), CONDITION_EXAMPLE);
    String key = Fields.string(o, "key", CONDITION_EXAMPLE);
    checkKey(key);
    String opName = Fields.string(o, "op", CONDITION_EXAMPLE);
    Condition.Compare compare = Condition.Compare.ofWireName(opName);
    if (compare == null) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST, "unknown condition op '" + Fields.printable(opName) + "': use one of " + compareNames());
    }
    JsonNode valueNode = o.get("value");
    if (!compare.needsValue()) {
      // A value next to exists/not_exists would be ignored, which likely hides a mistake.
      if (valueNode != null && !valueNode.isNull()) {
        throw new ClientError(
            StatusCodes.BAD_REQUEST, "condition op '" + opName + "' takes no value: remove 'value'");
      }
      return new Condition(key, compare, null);
    }
    if (valueNode == null || valueNode.isNull()) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST,
          "missing field 'value': condition op '" + opName + "' compares the key's value with it");
    }
    String value = Fields.string(o, "value", CONDITION_EXAMPLE);
    checkValue(value);
    return new Condition(key, compare, value);
  }

  private static String compareNames() {
    StringBuilder b = new StringBuilder();
    for (Condition.Compare c : Condition.Compare.values()) {
      if (b.length() > 0) b.append(", ");
      b.append(c.wireName());
    }
    return b.toString();
  }

  /** The key of GET /get. */
  String getKey(String key) throws ClientError {
    if (key == null) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST, "missing query parameter 'key': use GET /get?key=<key>");
    }
    checkKey(key);
    return key;
  }

  void checkKey(String key) throws ClientError {
    checkKey(key, "key");
  }

  /** A key, or a key-shaped parameter named {@code what}: not empty, Unicode, within the limit. */
  void checkKey(String key, String what) throws ClientError {
    if (key.isEmpty()) {
      throw new ClientError(StatusCodes.BAD_REQUEST, what + " must not be empty");
    }
    Fields.checkUnicode(key, what);
    int keyBytes = Fields.utf8Length(key);
    if (keyBytes > limits.maxKeyBytes()) {
      throw new ClientError(
          StatusCodes.PAYLOAD_TOO_LARGE,
          what + " is "
              + keyBytes
              + " bytes in UTF-8; the limit is "
              + limits.maxKeyBytes()
              + " bytes. Use a shorter key");
    }
  }

  void checkValue(String value) throws ClientError {
    Fields.checkUnicode(value, "value");
    int valueBytes = Fields.utf8Length(value);
    if (valueBytes > limits.maxValueBytes()) {
      throw new ClientError(
          StatusCodes.PAYLOAD_TOO_LARGE,
          "value is "
              + valueBytes
              + " bytes in UTF-8; the limit is "
              + limits.maxValueBytes()
              + " bytes. Store a smaller value");
    }
  }
}
