#!/usr/bin/env bash
# Writes COUNT keys of VALUE_BYTES each through a node's HTTP API, PARALLEL at a time, and prints
# how many answers each status got and how long it took. Used to build a large state for
# measurements (memory, snapshot install, quota); it only talks to the URL it is given.
#
#   scripts/fill-state.sh http://127.0.0.1:8001 1000 1048576 4 big
#
# Keys are <prefix>000000, <prefix>000001, ...; values are 'x' repeated VALUE_BYTES times.
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
# One value, written once; each request wraps it in its own key.
head -c "$size" /dev/zero | tr '\0' 'x' >"$work/value"

one() {
  local i=$1 key
  key=$(printf '%s%06d' "$prefix" "$i")
  { printf '{"key":"%s","value":"' "$key"; cat "$work/value"; printf '"}'; } |
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X POST "$url/set" \
      -H 'Content-Type: application/json' --data-binary @- || echo "000"
}
export -f one
export url prefix work

start=$(date +%s.%N)
seq 0 $((count - 1)) | xargs -P "$parallel" -I{} bash -c 'one {}' >"$work/codes"
end=$(date +%s.%N)

echo "wrote $count x $size bytes to $url in $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
sort "$work/codes" | uniq -c | awk '{print "  HTTP " $2 ": " $1}'
