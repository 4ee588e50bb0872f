package io.raftkv.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.kv.KvCommand;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Turns validated request bodies and parameters into kv commands and queries, enforcing the
 * configured key, value and operation-count limits (413) on the way.
 */
final class KvRequests {
  static final String SET_EXAMPLE = "{\"key\":\"k\",\"value\":\"v\"}";
  static final String DELETE_EXAMPLE = "{\"key\":\"k\"}";

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
    if (key.isEmpty()) {
      throw new ClientError(StatusCodes.BAD_REQUEST, "key must not be empty");
    }
    int keyBytes = Fields.utf8Length(key);
    if (keyBytes > limits.maxKeyBytes()) {
      throw new ClientError(
          StatusCodes.PAYLOAD_TOO_LARGE,
          "key is "
              + keyBytes
              + " bytes in UTF-8; the limit is "
              + limits.maxKeyBytes()
              + " bytes. Use a shorter key");
    }
  }

  void checkValue(String value) throws ClientError {
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
