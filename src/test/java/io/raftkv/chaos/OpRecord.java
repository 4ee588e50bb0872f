package io.raftkv.chaos;

import java.util.List;

/**
 * What one client request did, for the figures and the lost-write check (the linearizability
 * checker gets the same request as a {@code KvModel} operation).
 *
 * @param kind get, set, delete, cas or batch
 * @param node the node the request was sent to
 * @param call when it was sent (run microseconds)
 * @param ret when its answer arrived or the client gave up
 * @param outcome how it ended
 * @param status the HTTP status, or 0 when none came back
 * @param writes the key changes it asked for (a cas only when it swapped or its fate is unknown)
 */
record OpRecord(int client, String kind, int node, long call, long ret, Outcome outcome, int status,
    List<KeyWrite> writes) {

  enum Outcome {
    /** 200. */
    OK,
    /** Definitely not applied: 503, 421 or 429, or the request was never sent. */
    FAILED,
    /** Perhaps applied: 504, a timeout, or a connection lost after sending. */
    UNKNOWN,
    /** A status the workload never expects (400, 404, 413, 500, ...): a bug somewhere. */
    UNEXPECTED
  }

  /** One key change; {@code value} is null for a delete. */
  record KeyWrite(String key, String value) {}

  boolean isWrite() {
    return !kind.equals("get");
  }
}
