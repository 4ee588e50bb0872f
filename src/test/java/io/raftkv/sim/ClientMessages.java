package io.raftkv.sim;

/** What simulated clients and nodes say to each other; kept apart from Raft's own messages. */
final class ClientMessages {
  private ClientMessages() {}

  /** A client operation: kind is "set", "delete" or "get"; value only for set. */
  record ClientOp(String kind, String key, String value) {
    boolean isRead() {
      return kind.equals("get");
    }
  }

  /** One attempt to run an operation at one node. */
  record ClientRequest(int clientId, long opId, int attempt, long node, ClientOp op) {}

  enum Status {
    /** Done; value is the read value, or the value the write replaced. */
    OK,
    /** This node does not lead; leaderHint names who might (0: unknown). Definitely no effect. */
    NOT_LEADER,
    /** Definitely had no effect (an overwritten proposal, a read whose leader stepped down). */
    FAIL
  }

  record ClientReply(int clientId, long opId, int attempt, Status status, String value, long leaderHint) {}
}
