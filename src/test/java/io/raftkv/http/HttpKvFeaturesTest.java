package io.raftkv.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.api.ReadQuery;
import io.raftkv.kv.Condition;
import io.raftkv.kv.KvCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * POST /batch_write, /txn, /getset and GET /prefix over real HTTP against the fake node, which
 * applies commands with the real KvApplier: every 200 shape and every client error.
 */
class HttpKvFeaturesTest {
  /**
   * Three operations per batch, two per txn list, five items and 64 bytes per scan keep "one
   * over" cheap to build.
   */
  private static final HttpLimits LIMITS = new HttpLimits(4096, 16, 64, 3, 5, 2, 64);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FakeClientApi fake = new FakeClientApi();
  private static ActorTestKit testKit;
  private static String base;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("HttpKvFeaturesTest");
    ServerBinding binding =
        HttpApi.bind(testKit.system(), "127.0.0.1", 0, new HttpApi(fake, LIMITS).route())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  @BeforeEach
  void reset() {
    fake.reset();
  }

  // ---------------------------------------------------------------- /batch_write

  @Test
  void batchWriteAppliesAllOperationsAsOneCommand() throws Exception {
    fake.put("old", "x");
    HttpResponse<String> r = post("/batch_write",
        "{\"operations\":[{\"op\":\"set\",\"key\":\"a\",\"value\":\"1\"},"
            + "{\"op\":\"delete\",\"key\":\"old\"},{\"op\":\"set\",\"key\":\"b\",\"value\":\"2\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"success\":true,\"message\":\"Batch write successful: 3 operations applied\"}", r.body());
    assertEquals(
        new KvCommand.Batch(List.of(new KvCommand.Set("a", "1"), new KvCommand.Delete("old"), new KvCommand.Set("b", "2"))),
        fake.lastCommand);
    assertEquals("1", fake.value("a"));
    assertEquals("2", fake.value("b"));
    assertNull(fake.value("old"));
  }

  @Test
  void batchSetThenDeleteOfOneKey() throws Exception {
    HttpResponse<String> r = post("/batch_write",
        "{\"operations\":[{\"op\":\"set\",\"key\":\"a\",\"value\":\"1\"},{\"op\":\"delete\",\"key\":\"a\"}]}");
    assertEquals("{\"success\":true,\"message\":\"Batch write successful: 2 operations applied\"}", r.body());
    assertNull(fake.value("a"));
  }

