package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractUri;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.api.ClientApi;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The JSON HTTP API of one node: the route table, and the wiring of the small classes that do
 * the work. The rockraft example's endpoints keep their exact response shapes; every failure is {@code
 * {"error": "..."}} with a status that says whose fault it was and a text that says what to do
 * next.
 *
 * <ul>
 *   <li>{@link KvRoutes}, {@link StatusRoutes} and {@link ClusterRoutes}: one method per endpoint.
 *   <li>{@link JsonBody} reads bodies; {@link KvRequests} and {@link Fields} validate them;
 *       {@link QueryParams} decodes query strings strictly, against each endpoint's parameters.
 *   <li>{@link Outcomes} answers reads and writes that did not succeed.
 *   <li>{@link ErrorMapping} renders Pekko's rejections, exceptions and timeouts as JSON.
 *   <li>{@link JsonParsingErrorHandler} does the same for requests Pekko cannot parse at all.
 *   <li>{@link Responses} renders JSON.
 * </ul>
 */
public final class HttpApi {
  private static final String ENDPOINTS =
      "GET /get?key=<key>, POST /set, POST /delete, POST /batch_write, POST /txn, POST /getset,"
          + " GET /prefix?prefix=<prefix>[&limit=<n>][&start_after=<key>], GET /health, GET /livez, GET /readyz, GET /metrics, GET /members, POST /join, POST /leave, POST /transfer_leader,"
          + " POST /trigger_snapshot, GET /snapshot_status and POST /purge_log";

  private final Responses responses;
  private final ErrorMapping errors;
  private final JsonBody body;
  private final KvRoutes kv;
  private final StatusRoutes status;
  private final ClusterRoutes cluster;

  public HttpApi(ClientApi api, HttpLimits limits) {
    this(api, limits, new ObjectMapper());
  }

  public HttpApi(ClientApi api, HttpLimits limits, ObjectMapper mapper) {
    if (api == null || limits == null || mapper == null) {
      throw new IllegalArgumentException("api, limits and mapper are required");
    }
    this.responses = new Responses(mapper);
    this.errors = new ErrorMapping(responses, limits, ENDPOINTS);
    this.body = new JsonBody(responses, errors, limits, mapper);
    Outcomes outcomes = new Outcomes(responses, errors);
    this.kv = new KvRoutes(api, new KvRequests(limits), responses, outcomes, errors);
    this.status = new StatusRoutes(api, responses);
    this.cluster = new ClusterRoutes(api, responses, errors);
  }

  /**
   * The complete route, with JSON error handling around it. Each endpoint declares the query
   * parameters it accepts; any other is refused (400), as is a malformed query string.
   */
  public Route route() {
    return withErrorHandling(
        concat(
            path("get", () -> get(() -> query("GET /get", KvRoutes.GET_PARAMS, kv::get))),
            path("set", () -> post(() -> none("POST /set", () -> body.object(KvRequests.SET_EXAMPLE, kv::set)))),
            path("delete", () -> post(() -> none("POST /delete",
                () -> body.object(KvRequests.DELETE_EXAMPLE, kv::delete)))),
            path("batch_write", () -> post(() -> none("POST /batch_write",
                () -> body.object(KvRequests.BATCH_EXAMPLE, kv::batchWrite)))),
            path("txn", () -> post(() -> none("POST /txn", () -> body.object(KvRequests.TXN_EXAMPLE, kv::txn)))),
            path("getset", () -> post(() -> none("POST /getset",
                () -> body.object(KvRequests.GETSET_EXAMPLE, kv::getSet)))),
            path("prefix", () -> get(() -> query("GET /prefix", KvRoutes.PREFIX_PARAMS, kv::prefix))),
            path("health", () -> get(() -> none("GET /health", status::health))),
            path("livez", () -> get(() -> none("GET /livez", status::livez))),
            path("readyz", () -> get(() -> none("GET /readyz", status::readyz))),
            path("metrics", () -> get(() -> none("GET /metrics", status::metrics))),
            path("members", () -> get(() -> none("GET /members", cluster::members))),
            path("join", () -> post(() -> none("POST /join",
                () -> body.object(ClusterRoutes.JOIN_EXAMPLE, cluster::join)))),
            path("leave", () -> post(() -> none("POST /leave",
                () -> body.object(ClusterRoutes.LEAVE_EXAMPLE, cluster::leave)))),
            path("transfer_leader", () -> post(() -> none("POST /transfer_leader",
                () -> body.optionalObject(ClusterRoutes.TRANSFER_EXAMPLE, cluster::transferLeader)))),
            path("trigger_snapshot", () -> post(() -> none("POST /trigger_snapshot", cluster::triggerSnapshot))),
            path("snapshot_status", () -> get(() -> none("GET /snapshot_status", cluster::snapshotStatus))),
            path("purge_log", () -> post(() -> none("POST /purge_log",
                () -> body.object(ClusterRoutes.PURGE_EXAMPLE, cluster::purgeLog))))));
  }

  /** Parses the query string strictly against the parameters {@code endpoint} accepts. */
  private Route query(String endpoint, List<String> accepted, Function<QueryParams, Route> inner) {
    return extractUri(uri -> {
      QueryParams params;
      try {
        params = QueryParams.parse(uri.rawQueryString(), accepted, endpoint);
      } catch (ClientError e) {
        return responses.error(e);
      }
      return inner.apply(params);
    });
  }

  /** An endpoint without query parameters: one given is a mistake worth telling the client. */
  private Route none(String endpoint, Supplier<Route> inner) {
    return query(endpoint, List.of(), params -> inner.get());
  }

  /**
   * Binds the route on HTTP/1.1 only. HTTP/2 is switched off here explicitly, even if the
   * configuration enables it for the gRPC port: offered on this port, h2c breaks plain HTTP/1.1
   * clients such as Java's HttpClient.
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system, String host, int port, Route route) {
    return bind(system, host, port, route, Optional.empty());
  }

  /**
   * As above, speaking TLS when {@code https} is present. The same settings and limits apply;
   * a client that speaks plain HTTP to a TLS port fails its handshake and is never served.
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system, String host, int port, Route route, Optional<HttpsConnectionContext> https) {
    var server = Http.get(system).newServerAt(host, port);
    if (https.isPresent()) server = server.enableHttps(https.get());
    return server
        .adaptSettings(
            s ->
                s.withEnableHttp2(false)
                    .withPreviewServerSettings(s.getPreviewServerSettings().withEnableHttp2(false))
                    // Requests Pekko cannot even parse get the API's JSON error shape too.
                    .withParsingErrorHandler(JsonParsingErrorHandler.class.getName()))
        .bind(route);
  }

  /**
   * Wraps a route in the API's error handling. Package-private so tests can check the handlers
   * against Pekko's built-in rejections, which the route itself never provokes.
   */
  Route withErrorHandling(Route inner) {
    return errors.withErrorHandling(inner);
  }
}
