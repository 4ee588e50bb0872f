package io.raftkv.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of random and hostile requests against a real node, over raw sockets so that nothing
 * a client library would refuse to send is left out: malformed JSON, wrong types, huge numbers,
 * deep nesting, missing and unknown fields, oversized bodies, binary garbage, wrong methods,
 * unknown routes, bad query strings, invalid UTF-8, lone surrogates and wrong content types.
 * Every answer must be a 4xx with a JSON {@code {"error": ...}}, the node must keep serving, and
 * the data written before must be exactly as it was. {@code -Dabuse.seed=N} replays one run.
 */
class HttpAbuseTest {
  private static final int REQUESTS = 3000;
  private static final int CLIENTS = 3;
  private static final int MAX_BODY = 64 * 1024;

  @TempDir Path dir;

  @Test
  void hostileRequestsGetJsonFourHundredsAndChangeNothing() throws Exception {
    long seed = Long.getLong("abuse.seed", System.nanoTime());
    Map<String, Object> extra = new HashMap<>();
    extra.put("max_body_bytes", MAX_BODY);
    extra.put("max_key_bytes", 256);
    extra.put("max_value_bytes", 32 * 1024);
    extra.put("max_response_bytes", 64 * 1024);
    extra.putAll(ClusterTest.FAST);
    // Stopping waits this long at most for idle keep-alive connections to drain.
    extra.put("shutdown_timeout_ms", 2000);
    try (TestCluster c = new TestCluster(dir, 1, extra)) {
      c.startAll();
      int node = c.awaitLeader();
      TreeMap<String, String> before = new TreeMap<>();
      for (int i = 0; i < 20; i++) {
        String key = "keep:" + i;
        String value = "value-" + i + "-\u00e9\u4e2d\ud83d\ude00";
        c.setEventually(node, key, value);
        before.put(key, value);
      }
      int port = Integer.parseInt(c.base(node).substring(c.base(node).lastIndexOf(':') + 1));

      // A few clients at once, each with its own seeded stream of requests, so a run replays.
      Map<Integer, Integer> statuses = new ConcurrentSkipListMap<>();
      Map<String, Integer> kinds = new ConcurrentSkipListMap<>();
      long started = System.nanoTime();
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
          int client = t;
          done.add(clients.submit(() -> {
            Random random = new Random(seed * 31 + client);
            for (int i = 0; i < REQUESTS / CLIENTS; i++) {
              Hostile h = hostile(random);
              kinds.merge(h.kind, 1, Integer::sum);
              Answer a = send(port, h.bytes);
              String what = "seed " + seed + ", client " + client + ", request " + i + " (" + h.kind + "): "
                  + h.describe() + " -> " + a;
              assertTrue(a.status >= 400 && a.status < 500, what);
              assertEquals("application/json", a.contentType, what);
              JsonNode body = TestCluster.JSON.readTree(a.body);
              assertTrue(body.path("error").isTextual() && !body.get("error").asText().isBlank(), what);
              assertTrue(!body.get("error").asText().contains("Exception"), what);
              statuses.merge(a.status, 1, Integer::sum);
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          try {
            f.get(120, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError ae) throw ae;
            throw e;
          }
        }
      } finally {
        clients.shutdownNow();
      }
      long ms = (System.nanoTime() - started) / 1_000_000;
      System.out.println("HttpAbuseTest seed " + seed + ": " + REQUESTS + " requests in " + ms + " ms, statuses "
          + statuses + ", kinds " + kinds);

      // The node still serves, and holds exactly what was written before, nothing more.
      assertEquals(200, c.get(node, "/health").status());
      for (Map.Entry<String, String> e : before.entrySet()) assertEquals(e.getValue(), c.read(node, e.getKey()));
      TestCluster.Response all = c.get(node, "/prefix?prefix=");
      TreeMap<String, String> after = new TreeMap<>();
      for (JsonNode item : all.json().get("items")) after.put(item.get("key").asText(), item.get("value").asText());
      assertEquals(before, after, "seed " + seed);
      c.setEventually(node, "after-abuse", "ok");
      assertEquals("ok", c.read(node, "after-abuse"));
    }
  }

  // ---------------------------------------------------------------- hostile requests

  private record Hostile(String kind, byte[] bytes) {
    String describe() {
      String s = new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.ISO_8859_1);
      return s.replace("\r\n", "\\r\\n") + (bytes.length > 200 ? "... (" + bytes.length + " bytes)" : "");
    }
  }

  private static final String[] POSTS = {"/set", "/delete", "/batch_write", "/txn", "/getset", "/join", "/leave", "/purge_log"};
  private static final String[] GETS = {"/get", "/prefix"};
  private static final String[] NO_PARAM_ROUTES = {
    "/health", "/metrics", "/members", "/snapshot_status", "/trigger_snapshot"
  };

  private static Hostile hostile(Random r) {
    switch (r.nextInt(14)) {
      case 0: return post("malformed json", pick(r, POSTS), json(), malformedJson(r));
      case 1: return post("wrong types", pick(r, POSTS), json(), wrongTypes(r));
      case 2: return post("huge numbers", pick(r, POSTS), json(), hugeNumbers(r));
      case 3: return post("deep nesting", pick(r, POSTS), json(), deepNesting(r));
      case 4: return post("missing fields", pick(r, POSTS), json(), missingFields(r));
      case 5: return post("oversized body", pick(r, POSTS), json(), oversized(r));
      case 6: return post("binary body", pick(r, POSTS), json(), randomBytes(r, 1 + r.nextInt(2000)));
      case 7: return new Hostile("binary request", randomBytes(r, 1 + r.nextInt(500)));
      case 8: return wrongMethod(r);
      case 9: return raw("unknown route", "GET", unknownRoute(r), null, null);
      case 10: return raw("bad query", r.nextBoolean() ? "GET" : "POST", badQuery(r), json(), bytes("{}"));
      case 11: return post("invalid utf-8", pick(r, POSTS), json(), invalidUtf8(r));
      case 12: return post("lone surrogate", pick(r, POSTS), json(), loneSurrogate(r));
      default: return post("wrong content type", pick(r, POSTS), pick(r, new String[] {
          "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
          "image/png", "text/json"}), bytes("{\"key\":\"k\",\"value\":\"v\"}"));
    }
  }

  private static String json() {
    return "application/json";
  }

  private static byte[] malformedJson(Random r) {
    String[] valid = {
      "{\"key\":\"abuse\",\"value\":\"v\"}",
      "{\"operations\":[{\"op\":\"set\",\"key\":\"abuse\",\"value\":\"v\"}]}",
      "{\"conditions\":[],\"if_then\":[{\"op\":\"set\",\"key\":\"abuse\",\"value\":\"v\"}]}",
      "{\"node_id\":9,\"endpoint\":\"127.0.0.1:1\"}"
    };
    String[] broken = {
      "{", "}", "[", "{\"key\":", "{'key':'abuse','value':'v'}", "{\"key\":\"abuse\",}", "{key:abuse}", "nul",
      "{\"key\":\"abuse\" \"value\":\"v\"}", "{\"key\":\"abuse\",\"value\":\"v\"}}", "{\"key\":\"abuse\",\"key\":\"abuse\",\"value\":\"v\"}",
      "{\"key\":\"abuse\",\"value\":\"v\"} trailing", "\"just a string\"", "42", "true", "[]", "null", ""
    };
    if (r.nextBoolean()) return bytes(pick(r, broken));
    String v = pick(r, valid);
    // Cut before the closing brace: never valid JSON.
    return bytes(v.substring(0, r.nextInt(v.length() - 1)));
  }

  private static byte[] wrongTypes(Random r) {
    // No "[]": an empty list is a valid /batch_write (nothing to apply) and a valid /txn condition list.
    String[] odd = {"1", "-1", "1.5", "true", "false", "null", "[[]]", "[\"a\"]", "{}", "{\"a\":1}", "\"\""};
    String x = pick(r, odd);
    String[] bodies = {
      "{\"key\":" + x + ",\"value\":\"v\"}",
      "{\"key\":\"abuse\",\"value\":" + x + "}",
      "{\"operations\":" + x + "}",
      "{\"operations\":[" + x + "]}",
      "{\"operations\":[{\"op\":" + x + ",\"key\":\"abuse\",\"value\":\"v\"}]}",
      "{\"conditions\":" + x + "}",
      "{\"conditions\":[" + x + "]}",
      "{\"conditions\":[],\"if_then\":" + x + ",\"return_previous\":\"yes\"}",
      "{\"node_id\":" + x + ",\"endpoint\":\"127.0.0.1:1\"}",
      "{\"upto_index\":" + x + "}"
    };
    return bytes(pick(r, bodies).replace("\"\"", "\"\",\"extra\":0"));
  }

  private static byte[] hugeNumbers(Random r) {
    String[] numbers = {
      "1e999999", "-1e999999", "99999999999999999999999999999999", "1" + "0".repeat(900), "9223372036854775808",
      "-9223372036854775809", "0.0000000000000000000001", "1E+2147483648", "-0", "NaN", "Infinity"
    };
    String n = pick(r, numbers);
    String[] bodies = {
      "{\"node_id\":" + n + "}",
      "{\"node_id\":" + n + ",\"endpoint\":\"127.0.0.1:" + n + "\"}",
      "{\"upto_index\":" + n + "}",
      "{\"key\":" + n + ",\"value\":" + n + "}",
      "{\"operations\":[" + n + "]}"
    };
    return bytes(pick(r, bodies));
  }

  private static byte[] deepNesting(Random r) {
    int depth = 1000 + r.nextInt(20_000);
    boolean arrays = r.nextBoolean();
    StringBuilder b = new StringBuilder("{\"key\":");
    for (int i = 0; i < depth; i++) b.append(arrays ? "[" : "{\"a\":");
    b.append("1");
    for (int i = 0; i < depth; i++) b.append(arrays ? "]" : "}");
    b.append(",\"value\":\"v\"}");
    return bytes(b.toString());
  }

  private static byte[] missingFields(Random r) {
    String[] bodies = {
      "{}", "{\"value\":\"v\"}", "{\"op\":\"set\"}", "{\"operations\":[{}]}", "{\"operations\":[{\"op\":\"set\",\"key\":\"abuse\"}]}",
      "{\"if_then\":[]}", "{\"conditions\":[{\"op\":\"equal\",\"key\":\"abuse\"}]}", "{\"endpoint\":\"127.0.0.1:1\"}",
      "{\"key\":\"abuse\",\"value\":\"v\",\"unknown\":1,\"node_id\":\"x\"}"
    };
    return bytes(pick(r, bodies));
  }

  private static byte[] oversized(Random r) {
    int size = MAX_BODY + 1 + r.nextInt(3 * MAX_BODY);
    return bytes("{\"key\":\"abuse\",\"value\":\"" + "x".repeat(size) + "\"}");
  }

  private static byte[] invalidUtf8(Random r) {
    byte[][] bad = {
      {(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xe2, (byte) 0x28, (byte) 0xa1}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
      {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0x80}
    };
    byte[] b = bad[r.nextInt(bad.length)];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(bytes(r.nextBoolean() ? "{\"key\":\"abuse" : "{\"key\":\"abuse\",\"value\":\"v"));
    out.writeBytes(b);
    out.writeBytes(bytes("\",\"value\":\"v\"}"));
    return out.toByteArray();
  }

  private static byte[] loneSurrogate(Random r) {
    String s = pick(r, new String[] {"\\ud800", "\\udfff", "a\\udc00b", "\\ud83d", "\\ude00\\ud83d"});
    String[] bodies = {
      "{\"key\":\"" + s + "\",\"value\":\"v\"}",
      "{\"key\":\"abuse\",\"value\":\"" + s + "\"}",
      "{\"operations\":[{\"op\":\"set\",\"key\":\"" + s + "\",\"value\":\"v\"}]}",
      "{\"conditions\":[{\"key\":\"" + s + "\",\"op\":\"exists\"}],\"if_then\":[{\"op\":\"set\",\"key\":\"abuse\",\"value\":\"v\"}]}",
      "{\"" + s + "\":1}"
    };
    return bytes(pick(r, bodies));
  }

  private static Hostile wrongMethod(Random r) {
    String method = pick(r, new String[] {"PUT", "DELETE", "PATCH", "OPTIONS", "GET", "POST"});
    String path;
    if (method.equals("GET")) {
      path = pick(r, POSTS);
    } else if (method.equals("POST")) {
      path = pick(r, new String[] {"/get?key=abuse", "/prefix?prefix=keep", "/health", "/metrics", "/members", "/snapshot_status"});
    } else {
      path = pick(r, new String[] {"/set", "/get?key=abuse", "/prefix?prefix=", "/health", "/txn"});
    }
    return raw("wrong method", method, path, json(), bytes("{\"key\":\"abuse\",\"value\":\"v\"}"));
  }

  private static String unknownRoute(Random r) {
    String[] routes = {
      "/", "/foo", "/get/extra", "/GET?key=a", "/set/", "/api/v1/get?key=a", "/.env", "/%2e%2e/%2e%2e/etc/passwd",
      "/prefixes?prefix=a", "/get%00", "/" + "a".repeat(1 + r.nextInt(1000))
    };
    return pick(r, routes);
  }

  private static String badQuery(Random r) {
    String[] get = {
      "/get", "/get?key=", "/get?key=a&key=b", "/get?key=a&consistancy=local", "/get?key=a&consistency=eventual",
      "/get?key=%zz", "/get?key=%", "/get?key=a%ED%A0%80", "/get?key=%FF%FE", "/get?key=%C3", "/get?kee=a",
      "/prefix", "/prefix?prefix=a&limit=abc", "/prefix?prefix=a&limit=-5", "/prefix?prefix=a&limit=99999999999999999999",
      "/prefix?prefix=a&limit=1.5", "/prefix?prefix=a&start_after=", "/prefix?prefix=%ED%B0%80", "/prefix?prefix=a&limt=2",
      "/prefix?prefix=a&start_after=%E0%80%80", "/get?key=" + "k".repeat(300), "/get?key=a\u0001", "/get?key=a b",
      "/get?key=\u00e9", "/get?key=a&&&&consistency=local&x", "/health?x=1", "/metrics?verbose", "/members?role=voter",
      "/trigger_snapshot?now=1", "/snapshot_status?x", "/get?key=" + "%41".repeat(2000)
    };
    return pick(r, get);
  }

  // ---------------------------------------------------------------- building and sending

  private static Hostile post(String kind, String path, String contentType, byte[] body) {
    return raw(kind, "POST", path, contentType, body);
  }

  private static Hostile raw(String kind, String method, String target, String contentType, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1\r\nConnection: close\r\n");
    if (body != null) {
      if (contentType != null) head.append("Content-Type: ").append(contentType).append("\r\n");
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    // The request line may carry characters outside ASCII on purpose: sent as their UTF-8 bytes.
    out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
    if (body != null) out.writeBytes(body);
    return new Hostile(kind, out.toByteArray());
  }

  private record Answer(int status, String contentType, String body) {}

  /** Sends one request on its own connection and reads the answer until the server closes it. */
  private static Answer send(int port, byte[] request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
        s.shutdownOutput();
      } catch (IOException e) {
        // The server may answer (413) and close before an oversized body is fully sent.
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) > 0; ) got.write(buf, 0, n);
      } catch (IOException e) {
        // A reset after the answer was read is fine; an empty answer fails below.
      }
      return parse(got.toByteArray());
    }
  }

  private static Answer parse(byte[] response) {
    String text = new String(response, StandardCharsets.UTF_8);
    int headEnd = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) return new Answer(-1, "", text);
    int status = Integer.parseInt(text.substring(9, 12));
    String contentType = "";
    String contentLength = null;
    for (String line : text.substring(0, headEnd).split("\r\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-type:")) contentType = line.substring(13).trim();
      if (lower.startsWith("content-length:")) contentLength = line.substring(15).trim();
    }
    String body = text.substring(headEnd + 4);
    if (contentLength != null) {
      byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
      int n = Math.min(bodyBytes.length, Integer.parseInt(contentLength));
      body = new String(bodyBytes, 0, n, StandardCharsets.UTF_8);
    }
    return new Answer(status, contentType, body);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static String pick(Random r, String[] options) {
    return options[r.nextInt(options.length)];
  }
}
