package io.raftkv.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Union-find over keys: keys linked by one operation, directly or through a chain of operations,
 * end up in one component. Mutable, single use.
 */
final class KeyComponents {

  private final Map<String, String> parent = new HashMap<>();

  /** Puts all {@code keys} in one component (a single key still becomes a component of its own). */
  void link(List<String> keys) {
    String first = find(keys.get(0));
    for (int i = 1; i < keys.size(); i++) {
      String other = find(keys.get(i));
      if (!other.equals(first)) {
        // Attach under the smaller key so the result does not depend on hash order.
        if (other.compareTo(first) < 0) {
          parent.put(first, other);
          first = other;
        } else {
          parent.put(other, first);
        }
      }
    }
  }

  /** The representative of {@code key}'s component, adding {@code key} alone if it is new. */
  String find(String key) {
    String root = parent.computeIfAbsent(key, k -> k);
    while (!root.equals(parent.get(root))) {
      root = parent.get(root);
    }
    // Path compression: later finds of the keys on this path take one hop.
    String node = key;
    while (!node.equals(root)) {
      String next = parent.get(node);
      parent.put(node, root);
      node = next;
    }
    return root;
  }

  /** Every component's keys, sorted, in order of each component's smallest key. */
  List<TreeSet<String>> bySmallestKey() {
    Map<String, TreeSet<String>> byRoot = new HashMap<>();
    for (String key : new ArrayList<>(parent.keySet())) {
      byRoot.computeIfAbsent(find(key), r -> new TreeSet<>()).add(key);
    }
    List<TreeSet<String>> components = new ArrayList<>(byRoot.values());
    components.sort(Comparator.comparing(TreeSet::first));
    return components;
  }
}
