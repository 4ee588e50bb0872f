#!/usr/bin/env bash
# Manage a local three-node raftkv cluster (conf/node1.toml .. conf/node3.toml, or with --tls
# conf/tls/node1.toml .. node3.toml): build the jar, start and stop the nodes, show their state,
# follow their logs and run a smoke test.
# Run "./start.sh help" for the commands. Only processes this script started (recorded in
# logs/<name>.pid and checked against their command line) are ever signalled.
set -euo pipefail

# Paths given on the command line are relative to where the user stands; everything else is
# relative to the project root, which is where this script lives.
ORIG_PWD=$(pwd)
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)

JAR="target/raftkv.jar"
LOG_DIR="logs"
CONF_DIR="conf"
NODES=(node1 node2 node3)
LEVELS="trace debug info warn error"

START_TIMEOUT_S="${START_TIMEOUT_S:-60}"
STOP_TIMEOUT_S="${STOP_TIMEOUT_S:-15}"
CURL_TIMEOUT_S="${CURL_TIMEOUT_S:-3}"

# Three nodes and a load generator share 2 cores; memory (24 GiB) is plentiful. See README.md,
# "JVM flags", for why each flag is here. Replace them all with JVM_OPTS="...".
DEFAULT_JVM_OPTS="-Xms256m -Xmx512m -Xss512k -XX:+UseSerialGC -XX:CICompilerCount=2 \
-XX:+ExitOnOutOfMemoryError -Djava.util.concurrent.ForkJoinPool.common.parallelism=2"
JVM_OPTS="${JVM_OPTS:-$DEFAULT_JVM_OPTS}"

# ---------------------------------------------------------------------------------------------
# small helpers

die() {
  echo "error: $*" >&2
  exit 1
}

usage_error() {
  echo "error: $*" >&2
  echo "Run '$0 help' for usage." >&2
  exit 2
}

now_ms() {
  date +%s%3N
}

# Milliseconds since $1, printed as seconds with one decimal.
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

have() {
  command -v "$1" >/dev/null 2>&1
}

