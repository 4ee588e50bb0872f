package io.raftkv.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftkv.api.ClusterMember;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Membership and snapshot endpoints over real HTTP against the fake node. */
class HttpClusterRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FakeClientApi fake = new FakeClientApi();
  private static ActorTestKit testKit;
  private static String base;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("HttpClusterRoutesTest");
    ServerBinding binding = HttpApi.bind(testKit.system(), "127.0.0.1", 0,
            new HttpApi(fake, new HttpLimits(4096, 64, 256)).route())
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

  @Test
  void membersListsEveryMemberWithItsRole() throws Exception {
    HttpResponse<String> r = get("/members");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.get("success").asBoolean());
    JsonNode one = body.get("members").get("1");
    assertEquals(1, one.get("node_id").asInt());
    assertEquals("voter", one.get("role").asText());
    assertTrue(one.get("endpoint").asText().contains(":"));
  }

  @Test
  void joinPassesTheMemberAndAnswersTheSeedMessage() throws Exception {
    HttpResponse<String> r = post("/join", "{\"node_id\":4,\"endpoint\":\"127.0.0.1:7004\",\"http_addr\":\"127.0.0.1:8004\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"success\":true,\"message\":\"Node 4 joined the cluster successfully\"}", r.body());
    assertEquals(new ClusterMember(4, "127.0.0.1:7004", "127.0.0.1:8004"), fake.lastJoin);
  }

  @Test
  void joinOfANodeOfAnotherClusterIsAConflict() throws Exception {
    fake.joinOutcome = new io.raftkv.api.AdminOutcome.Conflict("node 4 at 127.0.0.1:7004 already belongs to another cluster");
    HttpResponse<String> r = post("/join", "{\"node_id\":4,\"endpoint\":\"127.0.0.1:7004\"}");
    assertEquals(409, r.statusCode(), r.body());
    assertEquals("{\"error\":\"node 4 at 127.0.0.1:7004 already belongs to another cluster\"}", r.body());
  }

  @Test
  void joinRejectsBadInput() throws Exception {
    assertEquals(400, post("/join", "{\"node_id\":4,\"endpoint\":\"nowhere\"}").statusCode());
    assertEquals(400, post("/join", "{\"node_id\":4,\"endpoint\":\"h:0\"}").statusCode());
    assertEquals(400, post("/join", "{\"node_id\":4,\"endpoint\":\"h:70000\"}").statusCode());
    assertEquals(400, post("/join", "{\"node_id\":-4,\"endpoint\":\"h:7004\"}").statusCode());
    assertEquals(400, post("/join", "{\"node_id\":\"4\",\"endpoint\":\"h:7004\"}").statusCode());
    assertEquals(400, post("/join", "{\"endpoint\":\"h:7004\"}").statusCode());
    assertEquals(400, post("/join", "{\"node_id\":4,\"endpoint\":\"h:7004\",\"extra\":1}").statusCode());
    assertEquals(405, get("/join").statusCode());
  }

  @Test
  void leaveAnswersTheSeedMessage() throws Exception {
    HttpResponse<String> r = post("/leave", "{\"node_id\":3}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"success\":true,\"message\":\"Node 3 left the cluster successfully\"}", r.body());
    assertEquals(3, fake.lastLeave);
    assertFalse(fake.lastLeaveForce, "force is off unless asked for");
    assertEquals(400, post("/leave", "{}").statusCode());
  }

  @Test
  void leaveCarriesForce() throws Exception {
    assertEquals(200, post("/leave", "{\"node_id\":2,\"force\":true}").statusCode());
    assertEquals(2, fake.lastLeave);
    assertTrue(fake.lastLeaveForce);
    HttpResponse<String> bad = post("/leave", "{\"node_id\":2,\"force\":\"yes\"}");
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("'force' must be true or false"), bad.body());
  }

  @Test
  void snapshotTriggerStatusAndPurge() throws Exception {
    JsonNode none = JSON.readTree(get("/snapshot_status").body());
    assertEquals(false, none.get("snapshot_exists").asBoolean());
    assertTrue(none.get("index").isNull());
    assertEquals(400, post("/purge_log", "{\"upto_index\":3}").statusCode(), "nothing covers it yet");

    HttpResponse<String> t = post("/trigger_snapshot", "");
    assertEquals(200, t.statusCode(), t.body());
    JsonNode taken = JSON.readTree(t.body());
    assertTrue(taken.get("success").asBoolean());
    long index = taken.get("index").asLong();
    JsonNode status = JSON.readTree(get("/snapshot_status").body());
    assertEquals(true, status.get("snapshot_exists").asBoolean());
    assertEquals(index, status.get("index").asLong());

    HttpResponse<String> purge = post("/purge_log", "{\"upto_index\":" + index + "}");
    assertEquals(200, purge.statusCode(), purge.body());
    assertEquals(400, post("/purge_log", "{\"upto_index\":0}").statusCode());
    assertEquals(400, post("/purge_log", "{\"upto_index\":\"7\"}").statusCode());
  }

  @Test
  void transferLeaderToANamedNode() throws Exception {
    HttpResponse<String> r = post("/transfer_leader", "{\"node_id\":2}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"success\":true,\"leader_id\":2,\"message\":\"Leadership transferred to node 2\"}", r.body());
    assertEquals(2, fake.lastTransfer);
  }

  @Test
  void transferLeaderWithoutATargetLetsTheLeaderPick() throws Exception {
    assertEquals(200, post("/transfer_leader", "{}").statusCode());
    assertEquals(0, fake.lastTransfer);
    fake.reset();
    HttpResponse<String> empty = post("/transfer_leader", "");
    assertEquals(200, empty.statusCode(), empty.body());
    assertEquals(0, fake.lastTransfer);
    fake.reset();
    HttpResponse<String> noBody = client.send(
        HttpRequest.newBuilder(URI.create(base + "/transfer_leader")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertEquals(200, noBody.statusCode(), noBody.body());
    assertEquals(2, JSON.readTree(noBody.body()).get("leader_id").asLong());
    assertEquals(0, fake.lastTransfer);
  }

  @Test
  void transferLeaderRejectsBadBodies() throws Exception {
    for (String bad : new String[] {"{\"node_id\":0}", "{\"node_id\":-1}", "{\"node_id\":\"2\"}", "{\"node_id\":1.5}",
        "{\"node_id\":null}", "{\"node_id\":2,\"force\":true}", "[2]", "2", "{\"node_id\":"}) {
      HttpResponse<String> r = post("/transfer_leader", bad);
      assertEquals(400, r.statusCode(), bad + " -> " + r.body());
      assertTrue(JSON.readTree(r.body()).has("error"), r.body());
    }
    assertEquals(-1, fake.lastTransfer, "no bad body reaches the node");
    assertEquals(405, get("/transfer_leader").statusCode());
  }

  @Test
  void transferLeaderOutcomesMapToStatusCodes() throws Exception {
    fake.transferOutcome = new io.raftkv.api.AdminOutcome.Invalid("node 9 is not a voter of this cluster; voters: [1, 2]");
    HttpResponse<String> unknown = post("/transfer_leader", "{\"node_id\":9}");
    assertEquals(400, unknown.statusCode());
    assertEquals("{\"error\":\"node 9 is not a voter of this cluster; voters: [1, 2]\"}", unknown.body());
    fake.transferOutcome = new io.raftkv.api.AdminOutcome.Unavailable("no leader");
    assertEquals(503, post("/transfer_leader", "{}").statusCode());
    fake.transferOutcome = new io.raftkv.api.AdminOutcome.Timeout("leadership did not move to node 2 in time");
    assertEquals(504, post("/transfer_leader", "{\"node_id\":2}").statusCode());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15)).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(15))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
