package io.raftkv.http;

import static org.apache.pekko.http.javadsl.server.Directives.onComplete;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftkv.api.ClientApi;
import io.raftkv.api.ReadOutcome;
import io.raftkv.api.ReadQuery;
import io.raftkv.api.WriteOutcome;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvPair;
import io.raftkv.kv.KvResult;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The key-value endpoints: each parses its request through {@link KvRequests}, calls the node,
 * and renders the success shape; every failure goes through {@link Outcomes}.
 */
final class KvRoutes {
  private final ClientApi api;
  private final KvRequests requests;
  private final Responses responses;
  private final Outcomes outcomes;
  private final ErrorMapping errors;

  KvRoutes(ClientApi api, KvRequests requests, Responses responses, Outcomes outcomes, ErrorMapping errors) {
    this.api = api;
    this.requests = requests;
    this.responses = responses;
    this.outcomes = outcomes;
    this.errors = errors;
  }

  /** The query parameters GET /get accepts. */
  static final List<String> GET_PARAMS = List.of("key", "consistency");
  /** The query parameters GET /prefix accepts. */
  static final List<String> PREFIX_PARAMS = List.of("prefix", "limit", "start_after", "consistency");

  Route get(QueryParams params) {
    String key;
    boolean linearizable;
    try {
      key = requests.getKey(params.get("key"));
      linearizable = Fields.linearizable(params.get("consistency"));
    } catch (ClientError e) {
      return responses.error(e);
    }
    return read(new ReadQuery.Get(key), linearizable, outcome -> {
      ObjectNode body = responses.object();
      body.put("key", key);
      body.put("value", ((ReadOutcome.Value) outcome).value());
      return body;
    });
  }

  Route set(ObjectNode body) {
    KvCommand.Set command;
    try {
      command = requests.set(body);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return write(command, result -> message("Key '" + command.key() + "' set successfully"));
  }

  Route delete(ObjectNode body) {
    KvCommand.Delete command;
    try {
      command = requests.delete(body);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return write(command, result -> message("Key '" + command.key() + "' deleted successfully"));
  }

  Route batchWrite(ObjectNode body) {
    KvCommand.Batch command;
    try {
      command = requests.batch(body);
    } catch (ClientError e) {
      return responses.error(e);
    }
    // Nothing to write: answered here, as the rockraft example answers it, with no log entry.
    if (command == null) return responses.ok(message("No operations to apply"));
    return write(command, result -> message(
        "Batch write successful: " + ((KvResult.BatchApplied) result).opsApplied() + " operations applied"));
  }

  Route txn(ObjectNode body) {
    KvCommand.Txn command;
    try {
      command = requests.txn(body);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return write(command, result -> {
      KvResult.TxnApplied t = (KvResult.TxnApplied) result;
      ObjectNode out = responses.object();
      out.put("success", true);
      out.put("branch", t.branch());
      if (t.previousValues() != null) {
        ArrayNode previous = out.putArray("prev_values");
        for (String v : t.previousValues()) previous.add(v);
      }
      return out;
    });
  }

  Route getSet(ObjectNode body) {
    KvCommand.GetSet command;
    try {
      command = requests.getSet(body);
    } catch (ClientError e) {
      return responses.error(e);
    }
    return write(command, result -> {
      ObjectNode out = responses.object();
      out.put("success", true);
      out.put("key", command.key());
      out.put("old_value", ((KvResult.GetSetApplied) result).oldValue());
      out.put("new_value", command.value());
      return out;
    });
  }

  /**
   * GET /prefix. The answer stops at {@code limit} items or max_response_bytes of keys and values;
   * a cut answer says {@code "more": true} and the {@code next_key} to pass as {@code
   * start_after} for the rest.
   */
  Route prefix(QueryParams params) {
    ReadQuery.Prefix query;
    boolean linearizable;
    try {
      query = requests.prefix(params.get("prefix"), params.get("limit"), params.get("start_after"));
      linearizable = Fields.linearizable(params.get("consistency"));
    } catch (ClientError e) {
      return responses.error(e);
    }
    return read(query, linearizable, outcome -> {
      ReadOutcome.Items items = (ReadOutcome.Items) outcome;
      ObjectNode out = responses.object();
      out.put("success", true);
      out.put("prefix", query.prefix());
      out.put("count", items.items().size());
      ArrayNode array = out.putArray("items");
      for (KvPair p : items.items()) {
        ObjectNode item = array.addObject();
        item.put("key", p.key());
        item.put("value", p.value());
      }
      out.put("more", items.more());
      if (items.nextKey() != null) out.put("next_key", items.nextKey());
      return out;
    });
  }

  // ---------------------------------------------------------------- plumbing

  private ObjectNode message(String text) {
    ObjectNode body = responses.object();
    body.put("success", true);
    body.put("message", text);
    return body;
  }

  /**
   * Runs a read; {@code success} renders the query's own outcome type and may throw on an
   * unexpected one, which becomes a 500.
   */
  private Route read(ReadQuery query, boolean linearizable, Function<ReadOutcome, ObjectNode> success) {
    return onComplete(
        ErrorMapping.call(() -> api.read(query, linearizable)),
        done -> {
          if (done.isFailure()) return errors.internalError(done.failed().get());
          ReadOutcome outcome = done.get();
          if (outcome instanceof ReadOutcome.NoLeader || outcome instanceof ReadOutcome.Timeout) {
            return outcomes.readFailure(outcome);
          }
          return render(() -> success.apply(outcome));
        });
  }

  /** Proposes a write; {@code success} renders what the state machine returned. */
  private Route write(KvCommand command, Function<KvResult, ObjectNode> success) {
    return onComplete(
        ErrorMapping.call(() -> api.write(command)),
        done -> {
          if (done.isFailure()) return errors.internalError(done.failed().get());
          WriteOutcome outcome = done.get();
          if (!(outcome instanceof WriteOutcome.Applied)) return outcomes.writeFailure(outcome);
          KvResult result = ((WriteOutcome.Applied) outcome).result();
          return render(() -> success.apply(result));
        });
  }

  private Route render(java.util.function.Supplier<ObjectNode> body) {
    try {
      return responses.ok(body.get());
    } catch (RuntimeException e) {
      // A result of the wrong kind means node and edge disagree: a bug, reported as 500.
      return errors.internalError(e);
    }
  }
}
