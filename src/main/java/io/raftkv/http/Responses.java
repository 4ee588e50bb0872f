package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/** Renders every answer of the API as JSON: success bodies and {@code {"error": "..."}}. */
final class Responses {
  private final ObjectMapper mapper;

  Responses(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  ObjectNode object() {
    return mapper.createObjectNode();
  }

  ObjectNode errorBody(String message) {
    ObjectNode body = mapper.createObjectNode();
    // Messages may quote what the client sent; a lone surrogate in it could not be written as
    // JSON, so it is shown escaped.
    body.put("error", Fields.escapeSurrogates(message));
    return body;
  }

  Route ok(ObjectNode body) {
    return complete(json(StatusCodes.OK, body));
  }

  Route error(StatusCode status, String message) {
    return complete(json(status, errorBody(message)));
  }

  Route error(ClientError e) {
    return error(e.status, e.getMessage());
  }

  HttpResponse json(StatusCode status, JsonNode body) {
    return HttpResponse.create().withStatus(status).withEntity(jsonEntity(body));
  }

  HttpEntity.Strict jsonEntity(JsonNode body) {
    try {
      return HttpEntities.create(ContentTypes.APPLICATION_JSON, mapper.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** 503s are transient by definition here; Retry-After lets well-behaved clients back off. */
  static HttpResponse retryLater(HttpResponse response) {
    return response.addHeader(RawHeader.create("Retry-After", "1"));
  }
}
