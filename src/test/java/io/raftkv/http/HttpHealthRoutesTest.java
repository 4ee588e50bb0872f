package io.raftkv.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.api.NodeHealth;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /livez, /readyz and the alarm parts of /health and /metrics, and the 507 of a write refused for space. */
class HttpHealthRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FakeClientApi fake = new FakeClientApi();
  private static final NodeHealth FULL = new NodeHealth(
      List.of("NOSPACE"), List.of("alarm NOSPACE: the data directory uses 300 bytes, more than quota_backend_bytes (200)"),
      300, 200);
  private static ActorTestKit testKit;
  private static String base;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("HttpHealthRoutesTest");
    ServerBinding binding = HttpApi.bind(testKit.system(), "127.0.0.1", 0,
            new HttpApi(fake, new HttpLimits(256, 16, 64)).route())
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  @BeforeEach
  void reset() {
    fake.reset();
  }

  @Test
  void livezAnswersWhileTheProcessServes() throws Exception {
    fake.health = FULL;
    HttpResponse<String> r = get("/livez");
    assertEquals(200, r.statusCode());
    assertEquals("{\"live\":true}", r.body());
  }

  @Test
  void readyzOfAReadyNode() throws Exception {
    HttpResponse<String> r = get("/readyz");
    assertEquals(200, r.statusCode());
    assertEquals("{\"ready\":true}", r.body());
  }

  @Test
  void readyzOfANodeThatIsNotReadyListsEveryReason() throws Exception {
    fake.health = new NodeHealth(List.of(), List.of("no leader is known", "applied index 1 trails"), 10, 0);
    HttpResponse<String> r = get("/readyz");
    assertEquals(503, r.statusCode());
    assertEquals("{\"ready\":false,\"reasons\":[\"no leader is known\",\"applied index 1 trails\"]}", r.body());
  }

  @Test
  void healthSaysDegradedAndListsTheAlarmsWhileNotReady() throws Exception {
    fake.health = FULL;
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode(), "the node is up; /readyz is the probe that fails");
    assertEquals(
        "{\"status\":\"degraded\",\"node_id\":1,\"is_leader\":true,\"current_leader\":1,"
            + "\"current_term\":3,\"state\":\"Leader\",\"alarms\":[\"NOSPACE\"]}",
        r.body());
  }

  @Test
  void metricsShowDiskUsageAndQuota() throws Exception {
    fake.health = FULL;
    JsonNode m = JSON.readTree(get("/metrics").body());
    assertEquals(300, m.get("disk_usage_bytes").asLong());
    assertEquals(200, m.get("quota_backend_bytes").asLong());
  }

  @Test
  void aWriteRefusedForSpaceIs507WithWhatToDo() throws Exception {
    fake.writeMode = FakeClientApi.WriteMode.NO_SPACE;
    HttpResponse<String> r = post("/set", "{\"key\":\"k\",\"value\":\"v\"}");
    assertEquals(507, r.statusCode(), r.body());
    String error = JSON.readTree(r.body()).get("error").asText();
    assertTrue(error.startsWith("The write was not applied: the NOSPACE alarm is raised"), error);
    assertTrue(r.headers().firstValue("Retry-After").isEmpty(), "retrying soon will not help");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