  @Test
  void batchErrors() throws Exception {
    assertError(post("/batch_write", "{}"), 400, "missing field 'operations'");
    assertError(post("/batch_write", "{\"operations\":{}}"), 400, "must be a JSON array, got an object");
    assertError(post("/batch_write", "{\"operations\":[],\"atomic\":true}"), 400, "unknown field 'atomic'");
    assertError(post("/batch_write", "{\"operations\":[\"set\"]}"), 400, "operations[0]: each operation must be a JSON object");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"1\"}]}"),
        400, "operations[0]: unknown op 'put'");
    assertError(post("/batch_write", "{\"operations\":[{\"key\":\"a\",\"value\":\"1\"}]}"), 400, "missing field 'op'");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"set\",\"key\":\"a\"}]}"), 400, "missing field 'value'");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"set\",\"key\":\"a\",\"value\":1}]}"), 400, "must be a JSON string");
    assertError(post("/batch_write",
        "{\"operations\":[{\"op\":\"set\",\"key\":\"a\",\"value\":\"1\"},{\"op\":\"delete\",\"key\":\"a\",\"value\":\"1\"}]}"),
        400, "operations[1]: unknown field 'value'");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"delete\",\"key\":\"\"}]}"), 400, "key must not be empty");
    assertError(post("/batch_write", "{\"operations\":[" + "{\"op\":\"delete\",\"key\":\"a\"},".repeat(3)
        + "{\"op\":\"delete\",\"key\":\"a\"}]}"), 413, "has 4 entries; the limit is 3 (max_batch_ops)");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"delete\",\"key\":\"" + "k".repeat(17) + "\"}]}"),
        413, "key is 17 bytes");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"set\",\"key\":\"k\",\"value\":\"" + "v".repeat(65) + "\"}]}"),
        413, "value is 65 bytes");
    assertError(post("/batch_write", "{\"operations\":"), 400, "not valid JSON");
    assertNull(fake.lastCommand, "no invalid batch reached the node");
  }

  @Test
  void batchAtTheOperationLimitIsAccepted() throws Exception {
    HttpResponse<String> r = post("/batch_write", "{\"operations\":[" + "{\"op\":\"delete\",\"key\":\"a\"},".repeat(2)
        + "{\"op\":\"delete\",\"key\":\"a\"}]}");
    assertEquals(200, r.statusCode(), r.body());
  }

  // ---------------------------------------------------------------- /txn

  private static final String CAS =
      "{\"conditions\":[{\"key\":\"lock\",\"op\":\"equal\",\"value\":\"free\"}],"
          + "\"if_then\":[{\"op\":\"set\",\"key\":\"lock\",\"value\":\"held\"},{\"op\":\"set\",\"key\":\"owner\",\"value\":\"me\"}],"
          + "\"else_then\":[{\"op\":\"set\",\"key\":\"misses\",\"value\":\"1\"}],"
          + "\"return_previous\":true}";

  @Test
  void txnTakesTheIfBranchAndReturnsPreviousValuesInOrder() throws Exception {
    fake.put("lock", "free");
    HttpResponse<String> r = post("/txn", CAS);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"success\":true,\"branch\":true,\"prev_values\":[\"free\",null]}", r.body());
    assertEquals("held", fake.value("lock"));
    assertEquals("me", fake.value("owner"));
  }

  @Test
  void txnTakesTheElseBranchWhenAConditionFails() throws Exception {
    fake.put("lock", "held");
    HttpResponse<String> r = post("/txn", CAS);
    assertEquals("{\"success\":true,\"branch\":false,\"prev_values\":[null]}", r.body());
    assertEquals("1", fake.value("misses"));
    assertNull(fake.value("owner"));
  }

  @Test
  void txnWithoutReturnPreviousOmitsPrevValues() throws Exception {
    HttpResponse<String> r = post("/txn",
        "{\"conditions\":[{\"key\":\"k\",\"op\":\"not_exists\"}],\"if_then\":[{\"op\":\"set\",\"key\":\"k\",\"value\":\"v\"}]}");
    assertEquals("{\"success\":true,\"branch\":true}", r.body());
    assertEquals(
        new KvCommand.Txn(List.of(new Condition("k", Condition.Compare.NOT_EXISTS, null)),
            List.of(new KvCommand.Set("k", "v")), List.of(), false),
        fake.lastCommand);
    // exists with an explicit null value is the same test.
    assertEquals("{\"success\":true,\"branch\":true}",
        post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"exists\",\"value\":null}],\"return_previous\":false}").body());
  }

  @Test
  void everyConditionOpIsAccepted() throws Exception {
    fake.put("n", "5");
    String[][] cases = {
        {"exists", null, "true"}, {"not_exists", null, "false"}, {"equal", "5", "true"},
        {"not_equal", "5", "false"}, {"greater", "4", "true"}, {"less", "4", "false"},
        {"greater_equal", "5", "true"}, {"less_equal", "10", "false"}};
    for (String[] c : cases) {
      String value = c[1] == null ? "" : ",\"value\":\"" + c[1] + "\"";
      HttpResponse<String> r =
          post("/txn", "{\"conditions\":[{\"key\":\"n\",\"op\":\"" + c[0] + "\"" + value + "}]}");
      assertEquals("{\"success\":true,\"branch\":" + c[2] + "}", r.body(), c[0]);
    }
  }

  @Test
  void txnErrors() throws Exception {
    assertError(post("/txn", "{\"if_then\":[]}"), 400, "missing field 'conditions'");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"like\",\"value\":\"v\"}]}"), 400,
        "conditions[0]: unknown condition op 'like': use one of exists, not_exists, equal, not_equal");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"greater\"}]}"), 400,
        "conditions[0]: missing field 'value'");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"equal\",\"value\":null}]}"), 400,
        "missing field 'value'");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"exists\",\"value\":\"v\"}]}"), 400,
        "takes no value");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"equal\",\"value\":3}]}"), 400,
        "must be a JSON string");
    assertError(post("/txn", "{\"conditions\":[{\"op\":\"exists\"}]}"), 400, "missing field 'key'");
    assertError(post("/txn", "{\"conditions\":[],\"return_previous\":\"yes\"}"), 400,
        "'return_previous' must be true or false");
    assertError(post("/txn", "{\"conditions\":[],\"if_then\":[{\"op\":\"drop\",\"key\":\"k\"}]}"), 400,
        "if_then[0]: unknown op 'drop'");
    assertError(post("/txn", "{\"conditions\":[],\"else_then\":{}}"), 400, "'else_then' must be a JSON array");
    assertError(post("/txn", "{\"conditions\":[],\"then\":[]}"), 400, "unknown field 'then'");
    assertError(post("/txn", "{\"conditions\":[],\"if_then\":[" + "{\"op\":\"delete\",\"key\":\"a\"},".repeat(2)
        + "{\"op\":\"delete\",\"key\":\"a\"}]}"), 413, "'if_then' has 3 entries; the limit is 2 (max_txn_ops)");
    assertError(post("/txn", "{\"conditions\":[" + "{\"key\":\"a\",\"op\":\"exists\"},".repeat(2)
        + "{\"key\":\"a\",\"op\":\"exists\"}]}"), 413, "'conditions' has 3 entries; the limit is 2 (max_txn_ops)");
    assertError(post("/txn", "{\"conditions\":[],\"else_then\":[" + "{\"op\":\"delete\",\"key\":\"a\"},".repeat(2)
        + "{\"op\":\"delete\",\"key\":\"a\"}]}"), 413, "'else_then' has 3 entries; the limit is 2 (max_txn_ops)");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"equal\",\"value\":\"" + "v".repeat(65) + "\"}]}"),
        413, "value is 65 bytes");
    assertNull(fake.lastCommand);
  }

  // ---------------------------------------------------------------- /getset

  @Test
  void getSetReturnsOldAndNewValue() throws Exception {
    HttpResponse<String> first = post("/getset", "{\"key\":\"g\",\"value\":\"1\"}");
    assertEquals(200, first.statusCode());
    assertEquals("{\"success\":true,\"key\":\"g\",\"old_value\":null,\"new_value\":\"1\"}", first.body());
    HttpResponse<String> second = post("/getset", "{\"key\":\"g\",\"value\":\"2\"}");
    assertEquals("{\"success\":true,\"key\":\"g\",\"old_value\":\"1\",\"new_value\":\"2\"}", second.body());
    assertEquals("2", fake.value("g"));
    assertEquals(new KvCommand.GetSet("g", "2"), fake.lastCommand);
  }

  @Test
  void getSetErrors() throws Exception {
    assertError(post("/getset", "{\"key\":\"g\"}"), 400, "missing field 'value'");
    assertError(post("/getset", "{\"key\":\"g\",\"value\":null}"), 400, "must be a JSON string");
    assertError(post("/getset", "{\"key\":\"\",\"value\":\"v\"}"), 400, "key must not be empty");
    assertError(post("/getset", "{\"key\":\"g\",\"value\":\"v\",\"ttl\":1}"), 400, "unknown field 'ttl'");
    assertError(post("/getset", "{\"key\":\"g\",\"value\":\"" + "v".repeat(65) + "\"}"), 413, "value is 65 bytes");
    assertError(post("/getset", "[]"), 400, "must be a JSON object");
  }

  // ---------------------------------------------------------------- /prefix

  @Test
  void prefixListsMatchesInKeyOrder() throws Exception {
    fake.put("user:2", "Bob");
    fake.put("user:1", "Alice");
    fake.put("user:10", "Zed");
    fake.put("config:theme", "dark");
    HttpResponse<String> r = get("/prefix?prefix=user:");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(
        "{\"success\":true,\"prefix\":\"user:\",\"count\":3,\"items\":[{\"key\":\"user:1\",\"value\":\"Alice\"},"
            + "{\"key\":\"user:10\",\"value\":\"Zed\"},{\"key\":\"user:2\",\"value\":\"Bob\"}],\"more\":false}",
        r.body());
    // Linearizable by default, with the configured maximums as the default limit and budget.
    assertEquals(new ReadQuery.Prefix("user:", null, 5, 64), fake.lastQuery);
    assertTrue(fake.lastLinearizable);
  }

  @Test
  void prefixLimitAndLocalConsistency() throws Exception {
    fake.put("a1", "1");
    fake.put("a2", "2");
    fake.put("a3", "3");
    HttpResponse<String> r = get("/prefix?prefix=a&limit=2&consistency=local");
    assertEquals("{\"success\":true,\"prefix\":\"a\",\"count\":2,\"items\":[{\"key\":\"a1\",\"value\":\"1\"},"
        + "{\"key\":\"a2\",\"value\":\"2\"}],\"more\":true,\"next_key\":\"a2\"}", r.body());
    assertFalse(fake.lastLinearizable);
    assertEquals("{\"success\":true,\"prefix\":\"a\",\"count\":0,\"items\":[],\"more\":true}",
        get("/prefix?prefix=a&limit=0").body());
    assertEquals("{\"success\":true,\"prefix\":\"zz\",\"count\":0,\"items\":[],\"more\":false}",
        get("/prefix?prefix=zz").body());
    // An empty prefix lists every key.
    assertEquals(3, JSON.readTree(get("/prefix?prefix=").body()).get("count").asInt());
  }

  @Test
  void prefixErrors() throws Exception {
    assertError(get("/prefix"), 400, "missing query parameter 'prefix'");
    assertError(get("/prefix?prefix=a&limit=-1"), 400, "limit must be from 0 to 5, got -1");
    assertError(get("/prefix?prefix=a&limit=ten"), 400, "limit must be a whole number");
    assertError(get("/prefix?prefix=a&limit=2.5"), 400, "limit must be a whole number");
    assertError(get("/prefix?prefix=a&limit=6"), 400, "limit must be from 0 to 5, got 6. Ask for more pages instead");
    assertError(get("/prefix?prefix=a&prefix=b"), 400, "given more than once");
    assertError(get("/prefix?prefix=a&consistency=eventual"), 400, "unknown consistency");
    assertError(get("/prefix?prefix=" + "p".repeat(17)), 413, "prefix is 17 bytes");
    assertError(get("/prefix?prefix=a&start_after=" + "p".repeat(17)), 413, "start_after is 17 bytes");
    assertError(get("/prefix?prefix=a&start_after="), 400, "start_after must not be empty");
    fake.readMode = FakeClientApi.ReadMode.NO_LEADER;
    assertError(get("/prefix?prefix=a"), 503, "consistency=local");
    fake.readMode = FakeClientApi.ReadMode.TIMEOUT;
    assertError(get("/prefix?prefix=a"), 504, "timed out");
  }

  @Test
  void prefixIsCutAtTheResponseByteBudgetAndContinuesAfterNextKey() throws Exception {
    // Each item is 2 key bytes and 20 value bytes: two fit in the 64-byte budget, a third not.
    for (int i = 1; i <= 5; i++) fake.put("p" + i, "v".repeat(20));
    fake.put("q1", "other prefix");
    JsonNode first = JSON.readTree(get("/prefix?prefix=p").body());
    assertEquals(2, first.get("count").asInt());
    assertTrue(first.get("more").asBoolean());
    assertEquals("p2", first.get("next_key").asText());
    JsonNode second = JSON.readTree(get("/prefix?prefix=p&start_after=p2").body());
    assertEquals("p3", second.get("items").get(0).get("key").asText());
    assertEquals("p4", second.get("next_key").asText());
    assertEquals(new ReadQuery.Prefix("p", "p2", 5, 64), fake.lastQuery);
    HttpResponse<String> last = get("/prefix?prefix=p&start_after=p4");
    assertEquals("{\"success\":true,\"prefix\":\"p\",\"count\":1,\"items\":[{\"key\":\"p5\",\"value\":\""
        + "v".repeat(20) + "\"}],\"more\":false}", last.body());
    // The item limit cuts too, and says so the same way.
    JsonNode limited = JSON.readTree(get("/prefix?prefix=p&limit=1&start_after=p1").body());
    assertEquals("p2", limited.get("next_key").asText());
  }

  @Test
  void emptyBatchWriteIsAnsweredWithoutAProposal() throws Exception {
    HttpResponse<String> r = post("/batch_write", "{\"operations\":[]}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"success\":true,\"message\":\"No operations to apply\"}", r.body());
    assertNull(fake.lastCommand);
  }

  @Test
  void txnListsHaveTheirOwnLimitApartFromBatches() throws Exception {
    // max_batch_ops is 3 and max_txn_ops 2: three operations pass in a batch, not in a txn list.
    String op = "{\"op\":\"set\",\"key\":\"a\",\"value\":\"1\"}";
    String three = op + "," + op + "," + op;
    assertEquals(200, post("/batch_write", "{\"operations\":[" + three + "]}").statusCode());
    fake.lastCommand = null;
    assertError(post("/txn", "{\"conditions\":[],\"if_then\":[" + three + "]}"), 413, "(max_txn_ops)");
    assertNull(fake.lastCommand);
    String cond = "{\"key\":\"a\",\"op\":\"exists\"}";
    HttpResponse<String> full = post("/txn", "{\"conditions\":[" + cond + "," + cond + "],\"if_then\":[" + op + "," + op
        + "],\"else_then\":[" + op + "," + op + "]}");
    assertEquals(200, full.statusCode(), full.body());
  }

  @Test
  void unknownQueryParametersAreRefusedWithTheAcceptedOnes() throws Exception {
    assertError(get("/get?key=a&consistancy=local"), 400,
        "unknown query parameter 'consistancy' (did you mean 'consistency'?): GET /get accepts key, consistency");
    assertNull(fake.lastQuery);
    assertError(get("/prefix?prefix=a&limt=2"), 400,
        "(did you mean 'limit'?): GET /prefix accepts prefix, limit, start_after, consistency");
    assertError(get("/prefix?prefix=a&startAfter=b"), 400, "did you mean 'start_after'?");
    HttpResponse<String> far = get("/get?key=a&color=blue");
    assertError(far, 400, "unknown query parameter 'color': GET /get accepts key, consistency");
    assertError(get("/health?verbose=1"), 400, "GET /health takes no query parameters");
    assertError(post("/set?key=a", "{\"key\":\"a\",\"value\":\"1\"}"), 400, "POST /set takes no query parameters");
    assertNull(fake.lastQuery);
    assertNull(fake.lastCommand);
  }

  @Test
  void textThatIsNotUnicodeIsRefusedNeverAltered() throws Exception {
    String lone = "\\ud800";
    assertError(post("/set", "{\"key\":\"a" + lone + "\",\"value\":\"v\"}"), 400, "lone UTF-16 surrogate");
    assertError(post("/set", "{\"key\":\"a\",\"value\":\"\\udc00x\"}"), 400, "field 'value' is not valid Unicode");
    assertError(post("/delete", "{\"key\":\"" + lone + "\"}"), 400, "lone UTF-16 surrogate");
    assertError(post("/getset", "{\"key\":\"g\",\"value\":\"" + lone + "\"}"), 400, "lone UTF-16 surrogate");
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"set\",\"key\":\"" + lone + "\",\"value\":\"v\"}]}"),
        400, "operations[0]: field 'key' is not valid Unicode");
    assertError(post("/txn", "{\"conditions\":[{\"key\":\"k\",\"op\":\"equal\",\"value\":\"" + lone + "\"}]}"),
        400, "conditions[0]: field 'value' is not valid Unicode");
    assertNull(fake.lastCommand);
    // In a query string: an encoded surrogate, a byte that is not UTF-8, a broken escape.
    assertError(get("/get?key=a%ED%A0%80"), 400, "not valid UTF-8");
    assertError(get("/prefix?prefix=%FF"), 400, "not valid UTF-8");
    assertError(get("/prefix?prefix=a&start_after=%C3"), 400, "not valid UTF-8");
    assertNull(fake.lastQuery);
    // A proper pair (an emoji) is Unicode, and stored as sent.
    HttpResponse<String> ok = post("/set", "{\"key\":\"e\\ud83d\\ude00\",\"value\":\"smile\"}");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("smile", fake.value("e\ud83d\ude00"));
    assertEquals("smile", JSON.readTree(get("/get?key=e%F0%9F%98%80").body()).get("value").asText());
  }

  @Test
  void eachRoutesMalformedBodyAnswerShowsThatRoutesExample() throws Exception {
    assertError(post("/set", "{bad"), 400, KvRequests.SET_EXAMPLE);
    assertError(post("/delete", "{bad"), 400, KvRequests.DELETE_EXAMPLE);
    assertError(post("/getset", "{bad"), 400, KvRequests.GETSET_EXAMPLE);
    assertError(post("/batch_write", "{bad"), 400, KvRequests.BATCH_EXAMPLE);
    assertError(post("/txn", "{bad"), 400, KvRequests.TXN_EXAMPLE);
    assertError(post("/join", "{bad"), 400, ClusterRoutes.JOIN_EXAMPLE);
    assertError(post("/leave", "{bad"), 400, ClusterRoutes.LEAVE_EXAMPLE);
    assertError(post("/purge_log", "{bad"), 400, ClusterRoutes.PURGE_EXAMPLE);
    HttpResponse<String> delete = post("/delete", "{bad");
    assertFalse(delete.body().contains("value"), "a delete takes no value: " + delete.body());
  }

  @Test
  void anOverloadedLeaderIs429WithRetryAfter() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.OVERLOADED;
    HttpResponse<String> r = post("/set", "{\"key\":\"a\",\"value\":\"1\"}");
    assertError(r, 429, "back off and retry");
    // 2500 ms, rounded up to whole seconds.
    assertEquals("3", r.headers().firstValue("Retry-After").orElse(""));
    assertError(post("/txn", CAS), 429, "overloaded");
  }

  // ---------------------------------------------------------------- shared answers

  @Test
  void newEndpointsShareMethodPathTypeAndOutcomeAnswers() throws Exception {
    assertError(get("/batch_write"), 405, "use POST");
    assertError(get("/txn"), 405, "use POST");
    assertError(get("/getset"), 405, "use POST");
    assertError(post("/prefix", "{}"), 405, "use GET");
    assertError(get("/prefixes?prefix=a"), 404, "GET /prefix?prefix=<prefix>");
    HttpResponse<String> form = client.send(
        HttpRequest.newBuilder(URI.create(base + "/batch_write"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("operations=1"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(form, 415, "application/json");
    assertError(post("/txn", "x".repeat(4097)), 413, "request body is larger");
    fake.writeMode = FakeClientApi.WriteMode.NOT_LEADER;
    assertError(post("/getset", "{\"key\":\"g\",\"value\":\"v\"}"), 421, "This node is not the leader. Current leader: 2");
    fake.writeMode = FakeClientApi.WriteMode.TIMEOUT;
    assertError(post("/txn", CAS), 504, "outcome is unknown");
    fake.writeMode = FakeClientApi.WriteMode.NO_LEADER;
    assertError(post("/batch_write", "{\"operations\":[{\"op\":\"delete\",\"key\":\"a\"}]}"), 503, "Current leader: unknown");
  }

  // ---------------------------------------------------------------- helpers

  private static void assertError(HttpResponse<String> r, int status, String fragment) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.path("error").isTextual(), r.body());
    assertTrue(body.get("error").asText().contains(fragment), "expected '" + fragment + "' in " + r.body());
  }

  private static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(15)).GET().build());
  }

  /** Sends again once if a pooled connection the server had just closed (after a 413) was picked. */
  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      if (!String.valueOf(e.getMessage()).contains("received no bytes")) throw e;
      return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(15))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build());
  }
}
