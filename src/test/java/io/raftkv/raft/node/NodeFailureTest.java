package io.raftkv.raft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.storage.StorageException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class NodeFailureTest {
  @Test
  void aStorageExceptionAnywhereInTheChainIsAStorageFailure() {
    Throwable t = new IllegalStateException("the storage actor stopped",
        new StorageException("synced write of the log failed", new IOException("No space left on device")));
    NodeFailure f = NodeFailure.of(t);
    assertEquals(NodeFailure.Kind.STORAGE, f.kind());
    assertEquals("storage failure: the storage actor stopped: synced write of the log failed: No space left on device",
        f.describe());
  }

  @Test
  void anythingElseIsAnInternalError() {
    NodeFailure f = NodeFailure.of(new IllegalStateException("the storage actor stopped", new NullPointerException()));
    assertEquals(NodeFailure.Kind.INTERNAL, f.kind());
    assertEquals("internal error: the storage actor stopped: NullPointerException", f.describe());
  }

  @Test
  void aRepeatedMessageIsSaidOnce() {
    IOException root = new IOException("disk gone");
    assertEquals("java.io.IOException: disk gone", NodeFailure.messages(new RuntimeException(root)));
  }

  @Test
  void aFuturesWrapperIsSkipped() {
    Throwable t = new java.util.concurrent.ExecutionException(
        new IllegalStateException("Bind failed because of java.net.BindException: Address already in use",
            new java.net.BindException("Address already in use")));
    assertEquals("Bind failed because of java.net.BindException: Address already in use", NodeFailure.messages(t));
  }
}
