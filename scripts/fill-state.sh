#!/usr/bin/env bash
# Writes COUNT keys of VALUE_BYTES each through a node's HTTP API, PARALLEL at a time, and prints
# how many answers each status got and how long it took. Used to build a large state for
# measurements (memory, snapshot install, quota); it only talks to the URL it is given.
#
#   scripts/fill-state.sh http://127.0.0.1:8001 1000 1048576 4 big
#
# Keys are <prefix>000000, <prefix>000001, ...; values are VALUE_BYTES random base64 characters. The
# counts printed at the end are of each write's last answer.
set -euo pipefail

usage() {
  echo "usage: $0 URL COUNT VALUE_BYTES [PARALLEL=4] [PREFIX=fill]" >&2
  exit 2
}
[[ $# -ge 3 ]] || usage
url=$1 count=$2 size=$3 parallel=${4:-4} prefix=${5:-fill}
[[ $count =~ ^[0-9]+$ && $size =~ ^[0-9]+$ && $parallel =~ ^[1-9][0-9]*$ ]] || usage
command -v curl >/dev/null || { echo "error: curl is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One value, made once from random bytes (so that RocksDB cannot compress it away and the disk
# holds what a real data set would), base64 so it is valid JSON text; each request wraps it in
# its own key.
head -c $(((size + 3) / 4 * 3)) /dev/urandom | base64 -w0 >"$work/value"
truncate -s "$size" "$work/value"

# A set is idempotent, so one that met no leader (503), an overloaded leader (429), an unknown
# outcome (504) or no connection is sent again, up to 10 times with a growing pause.
one() {
  local i=$1 key code attempt
  key=$(printf '%s%06d' "$prefix" "$i")
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    code=$({ printf '{"key":"%s","value":"' "$key"; cat "$work/value"; printf '"}'; } |
      curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST "$url/set" \
        -H 'Content-Type: application/json' --data-binary @-) || code=000
    case $code in 000 | 429 | 503 | 504) sleep "0.$attempt" ;; *) break ;; esac
  done
  echo "$code"
}
export -f one
export url prefix work

start=$(date +%s.%N)
seq 0 $((count - 1)) | xargs -P "$parallel" -I{} bash -c 'one {}' >"$work/codes"
end=$(date +%s.%N)

echo "wrote $count x $size bytes to $url in $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
sort "$work/codes" | uniq -c | awk '{print "  HTTP " $2 ": " $1}'
