package io.raftkv.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.raftkv.api.NodeStatus;
import io.raftkv.kv.KvCommand;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drives the real route over real HTTP/1.1 on a loopback port, against a fake node, so that the
 * statuses and bodies checked here are the ones curl would see.
 */
class HttpApiTest {
  /** Small limits so that "at the limit" and "one over" are cheap to build. */
  private static final HttpLimits LIMITS = new HttpLimits(256, 16, 64);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FakeClientApi fake = new FakeClientApi();
  private static ActorTestKit testKit;
  private static HttpApi httpApi;
  private static String base;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    // A short request timeout lets one test show Pekko's own timeout answer without waiting 20 s.
    testKit =
        ActorTestKit.create(
            "HttpApiTest", ConfigFactory.parseString("pekko.http.server.request-timeout = 3 s"));
    httpApi = new HttpApi(fake, LIMITS);
    ServerBinding binding =
        HttpApi.bind(testKit.system(), "127.0.0.1", 0, httpApi.route())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterAll
  static void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  @BeforeEach
  void reset() {
    fake.reset();
  }

  // ---------------------------------------------------------------- 200 shapes

  @Test
  void getReturnsValueOrNull() throws Exception {
    fake.put("user:1", "Alice");
    HttpResponse<String> hit = get("/get?key=user:1");
    assertEquals(200, hit.statusCode());
    assertEquals("application/json", hit.headers().firstValue("Content-Type").orElse(""));
    assertEquals("{\"key\":\"user:1\",\"value\":\"Alice\"}", hit.body());

    HttpResponse<String> miss = get("/get?key=nobody");
    assertEquals(200, miss.statusCode());
    assertEquals("{\"key\":\"nobody\",\"value\":null}", miss.body());
  }

  @Test
  void setStoresAndAnswersWithTheSeedsMessage() throws Exception {
    HttpResponse<String> r = postJson("/set", "{\"key\": \"user:1\", \"value\": \"Alice\"}");
    assertEquals(200, r.statusCode());
    assertEquals("{\"success\":true,\"message\":\"Key 'user:1' set successfully\"}", r.body());
    assertEquals("Alice", fake.value("user:1"));
    assertEquals("{\"key\":\"user:1\",\"value\":\"Alice\"}", get("/get?key=user:1").body());
  }

  @Test
  void deleteRemovesAndAnswersWithTheSeedsMessage() throws Exception {
    fake.put("config:theme", "dark");
    HttpResponse<String> r = postJson("/delete", "{\"key\": \"config:theme\"}");
    assertEquals(200, r.statusCode());
    assertEquals(
        "{\"success\":true,\"message\":\"Key 'config:theme' deleted successfully\"}", r.body());
    assertNull(fake.value("config:theme"));
  }

  @Test
  void deletingAnAbsentKeySucceeds() throws Exception {
    HttpResponse<String> r = postJson("/delete", "{\"key\":\"never\"}");
    assertEquals(200, r.statusCode());
  }

  @Test
  void emptyStringValueIsAValue() throws Exception {
    assertEquals(200, postJson("/set", "{\"key\":\"k\",\"value\":\"\"}").statusCode());
    assertEquals("", fake.value("k"));
  }

