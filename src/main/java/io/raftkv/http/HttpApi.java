package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.parameterList;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.ClientApi;
import io.raftkv.api.NodeStatus;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
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
 * The JSON HTTP API of one node: the seed's five endpoints, their exact response shapes, and one
 * error model in which every failure is {@code {"error": "..."}} with a status that says whose
 * fault it was and a text that says what to do next.
 *
 * <p>Bodies are read as strict, size-bounded byte arrays and parsed here with Jackson instead of
 * with Pekko's unmarshallers, so that every message a client can provoke is one we wrote.
 * Pekko's own rejections and exceptions (wrong method, unknown path, oversized entity, anything
 * unforeseen) go through handlers installed around the route that render the same JSON shape.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  /** How long a client may take to send its body; a slow body ties up a connection. */
  static final long BODY_TIMEOUT_MS = 10_000;

  private static final String ENDPOINTS =
      "GET /get?key=<key>, POST /set, POST /delete, GET /health and GET /metrics";
  private static final String SET_EXAMPLE = "{\"key\":\"k\",\"value\":\"v\"}";
  private static final String DELETE_EXAMPLE = "{\"key\":\"k\"}";
  /** The seed's not-leader message; clients of the seed match on it, so it stays verbatim. */
  private static final String NOT_LEADER = "This node is not the leader. Current leader: ";

  private final ClientApi api;
  private final HttpLimits limits;
  private final ObjectMapper mapper;
  private final ObjectReader jsonReader;

  public HttpApi(ClientApi api, HttpLimits limits) {
    this(api, limits, new ObjectMapper());
  }

  public HttpApi(ClientApi api, HttpLimits limits, ObjectMapper mapper) {
    if (api == null || limits == null || mapper == null) {
      throw new IllegalArgumentException("api, limits and mapper are required");
    }
    this.api = api;
    this.limits = limits;
    this.mapper = mapper;
    // Trailing garbage and repeated fields are refused: silently taking the first or last of
    // two "value" fields would store something the client may not have meant.
    this.jsonReader =
        mapper
            .reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
  }

  /** The complete route, with JSON error handling around it. */
  public Route route() {
    return withErrorHandling(
        concat(
            path("get", () -> get(this::getRoute)),
            path("set", () -> post(() -> jsonBody(this::setRoute))),
            path("delete", () -> post(() -> jsonBody(this::deleteRoute))),
            path("health", () -> get(this::healthRoute)),
            path("metrics", () -> get(this::metricsRoute))));
  }

  /**
   * Binds the route on HTTP/1.1 only. HTTP/2 is switched off here explicitly, even if the
   * configuration enables it for the gRPC port: offered on this port, h2c breaks plain HTTP/1.1
   * clients such as Java's HttpClient.
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system, String host, int port, Route route) {
    return Http.get(system)
        .newServerAt(host, port)
        .adaptSettings(
            s ->
                s.withEnableHttp2(false)
                    .withPreviewServerSettings(s.getPreviewServerSettings().withEnableHttp2(false)))
        .bind(route);
  }

  // ---------------------------------------------------------------- endpoints

  private Route getRoute() {
    return parameterList(
        "key",
        keys ->
            parameterList(
                "consistency",
                consistencies -> {
                  String key;
                  boolean linearizable;
                  try {
                    key = singleParam(keys, "key");
                    if (key == null) {
                      throw new ClientError(
                          StatusCodes.BAD_REQUEST,
                          "missing query parameter 'key': use GET /get?key=<key>");
                    }
                    checkKey(key);
                    linearizable = linearizable(singleParam(consistencies, "consistency"));
                  } catch (ClientError e) {
                    return error(e.status, e.getMessage());
                  }
                  return onComplete(
                      call(() -> api.get(key, linearizable)),
                      done -> {
                        if (done.isFailure()) return internalError(done.failed().get());
                        return readAnswer(key, done.get());
                      });
                }));
  }

  private Route setRoute(ObjectNode body) {
    String key;
    String value;
    try {
      onlyFields(body, Set.of("key", "value"), SET_EXAMPLE);
      key = stringField(body, "key", SET_EXAMPLE);
      checkKey(key);
      value = stringField(body, "value", SET_EXAMPLE);
      int valueBytes = utf8Length(value);
      if (valueBytes > limits.maxValueBytes()) {
        throw new ClientError(
            StatusCodes.PAYLOAD_TOO_LARGE,
            "value is "
                + valueBytes
                + " bytes in UTF-8; the limit is "
                + limits.maxValueBytes()
                + " bytes. Store a smaller value");
      }
    } catch (ClientError e) {
      return error(e.status, e.getMessage());
    }
    return write(new KvCommand.Set(key, value), "Key '" + key + "' set successfully");
  }

  private Route deleteRoute(ObjectNode body) {
    String key;
    try {
      onlyFields(body, Set.of("key"), DELETE_EXAMPLE);
      key = stringField(body, "key", DELETE_EXAMPLE);
      checkKey(key);
    } catch (ClientError e) {
      return error(e.status, e.getMessage());
    }
    return write(new KvCommand.Delete(key), "Key '" + key + "' deleted successfully");
  }

  private Route healthRoute() {
    NodeStatus s = api.status();
    ObjectNode body = mapper.createObjectNode();
    body.put("status", "ok");
    body.put("node_id", s.nodeId());
    body.put("is_leader", s.isLeader());
    putLeader(body, s.currentLeader());
    body.put("current_term", s.currentTerm());
    body.put("state", s.state());
    return ok(body);
  }

  private Route metricsRoute() {
    NodeStatus s = api.status();
    ObjectNode body = mapper.createObjectNode();
    body.put("node_id", s.nodeId());
    putLeader(body, s.currentLeader());
    body.put("current_term", s.currentTerm());
    ObjectNode applied = body.putObject("last_applied");
    applied.put("term", s.lastAppliedTerm());
    applied.put("index", s.lastAppliedIndex());
    body.put("last_log_index", s.lastLogIndex());
    body.put("commit_index", s.commitIndex());
    body.put("state", s.state());
    Membership m = s.membership() == null ? Membership.EMPTY : s.membership();
    ObjectNode membership = body.putObject("membership");
    putMembers(membership.putObject("voters"), m.voters());
    putMembers(membership.putObject("learners"), m.learners());
    return ok(body);
  }

  // ---------------------------------------------------------------- outcomes

  private Route readAnswer(String key, ReadOutcome outcome) {
    if (outcome instanceof ReadOutcome.Value) {
      ObjectNode body = mapper.createObjectNode();
      body.put("key", key);
      body.put("value", ((ReadOutcome.Value) outcome).value());
      return ok(body);
    }
    if (outcome instanceof ReadOutcome.NoLeader) {
      return complete(
          retryLater(
              json(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  errorBody(
                      "No leader could confirm a linearizable read ("
                          + ((ReadOutcome.NoLeader) outcome).reason()
                          + "). Retry in a moment, or add consistency=local for a possibly stale"
                          + " read from this node"))));
    }
    if (outcome instanceof ReadOutcome.Timeout) {
      return error(
          StatusCodes.GATEWAY_TIMEOUT,
          "The linearizable read timed out ("
              + ((ReadOutcome.Timeout) outcome).reason()
              + "). Retry, or add consistency=local for a possibly stale read from this node");
    }
    return internalError(new IllegalStateException("unexpected read outcome " + outcome));
  }

  private Route write(KvCommand command, String successMessage) {
    return onComplete(
        call(() -> api.write(command)),
        done -> {
          if (done.isFailure()) return internalError(done.failed().get());
          return writeAnswer(done.get(), successMessage);
        });
  }

  private Route writeAnswer(WriteOutcome outcome, String successMessage) {
    if (outcome instanceof WriteOutcome.Applied) {
      ObjectNode body = mapper.createObjectNode();
      body.put("success", true);
      body.put("message", successMessage);
      return ok(body);
    }
    if (outcome instanceof WriteOutcome.NotLeader) {
      WriteOutcome.NotLeader n = (WriteOutcome.NotLeader) outcome;
      ObjectNode body = errorBody(NOT_LEADER + n.leaderId());
      body.put("leader_id", n.leaderId());
      if (n.leaderHttp() != null && !n.leaderHttp().isBlank()) {
        body.put("leader_http", n.leaderHttp());
      }
      return complete(json(StatusCodes.MISDIRECTED_REQUEST, body));
    }
    if (outcome instanceof WriteOutcome.NoLeader) {
      // The error text stays the seed's; what to do goes in "hint" so clients matching the
      // seed's message keep working.
      ObjectNode body = errorBody(NOT_LEADER + "unknown");
      body.put(
          "hint",
          "No leader is known right now ("
              + ((WriteOutcome.NoLeader) outcome).reason()
              + "). The write was not applied; retry in a moment, an election usually takes"
              + " about a second");
      return complete(retryLater(json(StatusCodes.SERVICE_UNAVAILABLE, body)));
    }
    if (outcome instanceof WriteOutcome.Rejected) {
      return complete(
          retryLater(
              json(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  errorBody(
                      "The write was not applied ("
                          + ((WriteOutcome.Rejected) outcome).reason()
                          + "). It is safe to retry"))));
    }
    if (outcome instanceof WriteOutcome.Timeout) {
      // Never "failed": the entry may already sit in the log and commit later (§8 of the
      // paper: a client must not assume a timed-out command did not execute).
      return error(
          StatusCodes.GATEWAY_TIMEOUT,
          "The write timed out and its outcome is unknown ("
              + ((WriteOutcome.Timeout) outcome).reason()
              + "): it may still be applied. Read the key to see whether it was before retrying");
    }
    return internalError(new IllegalStateException("unexpected write outcome " + outcome));
  }

  // ---------------------------------------------------------------- request bodies

  /**
   * Reads the whole body (bounded by maxBodyBytes) and hands the parsed JSON object on. The
   * content type is checked first, so a form post is refused before its body is read.
   */
  private Route jsonBody(Function<ObjectNode, Route> inner) {
    return extractRequestEntity(
        entity -> {
          if (!isJson(entity.getContentType())) {
            return error(
                StatusCodes.UNSUPPORTED_MEDIA_TYPE, unsupportedType(entity.getContentType()));
          }
          // A declared length over the limit is refused before reading anything. (toStrict
          // would refuse it too, but with a generic stream error we could not tell apart.)
          OptionalLong declared = entity.getContentLengthOption();
          if (declared.isPresent() && declared.getAsLong() > limits.maxBodyBytes()) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, bodyTooLarge());
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
                                        return parseObject(done.get(), inner);
                                      }))));
        });
  }

  private Route parseObject(HttpEntity.Strict strict, Function<ObjectNode, Route> inner) {
    byte[] bytes = strict.getData().toArray();
    JsonNode node;
    try {
      node = jsonReader.readTree(bytes);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      return error(
          StatusCodes.BAD_REQUEST,
          "request body is not valid JSON (" + e.getOriginalMessage() + where + "). Send a JSON"
              + " object such as " + SET_EXAMPLE);
    } catch (IOException e) {
      return error(StatusCodes.BAD_REQUEST, "could not read the request body: " + e.getMessage());
    }
    if (node == null || node.isMissingNode()) {
      return error(
          StatusCodes.BAD_REQUEST, "request body is empty. Send a JSON object such as " + SET_EXAMPLE);
    }
    if (!node.isObject()) {
      return error(
          StatusCodes.BAD_REQUEST,
          "request body must be a JSON object such as " + SET_EXAMPLE + ", got " + describe(node));
    }
    return inner.apply((ObjectNode) node);
  }

  private Route bodyFailure(Throwable failure) {
    Throwable cause = unwrap(failure);
    EntityStreamSizeException tooLarge = findSizeException(cause);
    if (tooLarge != null) return error(StatusCodes.PAYLOAD_TOO_LARGE, bodyTooLarge());
    if (cause instanceof TimeoutException) {
      return error(
          StatusCodes.REQUEST_TIMEOUT,
          "the request body did not arrive within " + BODY_TIMEOUT_MS / 1000 + " s. Send it again");
    }
    return error(StatusCodes.BAD_REQUEST, "could not read the request body: " + cause.getMessage());
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

  private static String unsupportedType(ContentType type) {
    return "Content-Type '"
        + type.mediaType()
        + "' is not supported: the body must be JSON sent with the header 'Content-Type:"
        + " application/json' (with curl, add -H 'Content-Type: application/json'; -d alone sends"
        + " form data)";
  }

  private String bodyTooLarge() {
    return "request body is larger than the limit of "
        + limits.maxBodyBytes()
        + " bytes. Send a smaller body";
  }

  // ---------------------------------------------------------------- validation

  /** A client mistake found while validating a request, carrying the answer to give. */
  private static final class ClientError extends Exception {
    final StatusCode status;

    ClientError(StatusCode status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private void checkKey(String key) throws ClientError {
    if (key.isEmpty()) {
      throw new ClientError(StatusCodes.BAD_REQUEST, "key must not be empty");
    }
    int keyBytes = utf8Length(key);
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

  private static String stringField(ObjectNode body, String field, String example)
      throws ClientError {
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
  private static void onlyFields(ObjectNode body, Set<String> allowed, String example)
      throws ClientError {
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
  private static String singleParam(List<String> values, String name) throws ClientError {
    if (values.isEmpty()) return null;
    if (values.size() > 1) {
      throw new ClientError(
          StatusCodes.BAD_REQUEST, "query parameter '" + name + "' is given more than once");
    }
    return values.get(0);
  }

  private static boolean linearizable(String consistency) throws ClientError {
    if (consistency == null || consistency.equals("linearizable")) return true;
    if (consistency.equals("local")) return false;
    throw new ClientError(
        StatusCodes.BAD_REQUEST,
        "unknown consistency '"
            + consistency
            + "': use consistency=linearizable (the default) or consistency=local");
  }

  private static String describe(JsonNode node) {
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

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  // ---------------------------------------------------------------- error handling

  /**
   * Wraps a route so that nothing it does, and nothing Pekko refuses on its behalf, leaves this
   * node as anything but a JSON error. Package-private so tests can check the handlers against
   * Pekko's built-in rejections, which the route itself never provokes.
   */
  Route withErrorHandling(Route inner) {
    return withRequestTimeoutResponse(
        this::requestTimeoutResponse,
        () ->
            handleExceptions(
                exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> inner)));
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, this::methodNotAllowed)
        .handle(
            UnsupportedRequestContentTypeRejection.class,
            r ->
                extractRequest(
                    req ->
                        error(
                            StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                            unsupportedType(req.entity().getContentType()))))
        .handle(
            MalformedRequestContentRejection.class,
            r -> {
              if (findSizeException(r.getCause()) != null) {
                return error(StatusCodes.PAYLOAD_TOO_LARGE, bodyTooLarge());
              }
              return error(
                  StatusCodes.BAD_REQUEST,
                  "request body is malformed (" + r.message() + "). Send a JSON object such as "
                      + SET_EXAMPLE);
            })
        .handleNotFound(
            extractRequest(
                req ->
                    error(
                        StatusCodes.NOT_FOUND,
                        "no endpoint "
                            + req.method().name()
                            + " "
                            + req.getUri().path()
                            + ". This node serves "
                            + ENDPOINTS)))
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
                json(
                        StatusCodes.METHOD_NOT_ALLOWED,
                        errorBody(
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
    return response.withEntity(jsonEntity(errorBody(text)));
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(
            EntityStreamSizeException.class,
            e -> error(StatusCodes.PAYLOAD_TOO_LARGE, bodyTooLarge()))
        .matchAny(this::internalError)
        .build();
  }

  /**
   * Pekko's request timeout fires when the node has not answered at all. For a write that means
   * the command may be in the log already, so the answer is "outcome unknown", as for a Raft
   * timeout, rather than Pekko's default 503.
   */
  private HttpResponse requestTimeoutResponse(HttpRequest request) {
    return json(
        StatusCodes.GATEWAY_TIMEOUT,
        errorBody(
            "the node did not answer in time. If this was a write its outcome is unknown: it may"
                + " still be applied, so read the key before retrying"));
  }

  private Route internalError(Throwable failure) {
    Throwable cause = unwrap(failure);
    log.error("request failed inside the node", cause);
    return error(
        StatusCodes.INTERNAL_SERVER_ERROR,
        "internal error ("
            + cause.getClass().getSimpleName()
            + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
            + "). The node is still running; retry, and report this if it persists");
  }

  /**
   * Calls into the node so that a synchronous throw or a null stage becomes a failed stage: the
   * caller then has one failure path to map to 500.
   */
  private static <T> CompletionStage<T> call(Supplier<CompletionStage<T>> body) {
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

  private static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static EntityStreamSizeException findSizeException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof EntityStreamSizeException) return (EntityStreamSizeException) c;
      if (c.getCause() == c) break;
    }
    return null;
  }

  // ---------------------------------------------------------------- rendering

  private void putLeader(ObjectNode body, long leader) {
    // 0 means "no leader known" in NodeStatus; the seed renders that as null.
    if (leader > 0) {
      body.put("current_leader", leader);
    } else {
      body.putNull("current_leader");
    }
  }

  private void putMembers(ObjectNode target, Map<Long, Member> members) {
    for (Member m : members.values()) {
      ObjectNode node = target.putObject(Long.toString(m.id()));
      node.put("node_id", m.id());
      node.put("endpoint", m.raftAddr());
      if (m.httpAddr().isEmpty()) {
        node.putNull("http_addr");
      } else {
        node.put("http_addr", m.httpAddr());
      }
    }
  }

  private ObjectNode errorBody(String message) {
    ObjectNode body = mapper.createObjectNode();
    body.put("error", message);
    return body;
  }

  private Route ok(ObjectNode body) {
    return complete(json(StatusCodes.OK, body));
  }

  private Route error(StatusCode status, String message) {
    return complete(json(status, errorBody(message)));
  }

  private HttpResponse json(StatusCode status, JsonNode body) {
    return HttpResponse.create().withStatus(status).withEntity(jsonEntity(body));
  }

  private HttpEntity.Strict jsonEntity(JsonNode body) {
    try {
      return HttpEntities.create(ContentTypes.APPLICATION_JSON, mapper.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** 503s are transient by definition here; Retry-After lets well-behaved clients back off. */
  private static HttpResponse retryLater(HttpResponse response) {
    return response.addHeader(RawHeader.create("Retry-After", "1"));
  }
}
