#!/usr/bin/env bash
# Runs the chaos test for a long stretch: real node processes on loopback behind per-link TCP
# proxies, a seeded nemesis (kills, pauses, partitions, bridges, flapping and one-way links, slow
# disks and links, membership changes under a partition, snapshot catch-up, leader transfers)
# and a client workload whose history is checked for linearizability and lost writes.
#
#   scripts/chaos.sh [minutes] [nodes] [seed]      # defaults: 30 minutes, 3 nodes, random seed
#   scripts/chaos.sh 30 5                          # 30 minutes on 5 nodes
#   scripts/chaos.sh 2 3 12345                     # replay seed 12345's fault sequence for 2 minutes
#
# Each run writes target/chaos/<nodes>-nodes-seed-<seed>/: report.json (figures, faults, verdict),
# ops.csv (every request), and the node logs. Set CHAOS_STRICT=true to also fail on a missed
# availability target (first write after a leader loss, stalls under a bridge or flapping link,
# answers from a cut-off node). Needs a JDK 17+; builds the jar first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MINUTES=${1:-30}
NODES=${2:-3}
SEED=${3:-}
args=(-B -Dchaos.minutes="$MINUTES" -Dchaos.nodes="$NODES" -Dchaos.strict="${CHAOS_STRICT:-false}")
[ -n "$SEED" ] && args+=(-Dchaos.seed="$SEED")
# Build the jar and test classes without running the unit tests, then only the chaos test.
./mvnw -B -q -DskipTests package
exec ./mvnw "${args[@]}" failsafe:integration-test failsafe:verify -Dit.test=ChaosIT