trim() {
  local s=$1
  s="${s#"${s%%[![:space:]]*}"}"
  s="${s%"${s##*[![:space:]]}"}"
  printf '%s' "$s"
}

# Absolute, normalized form of a path (relative to the project root), used to compare a pid's
# --conf argument with the file we were asked about, however either was spelled.
canon() {
  realpath -m -- "$1" 2>/dev/null || printf '%s\n' "$1"
}

# The path to hand to the node: relative to the project root when inside it, as the contract's
# "--conf conf/nodeN.toml" spells it, absolute otherwise.
conf_arg() {
  local abs
  abs=$(canon "$1")
  if [[ $abs == "$ROOT"/* ]]; then
    printf '%s\n' "${abs#"$ROOT"/}"
  else
    printf '%s\n' "$abs"
  fi
}

# Base name of a config file without its extension: conf/node1.toml -> node1. Logs and PID files
# are named after it.
node_name() {
  local base
  base=$(basename -- "$1")
  printf '%s\n' "${base%.*}"
}

# Reads one top-level key from a node config file with a line parser, enough for the flat files
# in conf/ (TOML) and simple HOCON files (key = value, key: value, raftkv.key = value). System
# property overrides in JVM_OPTS are not seen here.
conf_value() {
  local key=$1 file=$2 line value
  line=$(grep -E "^[[:space:]]*(raftkv\.)?${key}[[:space:]]*[=:]" "$file" | head -n 1) || true
  [[ -n $line ]] || return 1
  value=$(trim "${line#*[=:]}")
  if [[ $value == \"* ]]; then
    value=${value#\"}
    value=${value%%\"*}
  elif [[ $value == \'* ]]; then
    value=${value#\'}
    value=${value%%\'*}
  else
    value=$(trim "${value%%#*}")
  fi
  [[ -n $value ]] || return 1
  printf '%s\n' "$value"
}

http_addr_of() {
  conf_value http_addr "$1" || die "$1: no http_addr found"
}

parse_level() {
  local level
  level=$(printf '%s' "${1:-info}" | tr '[:upper:]' '[:lower:]')
  case " $LEVELS " in
    *" $level "*) printf '%s\n' "$level" ;;
    *) usage_error "unknown log level '$1' (one of: $LEVELS)" ;;
  esac
}

# A file argument to start-node/stop-node: relative to where the user ran the script, falling
# back to the project root so "conf/node1.toml" works from anywhere.
resolve_conf() {
  local given=$1
  if [[ $given != /* ]]; then
    if [[ -f "$ORIG_PWD/$given" ]]; then
      given="$ORIG_PWD/$given"
    elif [[ -f "$ROOT/$given" ]]; then
      given="$ROOT/$given"
    fi
  fi
  [[ -f $given ]] || die "config file not found: $1"
  conf_arg "$given"
}

# ---------------------------------------------------------------------------------------------
# processes

# The command line of a process as one argument per line (empty when it is gone or a zombie).
cmdline_of() {
  local pid=$1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null || true
  else
    ps -p "$pid" -o args= 2>/dev/null | tr ' ' '\n' || true
  fi
}

# True when $1 is a live raftkv java process started with "--conf <file $2>". Checking the
# command line, not just the PID, keeps a reused PID from being mistaken for (and killed as) a node.
# A relative --conf is resolved against that process's own directory: another checkout running
# "--conf conf/node1.toml" is not ours.
is_our_node() {
  local pid=$1 want prev="" arg cwd has_jar=no has_conf=no
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  want=$(canon "$2")
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=$ROOT
  [[ -n $cwd ]] || cwd=$ROOT
  while IFS= read -r arg; do
    [[ $arg == *raftkv.jar ]] && has_jar=yes
    if [[ $prev == --conf ]]; then
      [[ $arg == /* ]] || arg="$cwd/$arg"
      [[ $(canon "$arg") == "$want" ]] && has_conf=yes
    fi
    prev=$arg
  done < <(cmdline_of "$pid")
  [[ $has_jar == yes && $has_conf == yes ]]
}

# True when $1 is any live raftkv java process, whatever its config (for clean's safety check).
is_raftkv_java() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Captured first: grep -q closing the pipe early would fail the pipeline under pipefail.
  local args
  args=$(cmdline_of "$pid")
  grep -q 'raftkv\.jar$' <<<"$args"
}

pid_file() {
  printf '%s\n' "$LOG_DIR/$1.pid"
}

log_file() {
  printf '%s\n' "$LOG_DIR/$1.log"
}

# Prints the PID of node $1 (config $2) when it is running; fails otherwise.
running_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  is_our_node "$pid" "$2" || return 1
  printf '%s\n' "$pid"
}

any_node_running() {
  local f pid
  for f in "$LOG_DIR"/*.pid; do
    [[ -f $f ]] || continue
    pid=$(tr -dc '0-9' <"$f")
    if is_raftkv_java "$pid"; then
      echo "$(basename "$f" .pid) is running (pid $pid)"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# HTTP

# How curl talks to the nodes: SCHEME and the TLS arguments CURL_TLS, set by use_tls_of from a
# node's config file. Every node of one cluster is expected to use the same TLS settings.
SCHEME=http
CURL_TLS=()

# Reads cert_file, trusted_ca_file and client_cert_auth of config $1. A TLS node is checked
# against RAFTKV_CACERT (default: its trusted_ca_file, else peer_trusted_ca_file, else
# certs/ca.pem); with client_cert_auth, curl presents RAFTKV_CLIENT_CERT and RAFTKV_CLIENT_KEY
# (default: client.pem and client-key.pem next to that CA, as scripts/dev-certs.sh writes them).
use_tls_of() {
  local conf=$1 ca dir
  SCHEME=http
  CURL_TLS=()
  conf_value cert_file "$conf" >/dev/null 2>&1 || return 0
  SCHEME=https
  ca=${RAFTKV_CACERT:-$(conf_value trusted_ca_file "$conf" 2>/dev/null ||
    conf_value peer_trusted_ca_file "$conf" 2>/dev/null || echo certs/ca.pem)}
  CURL_TLS=(--cacert "$ca")
  if [[ $(conf_value client_cert_auth "$conf" 2>/dev/null) == true ]]; then
    dir=$(dirname -- "$ca")
    CURL_TLS+=(--cert "${RAFTKV_CLIENT_CERT:-$dir/client.pem}" --key "${RAFTKV_CLIENT_KEY:-$dir/client-key.pem}")
  fi
}

# GET /health of an http_addr; prints the JSON body, fails unless HTTP 200.
health_json() {
  curl -sS -f --max-time "$CURL_TIMEOUT_S" ${CURL_TLS[@]+"${CURL_TLS[@]}"} "$SCHEME://$1/health" 2>/dev/null
}

# One field of a flat JSON object, printed as text ("null" for null). jq when present; otherwise
# a pattern good enough for the flat answers of /health and /get.
json_field() {
  local json=$1 key=$2
  if have jq; then
    printf '%s' "$json" | jq -r --arg k "$key" \
      'if type == "object" and has($k) then (.[$k] | if . == null then "null" else tostring end) else empty end' \
      2>/dev/null || true
  else
    local flat match
    flat=$(tr -d '\n' <<<"$json")
    match=$(grep -Eo "\"$key\"[[:space:]]*:[[:space:]]*(\"[^\"]*\"|[^,}[:space:]]+)" <<<"$flat") || return 0
    match=${match%%$'\n'*}
    sed -E "s/^\"$key\"[[:space:]]*:[[:space:]]*//; s/^\"(.*)\"$/\\1/" <<<"$match"
  fi
}

# True when a raftkv node answers /health: "ok" when ready, "degraded" while it has no leader yet
# (or an alarm); either way the process is up and serving.
health_ok() {
  local json status
  json=$(health_json "$1") || return 1
  status=$(json_field "$json" status)
  [[ $status == ok || $status == degraded ]]
}

# "state=Leader term=3 leader=1" from a /health body.
health_summary() {
  local json=$1
  printf 'state=%s term=%s leader=%s\n' "$(json_field "$json" state)" \
    "$(json_field "$json" current_term)" "$(json_field "$json" current_leader)"
}

# Sends a request; sets HTTP_CODE and HTTP_BODY. Usage: http_call METHOD URL [JSON-BODY]
http_call() {
  local method=$1 url=$2 body=${3:-} out
  local -a args=(-sS --max-time 10 -X "$method" -w '\n%{http_code}' ${CURL_TLS[@]+"${CURL_TLS[@]}"})
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  out=$(curl "${args[@]}" "$url" 2>&1) || {
    HTTP_CODE=000
    HTTP_BODY=$out
    return 0
  }
  HTTP_CODE=${out##*$'\n'}
  HTTP_BODY=${out%$'\n'*}
}

http_get_key() {
  local out
  out=$(curl -sS --max-time 10 ${CURL_TLS[@]+"${CURL_TLS[@]}"} -G --data-urlencode "key=$2" -w '\n%{http_code}' \
    "$SCHEME://$1/get" 2>&1) || {
    HTTP_CODE=000
    HTTP_BODY=$out
    return 0
  }
  HTTP_CODE=${out##*$'\n'}
  HTTP_BODY=${out%$'\n'*}
}

# ---------------------------------------------------------------------------------------------
# build

jar_is_stale() {
  [[ -f $JAR ]] || return 0
  [[ -n $(find src pom.xml -newer "$JAR" -print -quit 2>/dev/null) ]]
}

build_jar() {
  local t0
  t0=$(now_ms)
  echo "Building $JAR (./mvnw -B -q -DskipTests package)..."
  ./mvnw -B -q -DskipTests package || die "build failed"
  [[ -f $JAR ]] || die "build succeeded but $JAR is missing"
  # Maven leaves the jar alone when only tests changed; touching it keeps the freshness check
  # from rebuilding on every start.
  touch "$JAR"
  echo "Built $JAR in $(since "$t0")."
}

# Builds when the jar is missing or older than the sources. A stale jar is not rebuilt while
# other nodes run from it: rewriting a jar under a running JVM can crash it, and a cluster of
# mixed builds is not what anyone wants. $1 = number of nodes already running.
ensure_jar() {
  if [[ ! -f $JAR ]]; then
    build_jar
  elif jar_is_stale; then
    if (($1 > 0)); then
      echo "warning: $JAR is older than the sources, but $1 node(s) run from it; not rebuilding." >&2
      echo "warning: run '$0 restart' to rebuild and restart every node." >&2
    else
      build_jar
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# start / stop

# Starts one node in the background. $1 name, $2 conf (as conf_arg prints it), $3 level.
launch() {
  local name=$1 conf=$2 level=$3 http log pid
  local -a jvm=()
  http=$(http_addr_of "$conf")
  log=$(log_file "$name")
  if health_ok "$http"; then
    die "$name: $SCHEME://$http/health already answers, but not from a node this script started; stop that process first"
  fi
  read -r -a jvm <<<"$JVM_OPTS"
  mkdir -p "$LOG_DIR"
  printf '==== %s: starting %s (%s, level %s) ====\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$name" "$conf" "$level" >>"$log"
  nohup java ${jvm[@]+"${jvm[@]}"} "-Draftkv.log.level=$level" -jar "$JAR" --conf "$conf" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"
  echo "Started $name (pid $pid, http $http, log $log)"
}

# Waits until every listed node answers /health, failing early when one exits.
# Arguments: name conf name conf ...
wait_healthy() {
  local t0=$1 deadline=$(($(now_ms) + START_TIMEOUT_S * 1000)) name conf pid
  shift
  local -a pending=("$@") still=()
  while ((${#pending[@]} > 0)); do
    still=()
    while ((${#pending[@]} > 0)); do
      name=${pending[0]}
      conf=${pending[1]}
      pending=("${pending[@]:2}")
      if ! pid=$(running_pid "$name" "$conf"); then
        echo "error: $name exited during startup; last lines of $(log_file "$name"):" >&2
        tail -n 20 "$(log_file "$name")" >&2 || true
        return 1
      fi
      if health_ok "$(http_addr_of "$conf")"; then
        echo "$name is up after $(since "$t0")"
      else
        still+=("$name" "$conf")
      fi
    done
    pending=(${still[@]+"${still[@]}"})
    ((${#pending[@]} == 0)) && break
    if (($(now_ms) > deadline)); then
      local i names=""
      for ((i = 0; i < ${#pending[@]}; i += 2)); do names+=" ${pending[i]}"; done
      echo "error: no answer on /health within ${START_TIMEOUT_S}s from:$names (see $LOG_DIR/<node>.log)" >&2
      return 1
    fi
    sleep 0.5
  done
}

# Prints the leader as the listed nodes see it, waiting for one until the deadline when $1 = wait.
report_leader() {
  local mode=$1 t0=$2 deadline=$(($(now_ms) + START_TIMEOUT_S * 1000)) name conf json leader term
  shift 2
  while :; do
    local -a rest=("$@")
    while ((${#rest[@]} > 0)); do
      name=${rest[0]}
      conf=${rest[1]}
      rest=("${rest[@]:2}")
      json=$(health_json "$(http_addr_of "$conf")") || continue
      leader=$(json_field "$json" current_leader)
      term=$(json_field "$json" current_term)
      if [[ -n $leader && $leader != null && $leader != 0 ]]; then
        echo "Leader: node $leader$(leader_where "$leader") (term $term), ready after $(since "$t0")"
        return 0
      fi
    done
    if [[ $mode != wait ]] || (($(now_ms) > deadline)); then
      echo "Leader: none known yet"
      [[ $mode != wait ]]
      return
    fi
    sleep 0.5
  done
}

# " = node1 at 127.0.0.1:8001" when a config in conf/ has that node_id, else nothing.
leader_where() {
  local f
  for f in "$CONF_DIR"/*.toml; do
    [[ -f $f ]] || continue
    if [[ $(conf_value node_id "$f" 2>/dev/null) == "$1" ]]; then
      printf ' = %s at %s' "$(node_name "$f")" "$(conf_value http_addr "$f" 2>/dev/null)"
      return 0
    fi
  done
}

# Sends SIGTERM to the listed running nodes, waits for them, SIGKILLs what is left.
# Arguments: name conf name conf ...
stop_nodes() {
  local name conf pid file t0 deadline
  local -a waiting=()
  while (($# > 0)); do
    name=$1
    conf=$2
    shift 2
    file=$(pid_file "$name")
    if pid=$(running_pid "$name" "$conf"); then
      kill -TERM "$pid" 2>/dev/null || true
      echo "Stopping $name (pid $pid)..."
      waiting+=("$name" "$conf" "$pid")
    else
      [[ -f $file ]] && echo "$name is not running (removing stale $file)" || echo "$name is not running"
      rm -f "$file"
    fi
  done
  ((${#waiting[@]} > 0)) || return 0
  t0=$(now_ms)
  deadline=$((t0 + STOP_TIMEOUT_S * 1000))
  while ((${#waiting[@]} > 0)); do
    local -a still=()
    local i
    for ((i = 0; i < ${#waiting[@]}; i += 3)); do
      name=${waiting[i]}
      conf=${waiting[i + 1]}
      pid=${waiting[i + 2]}
      if is_our_node "$pid" "$conf"; then
        still+=("$name" "$conf" "$pid")
      else
        rm -f "$(pid_file "$name")"
        echo "$name stopped after $(since "$t0")"
      fi
    done
    waiting=(${still[@]+"${still[@]}"})
    ((${#waiting[@]} > 0)) || break
    if (($(now_ms) > deadline)); then
      for ((i = 0; i < ${#waiting[@]}; i += 3)); do
        name=${waiting[i]}
        pid=${waiting[i + 2]}
        echo "warning: $name (pid $pid) did not stop within ${STOP_TIMEOUT_S}s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$(pid_file "$name")"
      done
      break
    fi
    sleep 0.2
  done
}

# Fills PAIRS with "node1 conf/node1.toml node2 conf/node2.toml ..." for the cluster's nodes.
# A global rather than command output so that a missing file stops the script here.
PAIRS=()
load_cluster() {
  local name
  PAIRS=()
  for name in "${NODES[@]}"; do
    [[ -f "$CONF_DIR/$name.toml" ]] || die "missing $CONF_DIR/$name.toml"
    http_addr_of "$CONF_DIR/$name.toml" >/dev/null
    PAIRS+=("$name" "$CONF_DIR/$name.toml")
  done
  use_tls_of "${PAIRS[1]}"
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_start() {
  local level name conf pid t0 running=0
  level=$(parse_level "${1:-info}")
  have java || die "java not found on PATH (JDK 17+ required)"
  have curl || die "curl not found on PATH (needed to check /health)"
  local -a pairs to_start=()
  load_cluster
  pairs=("${PAIRS[@]}")
  local i
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    name=${pairs[i]}
    conf=${pairs[i + 1]}
    if pid=$(running_pid "$name" "$conf"); then
      echo "$name is already running (pid $pid)"
      running=$((running + 1))
    else
      to_start+=("$name" "$conf")
    fi
  done
  t0=$(now_ms)
  if ((${#to_start[@]} == 0)); then
    echo "All nodes are already running."
  else
    ensure_jar "$running"
    t0=$(now_ms)
    for ((i = 0; i < ${#to_start[@]}; i += 2)); do
      launch "${to_start[i]}" "${to_start[i + 1]}" "$level"
    done
  fi
  echo "Waiting up to ${START_TIMEOUT_S}s for /health on every node..."
  wait_healthy "$t0" "${pairs[@]}" || exit 1
  report_leader wait "$t0" "${pairs[@]}" || die "the nodes answer /health but elected no leader within ${START_TIMEOUT_S}s"
}

cmd_stop() {
  local -a pairs
  load_cluster
  pairs=("${PAIRS[@]}")
  stop_nodes "${pairs[@]}"
}

cmd_status() {
  local -a pairs
  local i name conf pid http json
  load_cluster
  pairs=("${PAIRS[@]}")
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    name=${pairs[i]}
    conf=${pairs[i + 1]}
    http=$(http_addr_of "$conf")
    if pid=$(running_pid "$name" "$conf"); then
      if json=$(health_json "$http"); then
        printf '%-6s running  pid %-7s http %-16s %s\n' "$name" "$pid" "$http" "$(health_summary "$json")"
      else
        printf '%-6s running  pid %-7s http %-16s (no answer on /health)\n' "$name" "$pid" "$http"
      fi
    elif [[ -f $(pid_file "$name") ]]; then
      printf '%-6s stopped  (stale pid file %s)\n' "$name" "$(pid_file "$name")"
    else
      printf '%-6s stopped\n' "$name"
    fi
  done
}

cmd_logs() {
  local arg=${1:-} name file
  [[ -n $arg ]] || usage_error "logs needs a node: node1, node2, node3 (or 1, 2, 3)"
  if [[ $arg =~ ^[0-9]+$ ]]; then
    name="node$arg"
  else
    name=$(basename -- "$arg")
    name=${name%.log}
    name=${name%.toml}
  fi
  file=$(log_file "$name")
  [[ -f $file ]] || die "no log file $file (has $name been started?)"
  exec tail -n 100 -f "$file"
}

cmd_test() {
  have curl || die "curl not found on PATH"
  local -a pairs
  local i name conf http json failed=0
  load_cluster
  pairs=("${PAIRS[@]}")

  echo "1. Health"
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    name=${pairs[i]}
    conf=${pairs[i + 1]}
    http=$(http_addr_of "$conf")
    if json=$(health_json "$http") && [[ $(json_field "$json" status) == ok ]]; then
      echo "   $name ok ($(health_summary "$json"))"
    else
      echo "   $name FAILED: no healthy answer from $SCHEME://$http/health" >&2
      failed=1
    fi
  done
  ((failed == 0)) || die "cluster is not healthy; is it running? ('$0 status')"

  local key value first_http
  key="start-sh-test-$(date +%s)-$$-$RANDOM"
  value="value-$RANDOM-$RANDOM"
  first_http=$(http_addr_of "${pairs[1]}")

  echo "2. Write $key through ${pairs[0]}"
  http_call POST "$SCHEME://$first_http/set" "{\"key\":\"$key\",\"value\":\"$value\"}"
  if [[ $HTTP_CODE != 200 || $(json_field "$HTTP_BODY" success) != true ]]; then
    die "POST /set on ${pairs[0]} answered $HTTP_CODE: $HTTP_BODY"
  fi
  echo "   ok: $HTTP_BODY"

  echo "3. Read it back from every node"
  if ! expect_value_everywhere "$key" "$value" "${pairs[@]}"; then
    http_call POST "$SCHEME://$first_http/delete" "{\"key\":\"$key\"}" # best effort tidy-up
    die "replication check failed"
  fi

  echo "4. Delete it through ${pairs[0]}"
  http_call POST "$SCHEME://$first_http/delete" "{\"key\":\"$key\"}"
  if [[ $HTTP_CODE != 200 || $(json_field "$HTTP_BODY" success) != true ]]; then
    die "POST /delete on ${pairs[0]} answered $HTTP_CODE: $HTTP_BODY"
  fi
  echo "   ok: $HTTP_BODY"
  expect_value_everywhere "$key" null "${pairs[@]}" || die "delete was not seen by every node"

  echo "PASS: write, replicated read and delete work on all ${#NODES[@]} nodes"
}

# Checks GET /get on every listed node returns $2 for key $1 ("null" = absent). Reads are
# linearizable, so they should agree at once; a few retries cover a leader change mid-test.
expect_value_everywhere() {
  local key=$1 want=$2 name conf http got ok=0
  shift 2
  while (($# > 0)); do
    name=$1
    conf=$2
    shift 2
    http=$(http_addr_of "$conf")
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      http_get_key "$http" "$key"
      got=$(json_field "$HTTP_BODY" value)
      [[ $HTTP_CODE == 200 && $got == "$want" ]] && break
      sleep 0.5
    done
    if [[ $HTTP_CODE == 200 && $got == "$want" ]]; then
      echo "   $name ok (value $got)"
    else
      echo "   $name FAILED: GET /get answered $HTTP_CODE: $HTTP_BODY (expected value $want)" >&2
      ok=1
    fi
  done
  return $ok
}

cmd_clean() {
  local who
  if who=$(any_node_running); then
    die "refusing to clean while nodes run ($who); run '$0 stop' first"
  fi
  rm -f "$LOG_DIR"/*.log "$LOG_DIR"/*.pid
  echo "Removed log and pid files in $LOG_DIR/"
}

cmd_clean_all() {
  cmd_clean
  local -a pairs
  local i conf path abs
  load_cluster
  pairs=("${PAIRS[@]}")
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    conf=${pairs[i + 1]}
    path=$(conf_value data_path "$conf") || die "$conf: no data_path found"
    abs=$(canon "$path")
    # A typo such as data_path = "/" must not wipe a system directory.
    if [[ $abs == / || $abs == "$HOME" || $abs == "$ROOT" || $(tr -cd '/' <<<"$abs" | wc -c) -lt 2 ]]; then
      die "$conf: refusing to delete data_path '$path' (too close to the filesystem root, home or project)"
    fi
    if [[ -e $abs ]]; then
      rm -rf -- "$abs"
      echo "Removed $abs"
    fi
  done
}

cmd_start_node() {
  [[ $# -ge 1 && $# -le 2 ]] || usage_error "usage: $0 start-node <conf-file> [level]"
  local conf name level pid t0
  conf=$(resolve_conf "$1")
  level=$(parse_level "${2:-info}")
  name=$(node_name "$conf")
  use_tls_of "$conf"
  have java || die "java not found on PATH (JDK 17+ required)"
  have curl || die "curl not found on PATH (needed to check /health)"
  if pid=$(running_pid "$name" "$conf"); then
    echo "$name is already running (pid $pid)"
  else
    ensure_jar "$(count_running)"
    t0=$(now_ms)
    launch "$name" "$conf" "$level"
    wait_healthy "$t0" "$name" "$conf" || exit 1
    report_leader nowait "$t0" "$name" "$conf"
  fi
}

cmd_stop_node() {
  [[ $# -eq 1 ]] || usage_error "usage: $0 stop-node <conf-file>"
  local conf
  conf=$(resolve_conf "$1")
  stop_nodes "$(node_name "$conf")" "$conf"
}

# Number of raftkv processes recorded in logs/*.pid that are alive.
count_running() {
  local f n=0
  for f in "$LOG_DIR"/*.pid; do
    [[ -f $f ]] || continue
    if is_raftkv_java "$(tr -dc '0-9' <"$f")"; then n=$((n + 1)); fi
  done
  echo "$n"
}

cmd_help() {
  cat <<EOF
Usage: $0 <command> [arguments]

Manages the local three-node cluster described by conf/node1.toml .. node3.toml, or with
--tls (anywhere on the command line) by conf/tls/node1.toml .. node3.toml, whose certificates
"scripts/dev-certs.sh certs" makes; the TLS cluster logs to logs/tls/.

  start [level]              build $JAR if missing or older than src/ or pom.xml, start the
                             nodes that are not running, wait (${START_TIMEOUT_S}s max) for /health
                             and a leader
  stop                       SIGTERM every node, SIGKILL after ${STOP_TIMEOUT_S}s
  restart [level]            stop, then start
  status                     running/stopped per node, with state, term and leader
  logs <node>                follow a node's log (node1 or 1)
  test                       health of all nodes, then set/get/delete a unique key
  clean                      remove $LOG_DIR/*.log (refused while nodes run)
  clean-all                  clean, and delete every node's data_path (refused while nodes run)
  start-node <conf> [level]  start one node from any config file
  stop-node <conf>           stop the node started from that config file
  help                       this text

level is one of: $LEVELS (default info).
Environment: JVM_OPTS (replaces the default JVM flags), START_TIMEOUT_S, STOP_TIMEOUT_S;
for TLS nodes RAFTKV_CACERT, RAFTKV_CLIENT_CERT and RAFTKV_CLIENT_KEY (what curl presents).
Default JVM flags: $DEFAULT_JVM_OPTS
EOF
}

main() {
  # --tls may stand anywhere: it picks the TLS configs, and their own logs and PID files.
  local -a rest=()
  local arg
  for arg in "$@"; do
    if [[ $arg == --tls ]]; then
      CONF_DIR="conf/tls"
      LOG_DIR="logs/tls"
    else
      rest+=("$arg")
    fi
  done
  set -- ${rest[@]+"${rest[@]}"}
  local cmd=${1:-help}
  (($# > 0)) && shift
  case $cmd in
    start)
      (($# <= 1)) || usage_error "usage: $0 start [level]"
      cmd_start "$@"
      ;;
    stop)
      (($# == 0)) || usage_error "usage: $0 stop"
      cmd_stop
      ;;
    restart)
      (($# <= 1)) || usage_error "usage: $0 restart [level]"
      [[ $# -eq 0 ]] || parse_level "$1" >/dev/null
      cmd_stop
      cmd_start "$@"
      ;;
    status)
      (($# == 0)) || usage_error "usage: $0 status"
      cmd_status
      ;;
    logs)
      (($# == 1)) || usage_error "usage: $0 logs <node>"
      cmd_logs "$1"
      ;;
    test)
      (($# == 0)) || usage_error "usage: $0 test"
      cmd_test
      ;;
    clean)
      (($# == 0)) || usage_error "usage: $0 clean"
      cmd_clean
      ;;
    clean-all)
      (($# == 0)) || usage_error "usage: $0 clean-all"
      cmd_clean_all
      ;;
    start-node) cmd_start_node "$@" ;;
    stop-node) cmd_stop_node "$@" ;;
    help | -h | --help) cmd_help ;;
    *) usage_error "unknown command '$cmd'" ;;
  esac
}

main "$@"
