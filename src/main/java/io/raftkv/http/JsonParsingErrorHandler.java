package io.raftkv.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests so malformed that Pekko cannot route them (a request target that is not a
 * valid URI, a URI or header over its limit, a broken request line) in the API's JSON error
 * shape, with Pekko's status (a 400 where Pekko would answer 501 or 505). Without it those answers would be plain text, the one place where
 * a client would not get {@code {"error": "..."}}. Pekko instantiates it by class name.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("refused an unparsable request: {}", info.formatPretty());
    String summary = info.summary() == null || info.summary().isBlank() ? status.reason() : info.summary();
    // Pekko answers an unknown method 501 and an unknown protocol version 505; both are the
    // client's doing (garbage on the connection, a typo), so they are told so with a 400.
    int code = status.intValue() >= 500 ? 400 : status.intValue();
    String message = "the request could not be parsed (" + summary + "). " + advice(status.intValue());
    return HttpResponse.create()
        .withStatus(code)
        .withEntity(HttpEntities.create(
            ContentTypes.APPLICATION_JSON,
            JSON.createObjectNode().put("error", Fields.escapeSurrogates(message)).toString()));
  }

  private static String advice(int status) {
    switch (status) {
      case 414:
        return "Use a shorter URI: long keys and prefixes belong in a POST body";
      case 431:
        return "Send fewer or smaller headers";
      case 413:
        return "Send a smaller body";
      case 501:
        return "This node serves GET and POST requests only";
      case 505:
        return "Speak HTTP/1.1";
      default:
        return "Percent-encode the path and query string (for example with curl --data-urlencode)";
    }
  }
}
