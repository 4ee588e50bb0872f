package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns everything that is not a normal answer into the API's JSON error shape: Pekko's
 * rejections (wrong method, unknown path, oversized or mistyped entity), exceptions thrown while
 * routing, Pekko's own request timeout, and failures inside the node (500).
 */
final class ErrorMapping {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  static final String INTERNAL_ERROR =
      "internal error, see the node's log. The node is still running; retry, and report this if it persists";

  private final Responses responses;
  private final HttpLimits limits;
  private final String endpoints;

  /** {@code endpoints} is the list of served endpoints that a 404 names. */
  ErrorMapping(Responses responses, HttpLimits limits, String endpoints) {
    this.responses = responses;
    this.limits = limits;
    this.endpoints = endpoints;
  }

  /**
   * Wraps a route so that nothing it does, and nothing Pekko refuses on its behalf, leaves this
   * node as anything but a JSON error.
   */
  Route withErrorHandling(Route inner) {
    return withRequestTimeoutResponse(
        this::requestTimeoutResponse,
        () ->
            handleExceptions(
                exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> inner)));
  }

  String bodyTooLarge() {
    return "request body is larger than the limit of "
        + limits.maxBodyBytes()
        + " bytes. Send a smaller body";
  }

  static String unsupportedType(ContentType type) {
    return "Content-Type '"
        + type.mediaType()
        + "' is not supported: the body must be JSON sent with the header 'Content-Type:"
        + " application/json' (with curl, add -H 'Content-Type: application/json'; -d alone sends"
        + " form data)";
  }

  /**
   * A failure inside the node. The client learns only that it happened: class names and messages
   * of exceptions describe the node's internals, and go to the node's log instead.
   */
  Route internalError(Throwable failure) {
    Throwable cause = unwrap(failure);
    log.error("request failed inside the node", cause);
    return responses.error(StatusCodes.INTERNAL_SERVER_ERROR, INTERNAL_ERROR);
  }

  /**
   * Calls into the node so that a synchronous throw or a null stage becomes a failed stage: the
   * caller then has one failure path to map to 500.
   */
  static <T> CompletionStage<T> call(Supplier<CompletionStage<T>> body) {
    try {
      CompletionStage<T> stage = body.get();
      if (stage == null) {
        return CompletableFuture.failedFuture(new IllegalStateException("ClientApi returned null"));
      }
      return stage.thenApply(
          v -> {
            if (v == null) throw new IllegalStateException("ClientApi completed with null");
            return v;
          });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  static EntityStreamSizeException findSizeException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof EntityStreamSizeException) return (EntityStreamSizeException) c;
      if (c.getCause() == c) break;
    }
    return null;
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, this::methodNotAllowed)
        .handle(
            UnsupportedRequestContentTypeRejection.class,
            r ->
                extractRequest(
                    req ->
                        responses.error(
                            StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                            unsupportedType(req.entity().getContentType()))))
        .handle(
            MalformedRequestContentRejection.class,
            r -> {
              if (findSizeException(r.getCause()) != null) {
                return responses.error(StatusCodes.PAYLOAD_TOO_LARGE, bodyTooLarge());
              }
              // The routes read bodies themselves (JsonBody), each naming its own example; this
              // only answers should a Pekko unmarshaller ever refuse a body.
              return responses.error(
                  StatusCodes.BAD_REQUEST,
                  "request body is malformed (" + r.message() + "). Send a JSON object with the"
                      + " header 'Content-Type: application/json'");
            })
        .handleNotFound(
            extractRequest(
                req ->
                    responses.error(
                        StatusCodes.NOT_FOUND,
                        "no endpoint "
                            + req.method().name()
                            + " "
                            + req.getUri().path()
                            + ". This node serves "
                            + endpoints)))
        .build()
        // Whatever else Pekko rejects keeps its status and text, rendered as our JSON shape.
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(this::asJsonError);
  }

  private Route methodNotAllowed(List<MethodRejection> rejections) {
    List<HttpMethod> allowed = new ArrayList<>();
    for (MethodRejection r : rejections) {
      if (!allowed.contains(r.supported())) allowed.add(r.supported());
    }
    StringBuilder names = new StringBuilder();
    for (HttpMethod m : allowed) {
      if (names.length() > 0) names.append(" or ");
      names.append(m.name());
    }
    return extractRequest(
        req ->
            complete(
                responses
                    .json(
                        StatusCodes.METHOD_NOT_ALLOWED,
                        responses.errorBody(
                            "method "
                                + req.method().name()
                                + " is not allowed on "
                                + req.getUri().path()
                                + ": use "
                                + names))
                    .addHeader(Allow.create(allowed.toArray(new HttpMethod[0])))));
  }

  private HttpResponse asJsonError(HttpResponse response) {
    if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) return response;
    String text = response.status().reason();
    if (response.entity() instanceof HttpEntity.Strict) {
      String body = ((HttpEntity.Strict) response.entity()).getData().utf8String();
      if (!body.isBlank()) text = body;
    }
    return response.withEntity(responses.jsonEntity(responses.errorBody(text)));
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(
            EntityStreamSizeException.class,
            e -> responses.error(StatusCodes.PAYLOAD_TOO_LARGE, bodyTooLarge()))
        .matchAny(this::internalError)
        .build();
  }

  /**
   * Pekko's request timeout fires when the node has not answered at all. For a write that means
   * the command may be in the log already, so the answer is "outcome unknown", as for a Raft
   * timeout, rather than Pekko's default 503.
   */
  private HttpResponse requestTimeoutResponse(HttpRequest request) {
    return responses.json(
        StatusCodes.GATEWAY_TIMEOUT,
        responses.errorBody(
            "the node did not answer in time. If this was a write its outcome is unknown: it may"
                + " still be applied, so read the key before retrying"));
  }
}
