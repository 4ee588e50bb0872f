package io.raftkv.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * JSON over HTTP to one node's client port, as any client would talk to it, with each failure
 * sorted by what it says about the request: never sent, or sent with an unknown fate.
 */
final class NodeHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  /** An answer: its status and parsed JSON body (an empty object when the body was not JSON). */
  record Answer(int status, JsonNode body) {
    boolean ok() {
      return status == 200;
    }
  }

  /** The request never left this process: the node cannot have acted on it. */
  static final class NotSent extends IOException {
    NotSent(IOException cause) {
      super(cause.toString(), cause);
    }
  }

  private final HttpClient client;

  NodeHttp(Duration connectTimeout) {
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .build();
  }

  Answer get(int port, String pathAndQuery, Duration timeout) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(port, pathAndQuery)).timeout(timeout).GET().build());
  }

  Answer post(int port, String path, Object body, Duration timeout) throws IOException, InterruptedException {
    String json = JSON.writeValueAsString(body);
    return send(HttpRequest.newBuilder(uri(port, path))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build());
  }

  private Answer send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (HttpConnectTimeoutException | ConnectException notConnected) {
      throw new NotSent(notConnected);
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException notJson) {
      body = JSON.createObjectNode().put("error", response.body());
    }
    if (body == null || body.isMissingNode()) body = JSON.createObjectNode();
    return new Answer(response.statusCode(), body);
  }

  private static URI uri(int port, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }
}
