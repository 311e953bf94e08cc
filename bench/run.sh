#!/usr/bin/env bash
# The benchmark, end to end: the product under load, then the bare ocpp + websockets
# server under the same load, side by side. See bench/README.md.
#
#   bench/run.sh [--postgres] [--chargers N] [--rate R] [--duration S] [--procs P]
#                [--api-rate A [--two-procs]] [--no-bare] [--out FILE] [-- extra load.py args]
#   bench/run.sh --step FROM:BY:TO [--p99-limit MS] ...   the maximum sustained rate, for both servers
#   bench/run.sh --nodes N ...   N daphne processes on Redis, the chargers spread over them
#   bench/run.sh --fleet ...     the fleet mix (bench/fleet.py): each charger on its own clock
#   bench/run.sh --fleet --storm-at S ...   and S seconds into the steady phase every node is killed
#                                and started again: the reconnect storm (no bare server run)
#
# --step runs the load at FROM, FROM+BY, ... up to TO msg/s, one run per rate against the same
# server, until a rate is not held: p99 over --p99-limit (default 100 ms), less than 98% of the
# rate answered, or a connection lost. The highest rate held is each server's maximum sustained rate.
#
# SQLite by default (a fresh file under var/); --postgres uses a fresh database
# $BENCH_PG_NAME (default csms_bench) on $BENCH_PG (default postgres://postgres@127.0.0.1:5432);
# --keep-db keeps that database if it exists, with the chargers registered by an earlier run.
# --two-procs (with --api-rate) runs two daphne processes on Redis (DB $BENCH_REDIS_DB,
# default 10): chargers on the first, API commands sent through the second.
# BENCH_NICE=-10 runs the servers and the generator at that priority (as root), for a
# machine that other work shares; the figures say so (loadavg_before in each result).
# With autogroup scheduling, nice alone only ranks processes inside one session, so the
# session's autogroup gets the same nice (run it under `setsid` to confine that).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
NICE=(nice -n "${BENCH_NICE:-0}")
if [[ -n ${BENCH_NICE:-} && -w /proc/$$/autogroup ]]; then echo "$BENCH_NICE" > /proc/$$/autogroup; fi
POSTGRES=0 CHARGERS=1000 RATE=1000 DURATION=60 PROCS=2 API_RATE=0 TWO=0 BARE=1 STEP="" P99_LIMIT=100 NODES=1
FLEET=() STORM_AT="" KEEP_DB=0
OUT=var/bench-results.jsonl
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --postgres) POSTGRES=1 ;;
    --chargers) CHARGERS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --procs) PROCS=$2; shift ;;
    --api-rate) API_RATE=$2; shift ;;
    --two-procs) TWO=1 ;;
    --nodes) NODES=$2; shift ;;
    --no-bare) BARE=0 ;;
    --fleet) FLEET=(--fleet) ;;
    --keep-db) KEEP_DB=1 ;;
    --storm-at) STORM_AT=$2; BARE=0; shift ;;
    --step) STEP=$2; shift ;;
    --p99-limit) P99_LIMIT=$2; shift ;;
    --out) OUT=$2; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p var
ulimit -n "$(ulimit -Hn)"  # a socket per charger: as many as this machine lets one process have
PORT=${BENCH_PORT:-8800} BARE_PORT=${BENCH_BARE_PORT:-8900}
PORT2=$((PORT + NODES))  # --two-procs: the node the API commands go through
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() {  # wait (max 30 s) until something listens on 127.0.0.1:$1
  for _ in $(seq 300); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

if [[ $POSTGRES == 1 ]]; then
  PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432} NAME=${BENCH_PG_NAME:-csms_bench}
  $PY - "$PG" "$NAME" "$KEEP_DB" <<'EOF'
import sys, psycopg
with psycopg.connect(sys.argv[1] + "/postgres", autocommit=True) as c:
    if sys.argv[3] == "1" and c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [sys.argv[2]]).fetchone():
        sys.exit(0)
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
    c.execute(f'CREATE DATABASE "{sys.argv[2]}"')
EOF
  export DATABASE_URL=$PG/$NAME DB_LABEL=postgres
else
  rm -f var/bench.sqlite3 var/bench.sqlite3-wal var/bench.sqlite3-shm
  export DATABASE_URL=sqlite:///$PWD/var/bench.sqlite3 DB_LABEL=sqlite
