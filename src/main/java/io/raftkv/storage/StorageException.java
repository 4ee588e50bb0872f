package io.raftkv.storage;

/** A failed read or write of durable state. Fatal for the node: it must stop, not continue. */
public class StorageException extends RuntimeException {
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageException(String message) {
    super(message);
  }
}