  @Test
  void healthOfALeader() throws Exception {
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode());
    assertEquals(
        "{\"status\":\"ok\",\"node_id\":1,\"is_leader\":true,\"current_leader\":1,"
            + "\"current_term\":3,\"state\":\"Leader\",\"alarms\":[]}",
        r.body());
  }

  @Test
  void healthWithoutALeaderRendersNull() throws Exception {
    fake.status = NodeStatus.builder().nodeId(2).currentLeaderHttp(null).currentTerm(4).state("Candidate").build();
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode());
    assertEquals(
        "{\"status\":\"ok\",\"node_id\":2,\"is_leader\":false,\"current_leader\":null,"
            + "\"current_term\":4,\"state\":\"Candidate\",\"alarms\":[]}",
        r.body());
  }

  @Test
  void healthShowsTheIdentityProblemWhenThereIsOne() throws Exception {
    fake.status = NodeStatus.builder().nodeId(2).currentLeaderHttp(null).state("Follower")
        .identityProblem("the cluster knows node 2 as incarnation 1a; remove it with POST /leave").build();
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode());
    assertEquals(
        "{\"status\":\"ok\",\"node_id\":2,\"is_leader\":false,\"current_leader\":null,"
            + "\"current_term\":0,\"state\":\"Follower\","
            + "\"identity_problem\":\"the cluster knows node 2 as incarnation 1a; remove it with POST /leave\","
            + "\"alarms\":[]}",
        r.body());
  }

  @Test
  void metricsShapeInOrder() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode());
    assertEquals(
        "{\"node_id\":1,\"current_leader\":1,\"current_term\":3,"
            + "\"last_applied\":{\"term\":3,\"index\":10},\"last_log_index\":12,\"commit_index\":11,"
            + "\"state\":\"Leader\",\"membership\":{"
            + "\"voters\":{"
            + "\"1\":{\"node_id\":1,\"endpoint\":\"127.0.0.1:7001\",\"http_addr\":\"127.0.0.1:8001\"},"
            + "\"2\":{\"node_id\":2,\"endpoint\":\"127.0.0.1:7002\",\"http_addr\":\"127.0.0.1:8002\"}},"
            + "\"learners\":{"
            + "\"3\":{\"node_id\":3,\"endpoint\":\"127.0.0.1:7003\",\"http_addr\":null}}},"
            + "\"disk_usage_bytes\":123456,\"quota_backend_bytes\":2147483648}",
        r.body());
  }

  // ---------------------------------------------------------------- consistency

  @Test
  void readsAreLinearizableByDefault() throws Exception {
    assertEquals(200, get("/get?key=a").statusCode());
    assertEquals(Boolean.TRUE, fake.lastLinearizable);
    assertEquals(200, get("/get?key=a&consistency=linearizable").statusCode());
    assertEquals(Boolean.TRUE, fake.lastLinearizable);
  }

  @Test
  void consistencyLocalAsksForANonLinearizableRead() throws Exception {
    assertEquals(200, get("/get?key=a&consistency=local").statusCode());
    assertEquals(Boolean.FALSE, fake.lastLinearizable);
  }

  @Test
  void unknownConsistencyIs400() throws Exception {
    HttpResponse<String> r = get("/get?key=a&consistency=eventual");
    assertError(r, 400, "consistency=local");
    assertNull(fake.lastLinearizable);
  }

  // ---------------------------------------------------------------- query errors

  @Test
  void missingKeyParamIs400() throws Exception {
    assertError(get("/get"), 400, "missing query parameter 'key'");
  }

  @Test
  void emptyKeyParamIs400() throws Exception {
    assertError(get("/get?key="), 400, "key must not be empty");
  }

  @Test
  void repeatedKeyParamIs400() throws Exception {
    assertError(get("/get?key=a&key=b"), 400, "more than once");
  }

  // ---------------------------------------------------------------- limits, in UTF-8 bytes

  @Test
  void unicodeKeyIsMeasuredInBytes() throws Exception {
    String eightCyrillic = "ключключ"; // 8 chars, 16 bytes: exactly the limit
    String nineCyrillic = "ключключк"; // 9 chars, 18 bytes: under 16 chars, over 16 bytes
    assertEquals(200, postJson("/set", setBody(eightCyrillic, "v")).statusCode());
    assertEquals("v", fake.value(eightCyrillic));
    assertEquals(
        "{\"key\":\"" + eightCyrillic + "\",\"value\":\"v\"}",
        get("/get?key=" + URLEncoder.encode(eightCyrillic, StandardCharsets.UTF_8)).body());

    fake.lastCommand = null;
    assertError(postJson("/set", setBody(nineCyrillic, "v")), 413, "18 bytes");
    assertError(postJson("/delete", "{\"key\":\"" + nineCyrillic + "\"}"), 413, "limit is 16");
    assertError(get("/get?key=" + URLEncoder.encode(nineCyrillic, StandardCharsets.UTF_8)), 413, "18 bytes");
    assertNull(fake.lastCommand);
  }

  @Test
  void keyOfAstralCharactersIsMeasuredInBytes() throws Exception {
    String fourEmoji = "😀😀😀😀"; // 8 UTF-16 chars, 16 bytes
    String fiveEmoji = "😀😀😀😀😀"; // 10 UTF-16 chars, 20 bytes
    assertEquals(200, postJson("/set", setBody(fourEmoji, "v")).statusCode());
    assertError(postJson("/set", setBody(fiveEmoji, "v")), 413, "20 bytes");
  }

  @Test
  void valueAtAndOverTheLimit() throws Exception {
    assertEquals(200, postJson("/set", setBody("k", "x".repeat(64))).statusCode());
    assertError(postJson("/set", setBody("k", "x".repeat(65))), 413, "value is 65 bytes");
    // 33 chars of 2 bytes each: well under 64 chars, over 64 bytes.
    assertEquals(200, postJson("/set", setBody("k", "é".repeat(32))).statusCode());
    assertError(postJson("/set", setBody("k", "é".repeat(33))), 413, "value is 66 bytes");
  }

  @Test
  void bodyExactlyAtTheLimitIsAccepted() throws Exception {
    String body = padTo(setBody("k", "v"), 256);
    assertEquals(256, body.getBytes(StandardCharsets.UTF_8).length);
    assertEquals(200, postJson("/set", body).statusCode());
  }

  @Test
  void bodyOneByteOverTheLimitIs413() throws Exception {
    String body = padTo(setBody("k", "v"), 257);
    assertError(postJson("/set", body), 413, "limit of 256 bytes");
    assertNull(fake.lastCommand);
  }

  @Test
  void chunkedBodyOverTheLimitIs413() throws Exception {
    // No Content-Length: the limit must hold while the stream is read, not only from the header.
    byte[] bytes = padTo(setBody("k", "v"), 300).getBytes(StandardCharsets.UTF_8);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/set"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
            .build();
    assertError(send(request), 413, "limit of 256 bytes");
  }

  // ---------------------------------------------------------------- malformed bodies

  @Test
  void malformedJsonIs400() throws Exception {
    assertError(postJson("/set", "{\"key\": \"a\", "), 400, "not valid JSON");
    assertError(postJson("/set", "{key: a}"), 400, "not valid JSON");
  }

  @Test
  void trailingGarbageIs400() throws Exception {
    assertError(postJson("/set", "{\"key\":\"a\",\"value\":\"b\"} x"), 400, "not valid JSON");
  }

  @Test
  void duplicateFieldIs400() throws Exception {
    assertError(postJson("/set", "{\"key\":\"a\",\"value\":\"b\",\"value\":\"c\"}"), 400, "value");
    assertNull(fake.lastCommand);
  }

  @Test
  void emptyBodyIs400() throws Exception {
    assertError(postJson("/set", ""), 400, "body is empty");
  }

  @Test
  void bodyThatIsNotAnObjectIs400() throws Exception {
    assertError(postJson("/set", "[\"a\",\"b\"]"), 400, "got an array");
    assertError(postJson("/delete", "\"a\""), 400, "got a string");
  }

  @Test
  void missingFieldsAre400() throws Exception {
    assertError(postJson("/set", "{\"value\":\"v\"}"), 400, "missing field 'key'");
    assertError(postJson("/set", "{\"key\":\"k\"}"), 400, "missing field 'value'");
    assertError(postJson("/delete", "{}"), 400, "missing field 'key'");
  }

  @Test
  void wrongTypesAre400() throws Exception {
    assertError(
        postJson("/set", "{\"key\":\"k\",\"value\":42}"),
        400,
        "field 'value' must be a JSON string, got a number; quote it, e.g. \"value\":\"42\"");
    assertError(postJson("/set", "{\"key\":\"k\",\"value\":true}"), 400, "got a boolean");
    assertError(postJson("/set", "{\"key\":\"k\",\"value\":null}"), 400, "use POST /delete");
    assertError(postJson("/set", "{\"key\":\"k\",\"value\":{\"a\":1}}"), 400, "got an object");
    assertError(postJson("/set", "{\"key\":7,\"value\":\"v\"}"), 400, "field 'key' must be a JSON string");
    assertError(postJson("/delete", "{\"key\":[\"k\"]}"), 400, "got an array");
    assertNull(fake.lastCommand);
  }

  @Test
  void emptyKeyInBodyIs400() throws Exception {
    assertError(postJson("/set", setBody("", "v")), 400, "key must not be empty");
    assertError(postJson("/delete", "{\"key\":\"\"}"), 400, "key must not be empty");
  }

  @Test
  void unknownFieldIs400() throws Exception {
    assertError(postJson("/set", "{\"key\":\"k\",\"value\":\"v\",\"ttl\":5}"), 400, "unknown field 'ttl'");
  }

  // ---------------------------------------------------------------- content types

  @Test
  void formContentTypeIs415WithAHint() throws Exception {
    HttpResponse<String> r = post("/set", setBody("k", "v"), "application/x-www-form-urlencoded");
    assertError(r, 415, "-H 'Content-Type: application/json'");
    assertNull(fake.lastCommand);
  }

  @Test
  void textContentTypeIs415() throws Exception {
    assertError(post("/delete", "{\"key\":\"k\"}", "text/plain"), 415, "text/plain");
  }

  @Test
  void missingContentTypeIsReadAsJson() throws Exception {
    assertEquals(200, post("/set", setBody("k", "v"), null).statusCode());
    assertEquals("v", fake.value("k"));
  }

  @Test
  void jsonWithCharsetParameterIsAccepted() throws Exception {
    assertEquals(200, post("/set", setBody("k", "v"), "application/json; charset=utf-8").statusCode());
  }

  // ---------------------------------------------------------------- paths and methods

  @Test
  void unknownPathIs404() throws Exception {
    assertError(get("/nope"), 404, "GET /get?key=<key>, POST /set");
    assertError(postJson("/put", setBody("k", "v")), 404, "no endpoint POST /put");
    assertError(get("/"), 404, "no endpoint GET /");
  }

  @Test
  void wrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> r = get("/set");
    assertError(r, 405, "method GET is not allowed on /set: use POST");
    assertEquals("POST", r.headers().firstValue("Allow").orElse(""));

    HttpResponse<String> p = postJson("/get", "{}");
    assertError(p, 405, "use GET");
    assertEquals("GET", p.headers().firstValue("Allow").orElse(""));

    HttpResponse<String> d =
        send(HttpRequest.newBuilder(URI.create(base + "/health")).DELETE().build());
    assertError(d, 405, "method DELETE");
    assertEquals("GET", d.headers().firstValue("Allow").orElse(""));
  }

  // ---------------------------------------------------------------- write outcomes

  @Test
  void notLeaderIs421WithLeaderAddress() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.NOT_LEADER;
    HttpResponse<String> r = postJson("/set", setBody("k", "v"));
    assertEquals(421, r.statusCode());
    assertEquals(
        "{\"error\":\"This node is not the leader. Current leader: 2\",\"leader_id\":2,"
            + "\"leader_http\":\"127.0.0.1:8002\"}",
        r.body());
  }

  @Test
  void notLeaderWithoutKnownHttpAddressOmitsIt() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.NOT_LEADER_NO_HTTP;
    HttpResponse<String> r = postJson("/delete", "{\"key\":\"k\"}");
    assertEquals(421, r.statusCode());
    assertEquals(
        "{\"error\":\"This node is not the leader. Current leader: 2\",\"leader_id\":2}", r.body());
  }

  @Test
  void noLeaderIs503WithTheSeedsMessageAndARetryHint() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.NO_LEADER;
    HttpResponse<String> r = postJson("/set", setBody("k", "v"));
    assertEquals(503, r.statusCode());
    JsonNode body = JSON.readTree(r.body());
    assertEquals("This node is not the leader. Current leader: unknown", body.get("error").asText());
    assertTrue(body.get("hint").asText().contains("retry"), r.body());
    assertTrue(body.get("hint").asText().contains("election in progress"), r.body());
    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
  }

  @Test
  void rejectedWriteIs503SafeToRetry() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.REJECTED;
    HttpResponse<String> r = postJson("/set", setBody("k", "v"));
    assertError(r, 503, "safe to retry");
    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
  }

  @Test
  void timedOutWriteIs504OutcomeUnknown() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.TIMEOUT;
    assertError(postJson("/set", setBody("k", "v")), 504, "outcome is unknown");
    assertError(postJson("/delete", "{\"key\":\"k\"}"), 504, "may still be applied");
  }

  @Test
  void writePassesTheCommandThrough() throws Exception {
    postJson("/set", setBody("a", "1"));
    assertEquals(new KvCommand.Set("a", "1"), fake.lastCommand);
    postJson("/delete", "{\"key\":\"a\"}");
    assertEquals(new KvCommand.Delete("a"), fake.lastCommand);
  }

  // ---------------------------------------------------------------- read outcomes

  @Test
  void readWithoutLeaderIs503() throws Exception {
    fake.readMode = FakeClientApi.ReadMode.NO_LEADER;
    HttpResponse<String> r = get("/get?key=a");
    assertError(r, 503, "consistency=local");
    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
  }

  @Test
  void readTimeoutIs504() throws Exception {
    fake.readMode = FakeClientApi.ReadMode.TIMEOUT;
    assertError(get("/get?key=a"), 504, "timed out");
  }

  // ---------------------------------------------------------------- failures inside the node

  @Test
  void exceptionsBecome500AndTheServerStaysUp() throws Exception {
    // The answer names no exception class and quotes no exception message: those describe the
    // node's internals and go to its log.
    fake.writeMode = FakeClientApi.WriteMode.THROW;
    assertInternalError(postJson("/set", setBody("k", "v")));
    fake.writeMode = FakeClientApi.WriteMode.FAIL_STAGE;
    assertInternalError(postJson("/delete", "{\"key\":\"k\"}"));
    fake.readMode = FakeClientApi.ReadMode.THROW;
    assertInternalError(get("/get?key=k"));
    fake.statusThrows = true;
    assertInternalError(get("/health"));
    assertInternalError(get("/metrics"));

    fake.reset();
    assertEquals(200, get("/health").statusCode());
    assertEquals(200, postJson("/set", setBody("k", "v")).statusCode());
  }

  private static void assertInternalError(HttpResponse<String> r) throws Exception {
    assertError(r, 500, "internal error, see the node's log");
    assertFalse(r.body().contains("Exception"), r.body());
    assertFalse(r.body().contains("boom"), r.body());
    assertFalse(r.body().contains("stage failed"), r.body());
  }

  @Test
  void aWriteThatNeverAnswersIs504FromTheRequestTimeout() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.NEVER;
    assertError(postJson("/set", setBody("k", "v")), 504, "outcome is unknown");
  }

  // ---------------------------------------------------------------- Pekko's own rejections

  @Test
  void requestsPekkoCannotParseGetJsonErrorsAndNeverA5xx() throws Exception {
    int port = Integer.parseInt(base.substring(base.lastIndexOf(':') + 1));
    String[][] cases = {
      {"GET /get?key=%zz HTTP/1.1", "400"},
      {"GET /get?key=a b HTTP/1.1", "400"},
      {"BREW /get?key=a HTTP/1.1", "400"},
      {"GET /get?key=a HTTP/3.7", "400"},
      {"GET /get?key=" + "a".repeat(3000) + " HTTP/1.1", "414"},
    };
    for (String[] c : cases) {
      String raw = rawExchange(port, c[0] + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assertTrue(raw.startsWith("HTTP/1.1 " + c[1]), c[0] + " -> " + raw);
      assertTrue(raw.contains("Content-Type: application/json"), raw);
      JsonNode body = JSON.readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4));
      assertTrue(body.get("error").asText().startsWith("the request could not be parsed"), raw);
    }
    assertEquals(200, get("/health").statusCode());
  }

  private static String rawExchange(int port, String request) throws Exception {
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void builtInRejectionsAreRenderedAsJson() throws Exception {
    // The API route never provokes these itself; a route that does checks the handlers.
    Route probe =
        httpApi.withErrorHandling(
            Directives.concat(
                Directives.path(
                    "malformed",
                    () ->
                        Directives.reject(
                            Rejections.malformedRequestContent("bad body", new RuntimeException("x")))),
                Directives.path(
                    "type",
                    () ->
                        Directives.reject(
                            Rejections.unsupportedRequestContentType(List.of(MediaTypes.APPLICATION_JSON)))),
                Directives.path(
                    "param", () -> Directives.reject(Rejections.missingQueryParam("x"))),
                Directives.path(
                    "small",
                    () ->
                        Directives.withSizeLimit(
                            10,
                            () ->
                                Directives.entity(
                                    Unmarshaller.entityToString(), s -> Directives.complete(s))))));
    ServerBinding probeBinding =
        HttpApi.bind(testKit.system(), "127.0.0.1", 0, probe)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    String probeBase = "http://127.0.0.1:" + probeBinding.localAddress().getPort();
    try {
      assertError(send(HttpRequest.newBuilder(URI.create(probeBase + "/malformed")).build()), 400, "bad body");
      assertError(
          send(
              HttpRequest.newBuilder(URI.create(probeBase + "/type"))
                  .header("Content-Type", "text/csv")
                  .POST(HttpRequest.BodyPublishers.ofString("a,b"))
                  .build()),
          415,
          "Content-Type: application/json");
      assertError(send(HttpRequest.newBuilder(URI.create(probeBase + "/param")).build()), 404, "'x'");
      assertError(
          send(
              HttpRequest.newBuilder(URI.create(probeBase + "/small"))
                  .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100)))
                  .build()),
          413,
          "limit");
    } finally {
      probeBinding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static String setBody(String key, String value) {
    return "{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}";
  }

  /** Pads with trailing spaces, which JSON ignores, to an exact UTF-8 byte length. */
  private static String padTo(String json, int bytes) {
    int have = json.getBytes(StandardCharsets.UTF_8).length;
    return json + " ".repeat(bytes - have);
  }

  private static void assertError(HttpResponse<String> r, int status, String fragment) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.isObject(), r.body());
    assertTrue(body.path("error").isTextual(), r.body());
    assertFalse(body.get("error").asText().isBlank(), r.body());
    assertTrue(body.get("error").asText().contains(fragment), "expected '" + fragment + "' in " + r.body());
  }

  private static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET().build());
  }

  private static HttpResponse<String> postJson(String path, String body) throws Exception {
    return post(path, body, "application/json");
  }

  private static HttpResponse<String> post(String path, String body, String contentType) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (contentType != null) b.header("Content-Type", contentType);
    return send(b.build());
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    HttpRequest timed = HttpRequest.newBuilder(request, (n, v) -> true).timeout(Duration.ofSeconds(15)).build();
    try {
      return client.send(timed, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      // The server closes a connection after some error answers (a 413 whose body it did not
      // read); the client may have picked that pooled connection just as it closed. Sending
      // again on a fresh connection is what any HTTP client does; the request never arrived.
      if (!String.valueOf(e.getMessage()).contains("received no bytes")) throw e;
      return client.send(timed, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
  }
}