fi
# Several nodes on this machine: one frame worker each, as deploy/run.sh starts them.
if [[ $NODES -gt 1 ]]; then export CSMS_DB_WORKERS=${CSMS_DB_WORKERS:-1}; fi
if [[ $TWO == 1 || $NODES -gt 1 ]]; then export REDIS_URL=${BENCH_REDIS:-redis://127.0.0.1:6379/${BENCH_REDIS_DB:-10}}; else unset REDIS_URL; fi
$PY manage.py migrate --noinput -v 0

LOAD=(--chargers "$CHARGERS" --duration "$DURATION" --procs "$PROCS" --json-out "$OUT" "${FLEET[@]}" "${EXTRA[@]}")
RUN_ID=$(date +%s)
if [[ -n $STEP ]]; then IFS=: read -r FROM BY TO <<< "$STEP"; RATES=($(seq "$FROM" "$BY" "$TO")); else RATES=("$RATE"); fi
MAX_HELD=()

held() {  # whether the last result line in $OUT held its rate (see --step)
  $PY - "$OUT" "$P99_LIMIT" <<'PYEOF'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
p99 = r["latency_ms"].get("p99")
ok = p99 is not None and p99 < float(sys.argv[2]) and r["sustained_msgs_per_s"] >= 0.98 * r["target_rate"] and r["held"] == r["chargers"]
sys.exit(0 if ok else 1)
PYEOF
}

load_steps() {  # load_steps NAME load.py-args...: the load at each of RATES, stopping at the first not held
  local name=$1 best=none; shift
  for rate in "${RATES[@]}"; do
    "${NICE[@]}" $PY bench/load.py "$@" --rate "$rate" "${LOAD[@]}"
    if [[ -z $STEP ]]; then return; fi
    if held; then best=$rate; else break; fi
  done
  MAX_HELD+=("$name: $best msg/s (p99 under $P99_LIMIT ms, every connection held)")
}

# daphne as `make run` starts it (default verbosity: access log on stdout), once per node.
SERVERS=() URLS=()
for port in $(seq "$PORT" $((PORT + NODES - 1))); do
  DAPHNE=("${NICE[@]}" .venv/bin/daphne -b 127.0.0.1 -p "$port" csms.asgi:application)
  "${DAPHNE[@]}" > "var/bench-daphne-$port.log" 2>&1 &
  PIDS+=($!); SERVERS+=(--server-pid "$!"); URLS+=("ws://127.0.0.1:$port/ocpp")
  # --storm-at: load.py kills this node and starts it again with the same command (log: var/bench-restart-N.log)
  if [[ -n $STORM_AT ]]; then SERVERS+=(--restart-cmd "${DAPHNE[*]}"); fi
done
if [[ -n $STORM_AT ]]; then SERVERS+=(--storm-at "$STORM_AT"); fi
API=()
if [[ $TWO == 1 ]]; then
  "${NICE[@]}" .venv/bin/daphne -b 127.0.0.1 -p "$PORT2" csms.asgi:application > "var/bench-daphne-$PORT2.log" 2>&1 &
  PIDS+=($!); SERVERS+=(--server-pid "$!"); API=(--api-url "http://127.0.0.1:$PORT2")
  wait_port "$PORT2"
fi
if [[ $API_RATE != 0 ]]; then API+=(--api-rate "$API_RATE"); fi
for port in $(seq "$PORT" $((PORT + NODES - 1))); do wait_port "$port"; done
LABEL="product-$DB_LABEL"
if [[ $NODES -gt 1 ]]; then LABEL+="-${NODES}nodes-redis"; fi
if [[ $TWO == 1 ]]; then LABEL+="-2procs-redis"; fi
if [[ ${#FLEET[@]} -gt 0 ]]; then LABEL+="-fleet"; fi
if [[ -n $STORM_AT ]]; then LABEL+="-storm"; fi
load_steps "$LABEL" --url "$(IFS=,; echo "${URLS[*]}")" --register --verify --label "$LABEL" \
  --run-id "$RUN_ID" "${SERVERS[@]}" "${API[@]}"
cleanup; PIDS=()

if [[ $BARE == 1 ]]; then
  "${NICE[@]}" $PY bench/bare_server.py --port "$BARE_PORT" > var/bench-bare.log 2>&1 &
  BARE_PID=$!; PIDS+=($BARE_PID)
  wait_port "$BARE_PORT"
  load_steps bare --url "ws://127.0.0.1:$BARE_PORT/ocpp" --label bare --run-id "$RUN_ID" --server-pid "$BARE_PID"
  cleanup; PIDS=()
fi
$PY bench/compare.py "$OUT" --run-id "$RUN_ID"
if [[ -n $STEP ]]; then echo; echo "Maximum sustained rate, $CHARGERS chargers:"; printf '  %s\n' "${MAX_HELD[@]}"; fi
