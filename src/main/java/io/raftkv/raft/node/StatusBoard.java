package io.raftkv.raft.node;

import io.raftkv.api.NodeStatus;

/**
 * The node's latest status, published by the node actor after every message so that /health and
 * /metrics can read it from any thread without a round trip through the mailbox.
 */
public final class StatusBoard {
  private volatile NodeStatus status;

  public StatusBoard(NodeStatus initial) {
    this.status = initial;
  }

  public NodeStatus get() {
    return status;
  }

  void publish(NodeStatus s) {
    status = s;
  }
}
