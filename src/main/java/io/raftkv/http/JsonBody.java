package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Reads request bodies as strict, size-bounded byte arrays and parses them with Jackson instead
 * of with Pekko's unmarshallers, so that every message a client can provoke is one we wrote.
 */
final class JsonBody {
  /** How long a client may take to send its body; a slow body ties up a connection. */
  static final long BODY_TIMEOUT_MS = 10_000;

  private final Responses responses;
  private final ErrorMapping errors;
  private final HttpLimits limits;
  private final ObjectReader jsonReader;

  JsonBody(Responses responses, ErrorMapping errors, HttpLimits limits, ObjectMapper mapper) {
    this.responses = responses;
    this.errors = errors;
    this.limits = limits;
    // Trailing garbage and repeated fields are refused: silently taking the first or last of
    // two "value" fields would store something the client may not have meant.
    this.jsonReader =
        mapper
            .reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
  }

  /**
   * Reads the whole body (bounded by maxBodyBytes) and hands the parsed JSON object on. The
   * content type is checked first, so a form post is refused before its body is read. {@code
   * example} is the body shape a parse error suggests.
   */
  Route object(String example, Function<ObjectNode, Route> inner) {
    return extractRequestEntity(
        entity -> {
          if (!isJson(entity.getContentType())) {
            return responses.error(
                StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                ErrorMapping.unsupportedType(entity.getContentType()));
          }
          // A declared length over the limit is refused before reading anything. (toStrict
          // would refuse it too, but with a generic stream error we could not tell apart.)
          OptionalLong declared = entity.getContentLengthOption();
          if (declared.isPresent() && declared.getAsLong() > limits.maxBodyBytes()) {
            return responses.error(StatusCodes.PAYLOAD_TOO_LARGE, errors.bodyTooLarge());
          }
          // withSizeLimit replaces Pekko's server-wide max-content-length with ours, so the
          // limit a chunked body hits is the one the client is told about.
          return withSizeLimit(
              limits.maxBodyBytes(),
              () ->
                  extractRequestEntity(
                      limited ->
                          extractMaterializer(
                              mat ->
                                  onComplete(
                                      limited.toStrict(BODY_TIMEOUT_MS, limits.maxBodyBytes(), mat),
                                      done -> {
                                        if (done.isFailure()) {
                                          return bodyFailure(done.failed().get());
                                        }
                                        return parse(done.get(), example, inner);
                                      }))));
        });
  }

  /**
   * As {@link #object}, but a request with no body at all counts as {@code {}}: for endpoints
   * whose every field is optional, so {@code curl -X POST} works without {@code -d '{}'}.
   */
  Route optionalObject(String example, Function<ObjectNode, Route> inner) {
    return extractRequestEntity(entity -> entity.isKnownEmpty() ? inner.apply(responses.object()) : object(example, inner));
  }

  private Route parse(HttpEntity.Strict strict, String example, Function<ObjectNode, Route> inner) {
    byte[] bytes = strict.getData().toArray();
    JsonNode node;
    try {
      node = jsonReader.readTree(bytes);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      return responses.error(
          StatusCodes.BAD_REQUEST,
          "request body is not valid JSON (" + e.getOriginalMessage() + where + "). Send a JSON"
              + " object such as " + example);
    } catch (IOException e) {
      return responses.error(StatusCodes.BAD_REQUEST, "could not read the request body: " + e.getMessage());
    }
    if (node == null || node.isMissingNode()) {
      return responses.error(
          StatusCodes.BAD_REQUEST, "request body is empty. Send a JSON object such as " + example);
    }
    if (!node.isObject()) {
      return responses.error(
          StatusCodes.BAD_REQUEST,
          "request body must be a JSON object such as " + example + ", got " + Fields.describe(node));
    }
    return inner.apply((ObjectNode) node);
  }

  private Route bodyFailure(Throwable failure) {
    Throwable cause = ErrorMapping.unwrap(failure);
    if (ErrorMapping.findSizeException(cause) != null) {
      return responses.error(StatusCodes.PAYLOAD_TOO_LARGE, errors.bodyTooLarge());
    }
    if (cause instanceof TimeoutException) {
      return responses.error(
          StatusCodes.REQUEST_TIMEOUT,
          "the request body did not arrive within " + BODY_TIMEOUT_MS / 1000 + " s. Send it again");
    }
    return responses.error(StatusCodes.BAD_REQUEST, "could not read the request body: " + cause.getMessage());
  }

  /**
   * Pekko turns a request without a Content-Type header into application/octet-stream, so that
   * type is accepted as "unlabelled". Anything else labelled, notably the form type curl -d sends
   * by default, is refused: guessing would accept bodies the client did not mean as JSON.
   */
  private static boolean isJson(ContentType type) {
    return type.mediaType().equals(MediaTypes.APPLICATION_JSON)
        || type.mediaType().equals(MediaTypes.APPLICATION_OCTET_STREAM);
  }
}
