package io.raftkv.chaos;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The network between real nodes: one {@link LinkProxy} per directed pair, so each node dials
 * each peer through a link of its own, and partitions are a matter of setting link modes. A link
 * {@code a -> b} carries everything {@code a} dials on {@code b} (its AppendEntries, forwarded
 * writes, ReadIndex calls and snapshot chunks) and {@code b}'s answers to those calls; what
 * {@code b} sends on its own initiative goes over {@code b -> a}.
 */
final class Network implements AutoCloseable {
  private final Map<Integer, Map<Integer, LinkProxy>> links = new TreeMap<>();

  /** Builds links between every two of {@code raftPortById}'s nodes. */
  Network(Map<Integer, Integer> raftPortById, long seed) throws IOException {
    for (int from : raftPortById.keySet()) {
      Map<Integer, LinkProxy> out = new TreeMap<>();
      for (Map.Entry<Integer, Integer> to : raftPortById.entrySet()) {
        if (to.getKey() == from) continue;
        out.put(to.getKey(), new LinkProxy(from + "->" + to.getKey(), to.getValue(),
            seed * 31 + from * 1009L + to.getKey()));
      }
      links.put(from, out);
    }
  }

  LinkProxy link(int from, int to) {
    LinkProxy l = links.get(from).get(to);
    if (l == null) throw new IllegalArgumentException("no link " + from + " -> " + to);
    return l;
  }

  /**
   * The dial overrides node {@code from} starts with: each peer's real Raft address mapped to the
   * proxy of the link from {@code from} to that peer.
   */
  String dialOverridesOf(int from, Map<Integer, Integer> raftPortById) {
    List<String> pairs = new ArrayList<>();
    for (Map.Entry<Integer, LinkProxy> e : links.get(from).entrySet()) {
      pairs.add("127.0.0.1:" + raftPortById.get(e.getKey()) + "=127.0.0.1:" + e.getValue().port());
    }
    return String.join(",", pairs);
  }

  /** Every link passes again, with no delay, cap or drops. */
  void heal() {
    all().forEach(LinkProxy::heal);
  }

  /** Nothing reaches {@code node} and nothing leaves it. */
  void isolate(int node, LinkProxy.Mode how) {
    for (LinkProxy l : touching(node)) {
      l.set(how);
    }
  }

  /** Links between different sides fail with {@code how}; links within a side pass. */
  void partition(List<Set<Integer>> sides, LinkProxy.Mode how) {
    for (int from : links.keySet()) {
      for (int to : links.get(from).keySet()) {
        if (side(sides, from) != side(sides, to)) link(from, to).set(how);
      }
    }
  }

  /** Links between a node of {@code a} and a node of {@code b} fail with {@code how}, both ways. */
  void cutBetween(Set<Integer> a, Set<Integer> b, LinkProxy.Mode how) {
    for (int x : a) {
      for (int y : b) {
        link(x, y).set(how);
        link(y, x).set(how);
      }
    }
  }

  /**
   * {@code node} can send but hears nothing: its own calls arrive but their answers are
   * swallowed, and nothing its peers dial reaches it.
   */
  void deafen(int node) {
    for (LinkProxy out : links.get(node).values()) {
      out.setDownstream(LinkProxy.Mode.BLACKHOLE);
    }
    for (int from : links.keySet()) {
      if (from != node) link(from, node).setUpstream(LinkProxy.Mode.BLACKHOLE);
    }
  }

  /** Every link touching {@code node} waits {@code fixedMs} plus up to {@code jitterMs} per chunk. */
  void slowDown(int node, long fixedMs, long jitterMs) {
    for (LinkProxy l : touching(node)) {
      l.delay(fixedMs, jitterMs);
    }
  }

  /** Caps every link touching {@code node} at {@code bytesPerSecond}. */
  void throttle(int node, long bytesPerSecond) {
    for (LinkProxy l : touching(node)) {
      l.limitBandwidth(bytesPerSecond);
    }
  }

  /**
   * Closes every connection touching {@code node} and then drops {@code fraction} of the new
   * ones at once, so the node's peers must reconnect through a lossy network.
   */
  void dropConnections(int node, double fraction) {
    for (LinkProxy l : touching(node)) {
      l.dropConnections(fraction);
      l.set(LinkProxy.Mode.CUT);
      l.set(LinkProxy.Mode.PASS);
    }
  }

  /** Links touching {@code node}, both directions. */
  List<LinkProxy> touching(int node) {
    List<LinkProxy> out = new ArrayList<>(links.get(node).values());
    for (int from : links.keySet()) {
      if (from != node) out.add(link(from, node));
    }
    return out;
  }

  private static int side(List<Set<Integer>> sides, int node) {
    for (int i = 0; i < sides.size(); i++) {
      if (sides.get(i).contains(node)) return i;
    }
    return -1 - node; // a node on no side is alone
  }

  private Collection<LinkProxy> all() {
    List<LinkProxy> out = new ArrayList<>();
    links.values().forEach(m -> out.addAll(m.values()));
    return out;
  }

  @Override
  public void close() {
    all().forEach(LinkProxy::close);
  }
}
