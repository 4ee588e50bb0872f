package io.raftkv.http;

import org.apache.pekko.http.javadsl.model.StatusCode;

/** A client mistake found while validating a request, carrying the answer to give. */
final class ClientError extends Exception {
  final StatusCode status;

  ClientError(StatusCode status, String message) {
    // No stack trace: this is control flow for an expected condition, not a bug report.
    super(message, null, false, false);
    this.status = status;
  }

  /** The same mistake, located inside a nested part of the body (e.g. "operations[2]"). */
  ClientError within(String where) {
    return new ClientError(status, where + ": " + getMessage());
  }
}
