package io.raftkv.raft.node;

import io.raftkv.storage.StorageException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Why the node stopped on its own. A storage failure (a {@link StorageException} anywhere in
 * the cause chain: a RocksDB write, fsync or read failed) is told apart from any other exception
 * thrown in the Raft node, which is an internal error: the first calls for a look at the disk,
 * the second for a bug report, and a supervisor may treat them differently.
 */
public record NodeFailure(Kind kind, Throwable cause) {
  public enum Kind {
    STORAGE,
    INTERNAL
  }

  public static NodeFailure of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StorageException) return new NodeFailure(Kind.STORAGE, failure);
      if (t.getCause() == t) break;
    }
    return new NodeFailure(Kind.INTERNAL, failure);
  }

  /**
   * One line naming the cause: every message along the chain, so that a RocksDB error such as
   * "No space left on device" shows next to what the node was doing when it happened.
   */
  public String describe() {
    String what = kind == Kind.STORAGE ? "storage failure" : "internal error";
    return what + ": " + messages(cause);
  }

  /** Every distinct message along the cause chain, joined by ": ". */
  public static String messages(Throwable failure) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      // A future's wrapper only repeats its cause as "ClassName: message"; skip to the cause.
      boolean wrapper = t instanceof ExecutionException || t instanceof CompletionException;
      if (wrapper && t.getCause() != null && t.getCause() != t) continue;
      String m = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : t.getMessage();
      // Wrappers often repeat their cause's message; say each thing once.
      if (out.indexOf(m) < 0) {
        if (out.length() > 0) out.append(": ");
        out.append(m);
      }
      if (t.getCause() == t) break;
    }
    return out.toString();
  }
}
