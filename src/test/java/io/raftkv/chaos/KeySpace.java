package io.raftkv.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys the workload touches: {@code groups} groups of {@code perGroup} keys (about twenty in
 * all), renamed every epoch. A batch only writes keys of one group, so the checker searches each
 * group on its own; a new epoch starts fresh keys, so each search covers one epoch's operations
 * and a long run never builds one history too large to check. Operations still in flight when an
 * epoch ends (or never answered) stay on their own epoch's keys, so nothing is cut off.
 */
final class KeySpace {
  private final int groups;
  private final int perGroup;
  private final long epochMicros;

  KeySpace(int groups, int perGroup, long epochMicros) {
    this.groups = groups;
    this.perGroup = perGroup;
    this.epochMicros = epochMicros;
  }

  int groups() {
    return groups;
  }

  int perGroup() {
    return perGroup;
  }

  long epochAt(long micros) {
    return micros / epochMicros;
  }

  String key(long epoch, int group, int index) {
    return "chaos/e" + epoch + "/g" + group + "/k" + index;
  }

  /** Every key of epochs {@code 0..lastEpoch}. */
  List<String> allKeys(long lastEpoch) {
    List<String> out = new ArrayList<>();
    for (long e = 0; e <= lastEpoch; e++) {
      for (int g = 0; g < groups; g++) {
        for (int i = 0; i < perGroup; i++) {
          out.add(key(e, g, i));
        }
      }
    }
    return out;
  }

  static String prefix() {
    return "chaos/";
  }
}
