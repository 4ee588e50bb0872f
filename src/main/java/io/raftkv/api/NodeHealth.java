package io.raftkv.api;

import java.util.List;

/**
 * What /readyz, /health and /metrics report beyond the Raft state: the raised alarms (such as
 * {@code NOSPACE}), why the node is not ready to serve (empty when it is), and the data
 * directory's disk usage against its quota.
 *
 * @param alarms names of the raised alarms, e.g. {@code NOSPACE}
 * @param notReadyReasons one human-readable sentence per unmet readiness condition
 * @param diskUsageBytes bytes the data directory uses, as last measured
 * @param quotaBackendBytes the configured quota of the data directory; 0 when there is none
 */
public record NodeHealth(
    List<String> alarms, List<String> notReadyReasons, long diskUsageBytes, long quotaBackendBytes) {

  public NodeHealth {
    alarms = List.copyOf(alarms);
    notReadyReasons = List.copyOf(notReadyReasons);
  }

  public boolean ready() {
    return notReadyReasons.isEmpty();
  }
}
