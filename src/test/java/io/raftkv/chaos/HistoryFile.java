package io.raftkv.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.check.KvModel;
import io.raftkv.check.Operation;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A checked history on disk, one operation per JSON line, so that a run's verdict can be
 * reproduced (or a better checker tried) without running the cluster again:
 * {@code -Dchaos.recheck=target/chaos/.../history.jsonl}.
 */
final class HistoryFile {
  private HistoryFile() {}

  static void write(Path file, List<Operation<KvModel.Op, KvModel.Result>> ops) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Operation<KvModel.Op, KvModel.Result> op : ops) {
        ObjectNode o = NodeHttp.JSON.createObjectNode();
        o.put("client", op.clientId());
        o.set("in", input(op.input()));
        if (!op.outcomeUnknown()) o.set("out", output(op.output()));
        o.put("call", op.callTime());
        if (!op.outcomeUnknown()) o.put("ret", op.returnTime());
        w.write(NodeHttp.JSON.writeValueAsString(o));
        w.newLine();
      }
    }
  }

  static List<Operation<KvModel.Op, KvModel.Result>> read(Path file) throws IOException {
    List<Operation<KvModel.Op, KvModel.Result>> ops = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        JsonNode o = NodeHttp.JSON.readTree(line);
        KvModel.Op in = input(o.get("in"));
        int client = o.get("client").asInt();
        long call = o.get("call").asLong();
        ops.add(o.has("ret")
            ? Operation.completed(client, in, output(o.get("out")), call, o.get("ret").asLong())
            : Operation.unknown(client, in, call));
      }
    }
    return ops;
  }

  private static ObjectNode input(KvModel.Op op) {
    ObjectNode o = NodeHttp.JSON.createObjectNode();
    if (op instanceof KvModel.Get g) {
      o.put("op", "get").put("key", g.key());
    } else if (op instanceof KvModel.Set s) {
      o.put("op", "set").put("key", s.key()).put("value", s.value());
    } else if (op instanceof KvModel.Delete d) {
      o.put("op", "delete").put("key", d.key());
    } else if (op instanceof KvModel.Cas c) {
      o.put("op", "cas").put("key", c.key()).put("expected", c.expected()).put("value", c.newValue());
    } else if (op instanceof KvModel.Batch b) {
      o.put("op", "batch");
      ArrayNode writes = o.putArray("writes");
      b.writes().forEach(w -> writes.add(input(w)));
    }
    return o;
  }

  private static KvModel.Op input(JsonNode o) {
    String key = o.path("key").asText();
    switch (o.get("op").asText()) {
      case "get":
        return new KvModel.Get(key);
      case "set":
        return new KvModel.Set(key, o.get("value").asText());
      case "delete":
        return new KvModel.Delete(key);
      case "cas":
        return new KvModel.Cas(key, o.get("expected").isNull() ? null : o.get("expected").asText(),
            o.get("value").asText());
      case "batch":
        List<KvModel.Op> writes = new ArrayList<>();
        o.get("writes").forEach(w -> writes.add(input(w)));
        return new KvModel.Batch(writes);
      default:
        throw new IllegalArgumentException("unknown operation " + o);
    }
  }

  private static JsonNode output(KvModel.Result r) {
    ObjectNode o = NodeHttp.JSON.createObjectNode();
    if (r instanceof KvModel.Value v) {
      o.put("value", v.value());
    } else if (r instanceof KvModel.Swapped s) {
      o.put("swapped", s.swapped());
    } else if (r instanceof KvModel.Previous p) {
      o.put("previous", p.value());
    }
    return o;
  }

  private static KvModel.Result output(JsonNode o) {
    if (o.has("value")) return new KvModel.Value(o.get("value").isNull() ? null : o.get("value").asText());
    if (o.has("swapped")) return new KvModel.Swapped(o.get("swapped").asBoolean());
    if (o.has("previous")) return new KvModel.Previous(o.get("previous").isNull() ? null : o.get("previous").asText());
    return KvModel.OK;
  }
}
