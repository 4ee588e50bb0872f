package io.raftkv.raft.driver;

import io.raftkv.api.AppliedState;
import io.raftkv.api.ClusterMember;
import io.raftkv.api.ClusterMembers;
import io.raftkv.api.SnapshotInfo;
import io.raftkv.kv.KvPage;
import io.raftkv.raft.core.Member;
import io.raftkv.raft.core.Membership;
import io.raftkv.storage.SnapshotMeta;
import io.raftkv.storage.StateMachineStore;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Maps between the node's own types (the core's membership, storage's snapshot metadata and state
 * machine) and the client API's. The API has types of its own so that what clients see stays put
 * when the core or storage changes, and so that the HTTP layer never reaches past the API.
 */
public final class ClientViews {
  private ClientViews() {}

  /** The membership without what only peers need (incarnations). */
  public static ClusterMembers members(Membership m) {
    return new ClusterMembers(members(m.voters()), members(m.learners()));
  }

  private static SortedMap<Long, ClusterMember> members(Map<Long, Member> group) {
    TreeMap<Long, ClusterMember> out = new TreeMap<>();
    for (Member m : group.values()) out.put(m.id(), new ClusterMember(m.id(), m.raftAddr(), m.httpAddr()));
    return out;
  }

  /** A member a client asks to add; its incarnation is learned when the node answers Hello. */
  public static Member member(ClusterMember m) {
    return new Member(m.id(), m.raftAddr(), m.httpAddr());
  }

  public static SnapshotInfo snapshot(SnapshotMeta meta) {
    return new SnapshotInfo(meta.index(), meta.term(), meta.sizeBytes(), meta.createdAtMillis());
  }

  /** Reads of the applied state go straight to the state machine store. */
  public static AppliedState appliedState(StateMachineStore store) {
    return new AppliedState() {
      @Override
      public String get(String key) {
        return store.get(key);
      }

      @Override
      public KvPage scan(String prefix, String startAfter, int limit, long maxBytes) {
        return store.scan(prefix, startAfter, limit, maxBytes);
      }
    };
  }
}
