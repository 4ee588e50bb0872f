#!/usr/bin/env bash
# Measures how long the cluster started by ./start.sh takes to accept writes again after its
# leader is killed with SIGKILL: from the kill to the first acknowledged write through a
# surviving node. The killed node is restarted afterwards. Runs ROUNDS times (default 5).
#
#   ./start.sh start && scripts/failover-time.sh [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-5}
PORTS=(8001 8002 8003)

leader_port() {
  for p in "${PORTS[@]}"; do
    if curl -s --max-time 1 "http://127.0.0.1:$p/health" | grep -q '"is_leader":true'; then
      echo "$p"
      return
    fi
  done
}

for round in $(seq 1 "$ROUNDS"); do
  lp=""
  for _ in $(seq 1 100); do lp=$(leader_port); [ -n "$lp" ] && break; sleep 0.1; done
  [ -n "$lp" ] || { echo "no leader found" >&2; exit 1; }
  node=$((lp - 8000))
  pid=$(cat "logs/node$node.pid")
  survivor=${PORTS[$(( node % 3 ))]}
  t0=$(date +%s%N)
  kill -9 "$pid"
  ok=0
  for _ in $(seq 1 400); do
    if curl -s --max-time 1 -X POST "http://127.0.0.1:$survivor/set" -H 'Content-Type: application/json' \
        -d "{\"key\":\"failover-$round\",\"value\":\"v\"}" | grep -q '"success":true'; then
      ok=1
      break
    fi
    sleep 0.01
  done
  t1=$(date +%s%N)
  [ "$ok" = 1 ] || { echo "round $round: no write accepted within the bound" >&2; exit 1; }
  echo "round $round: killed node$node (leader), writes accepted again through :$survivor after $(( (t1 - t0) / 1000000 )) ms"
  rm -f "logs/node$node.pid"
  ./start.sh start >/dev/null
done
