#!/usr/bin/env bash
# bench/http1.sh — HTTP/1.1 raw speed and per-connection memory of zkgate, against nginx.
#
# Why: absolute numbers say little about a machine nobody else has, so zkgate is measured
# against nginx in the same run, on the same cores, with the same load generator, and the
# result that matters is the ratio. This is a benchmark, never a timed test: it is not part of
# scripts/test.sh or CI.
#
# What it does:
#   1. Installs wrk and nginx (scripts/setup.sh --bench) and builds zkgate in release mode.
#   2. Starts nginx (1 worker, access_log off, GET /healthz answered from the config) and
#      zkgate (--threads 1 --access-log off), both pinned to CPU 0; wrk runs on CPU 1.
#   3. Warm-up, then ROUNDS rounds of `wrk -t1 -c64 -dDURATION --latency` against each server,
#      alternating which goes first. Prints req/s, p99, the server's CPU use, requests per
#      server CPU-millisecond and how busy each core was for each run, then the medians and
#      the ratios zkgate/nginx (req/s: higher is better; p99: lower is better). Requests per
#      CPU-millisecond is the figure least disturbed by other load on a shared machine; the
#      core columns show when there was such load (the script also warns if the cores were
#      busy before it started).
#   4. Memory: restarts each server, reads its RSS idle, then while bench/idle_conns.py holds
#      CONNS keep-alive connections that have each made one request, and prints the bytes per
#      idle connection.
# Raw wrk output, server logs and the summary go to bench/results/http1-<time>/ (gitignored).
# Every process the script starts is stopped by its pid when it exits, however it exits.
#
# Environment (defaults in brackets):
#   DURATION [10]     seconds per wrk run          ROUNDS [5]     measured rounds
#   WARMUP [3]        seconds of warm-up per server
#   WRK_CONNS [64]    wrk connections              CONNS [10000]  idle connections (memory)
#   ZK_PORT [18080]   NGINX_PORT [18081]
#   SCRATCH_PATH      build folder for `swift build --scratch-path` (default: SwiftPM's .build)
#   ZKGATE_BIN        use this binary instead of building one
#   SKIP_MEMORY=1     skip the memory part
#
# Example: DURATION=5 ROUNDS=3 bench/http1.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
WARMUP="${WARMUP:-3}"
WRK_CONNS="${WRK_CONNS:-64}"
CONNS="${CONNS:-10000}"
ZK_PORT="${ZK_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
SCRATCH_PATH="${SCRATCH_PATH:-}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
SKIP_MEMORY="${SKIP_MEMORY:-0}"
HOST=127.0.0.1
SERVER_CPU=0
CLIENT_CPU=1

OUT="bench/results/http1-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench.XXXXXX)"
mkdir -p "$OUT"

# --- output ----------------------------------------------------------------------------------
# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=http1.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# --- process management ----------------------------------------------------------------------
# wait_ready NAME PID PORT LOG: poll /healthz until it answers, or fail with the log's tail.
wait_ready() {
    local name="$1" pid="$2" port="$3" log="$4" i
    for ((i = 0; i < 100; i++)); do
        if ! is_running "$pid"; then
            tail -n 20 "$log" >&2 || true
            die "$name exited during startup (log: $log)"
        fi
        if curl -fsS --max-time 1 -o /dev/null "http://$HOST:$port/healthz" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    die "$name did not answer on port $port within 10 s (log: $log)"
}

# check_healthz NAME PORT: the answer must be 200, JSON, body exactly {"status":"ok"}, so that
# both servers do the same work per request.
check_healthz() {
    local name="$1" port="$2" body ctype code
    body="$(curl -sS --max-time 2 -D "$TMP/headers" "http://$HOST:$port/healthz")" \
        || die "$name: GET /healthz failed"
    code="$(awk 'NR==1 {print $2}' "$TMP/headers")"
    ctype="$(awk -F': *' 'tolower($1)=="content-type" {print $2}' "$TMP/headers" | tr -d '\r')"
    [[ "$code" == "200" ]] || die "$name: GET /healthz answered $code"
    [[ "$ctype" == application/json* ]] || die "$name: Content-Type is '$ctype'"
    [[ "$body" == '{"status":"ok"}' ]] || die "$name: body is '$body'"
}

ZK_PID=""
start_zkgate() { # start_zkgate TAG [extra serve args...]
    local tag="$1"; shift
    port_busy "$ZK_PORT" && die "port $ZK_PORT is already in use"
    taskset -c "$SERVER_CPU" "$ZKGATE" serve --listen "$HOST:$ZK_PORT" --threads 1 \
        --access-log off "$@" >"$OUT/zkgate-$tag.log" 2>&1 &
    ZK_PID=$!
    PIDS+=("$ZK_PID")
    wait_ready zkgate "$ZK_PID" "$ZK_PORT" "$OUT/zkgate-$tag.log"
    check_healthz zkgate "$ZK_PORT"
}

NGINX_PID=""
NGINX_PIDS=()
start_nginx() { # start_nginx TAG
    launch_nginx "$1"
    wait_ready nginx "$NGINX_PID" "$NGINX_PORT" "$OUT/nginx-$1.log"
    check_healthz nginx "$NGINX_PORT"
    mapfile -t NGINX_PIDS < <(family "$NGINX_PID")   # master and worker
}

# --- measurement helpers -----------------------------------------------------------------------
# rss_kb PID...: the sum of VmRSS (KiB) of the given processes.
rss_kb() {
    local total=0 pid kb
    for pid in "$@"; do
        kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}
# socket_fds PID...: descriptors that are sockets, summed over the processes.
socket_fds() {
    local total=0 pid n
    for pid in "$@"; do
        n="$(find "/proc/$pid/fd" -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l)"
        total=$((total + n))
    done
    echo "$total"
}

# run_wrk NAME PORT SECONDS OUTFILE SERVER_PID...: bench/lib.sh's wrk_measure of GET /healthz
# with WRK_CONNS connections (RPS, P99_MS, CPU_PCT, REQ_PER_CPU_MS, SERVER_CORE, CLIENT_CORE).
run_wrk() {
    local name="$1" port="$2" secs="$3" outfile="$4"; shift 4
    MEASURE_PIDS=("$@")
    wrk_measure "$name" "$WRK_CONNS" "$secs" "$outfile" "http://$HOST:$port/healthz"
}

# --- preparation -----------------------------------------------------------------------------
bash scripts/setup.sh --bench

need_tools wrk nginx taskset curl python3
if [[ "$(nproc)" -lt 2 ]]; then
    die "needs at least 2 CPUs (server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU)"
fi

build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"

# Servers and idle clients inherit this: as many descriptors as the hard limit allows.
ulimit -n "$(ulimit -Hn)"

say "== bench/http1.sh: zkgate vs nginx, HTTP/1.1 GET /healthz =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources Package.swift)"
say "cpu:      $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores"
say "zkgate:   $ZKGATE (--threads 1 --access-log off), CPU $SERVER_CPU"
say "nginx:    $(nginx -v 2>&1 | sed 's/^nginx version: //') (1 worker, access_log off), CPU $SERVER_CPU"
say "wrk:      $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t1 -c$WRK_CONNS -d${DURATION}s --latency, CPU $CLIENT_CPU"
say "rounds:   $ROUNDS (after ${WARMUP}s warm-up each), alternating which server goes first"
# How busy the two cores are before anything starts: other load makes the numbers noisy.
load_sample
say "load:     $LOAD_LINE before the run"
if (( ${BUSY_SERVER%\%} > 10 || ${BUSY_CLIENT%\%} > 10 )); then
    say "warning:  the machine is busy with other work; expect noisy results"
fi
say "results:  $OUT"
say ""

# --- part 1: throughput and latency ----------------------------------------------------------
# worker_connections covers the idle-connection test.
write_nginx_conf "$((CONNS + 1024))" '{"status":"ok"}' /healthz
start_zkgate speed
start_nginx speed

run_wrk zkgate "$ZK_PORT" "$WARMUP" "$OUT/warmup-zkgate.txt" "$ZK_PID"
run_wrk nginx "$NGINX_PORT" "$WARMUP" "$OUT/warmup-nginx.txt" "${NGINX_PIDS[@]}"

ZK_RPS=(); ZK_P99=(); ZK_EFF=(); NG_RPS=(); NG_P99=(); NG_EFF=()
FMT_ROUND='%-6s %-7s %10s %9s %11s %11s %8s %8s\n'
sayf "$FMT_ROUND" round server 'req/s' 'p99 ms' 'server CPU' 'req/CPU-ms' "core $SERVER_CPU" "core $CLIENT_CPU"
for ((r = 1; r <= ROUNDS; r++)); do
    # Alternate the order so neither server always runs right after the other.
    if ((r % 2)); then order=(zkgate nginx); else order=(nginx zkgate); fi
    for name in "${order[@]}"; do
        if [[ "$name" == zkgate ]]; then
            run_wrk zkgate "$ZK_PORT" "$DURATION" "$OUT/round$r-zkgate.txt" "$ZK_PID"
            ZK_RPS+=("$RPS"); ZK_P99+=("$P99_MS"); ZK_EFF+=("$REQ_PER_CPU_MS")
        else
            run_wrk nginx "$NGINX_PORT" "$DURATION" "$OUT/round$r-nginx.txt" "${NGINX_PIDS[@]}"
            NG_RPS+=("$RPS"); NG_P99+=("$P99_MS"); NG_EFF+=("$REQ_PER_CPU_MS")
        fi
        sayf "$FMT_ROUND" "$r" "$name" "$(printf '%.0f' "$RPS")" "$P99_MS" "$CPU_PCT%" "$REQ_PER_CPU_MS" \
            "$SERVER_CORE" "$CLIENT_CORE"
    done
done

stop_zkgate
stop_nginx

zk_rps="$(median "${ZK_RPS[@]}")"; zk_p99="$(median "${ZK_P99[@]}")"; zk_eff="$(median "${ZK_EFF[@]}")"
ng_rps="$(median "${NG_RPS[@]}")"; ng_p99="$(median "${NG_P99[@]}")"; ng_eff="$(median "${NG_EFF[@]}")"
FMT_MEDIAN='%-14s %12s %10s %14s\n'
say ""
sayf "$FMT_MEDIAN" median 'req/s' 'p99 ms' 'req/CPU-ms'
sayf "$FMT_MEDIAN" zkgate "$(printf '%.0f' "$zk_rps")" "$zk_p99" "$zk_eff" \
    nginx "$(printf '%.0f' "$ng_rps")" "$ng_p99" "$ng_eff"
sayf "$FMT_MEDIAN" zkgate/nginx "$(ratio "$zk_rps" "$ng_rps")" "$(ratio "$zk_p99" "$ng_p99")" \
    "$(ratio "$zk_eff" "$ng_eff")"
say "(req/s and req/CPU-ms ratios: higher is better; p99 ratio: lower is better."
say " server CPU: the server's own use of its core; core N: all use of that core. A server"
say " under ~95% with its core full was sharing it; with the client core full, wrk was the limit.)"

# --- part 2: memory per idle keep-alive connection -------------------------------------------
# measure_memory NAME PORT PID...: RSS of the processes idle, then with CONNS idle connections.
measure_memory() {
    local name="$1" port="$2"; shift 2
    local pids=("$@") idle with fds ic_pid ic_log="$OUT/idle-$name.log" i
    sleep 1
    idle="$(rss_kb "${pids[@]}")"
    python3 bench/idle_conns.py --host "$HOST" --port "$port" --conns "$CONNS" >"$ic_log" 2>&1 &
    ic_pid=$!
    PIDS+=("$ic_pid")
    for ((i = 0; i < 1200; i++)); do
        grep -q '^ready' "$ic_log" && break
        is_running "$ic_pid" || { cat "$ic_log" >&2; die "idle_conns.py failed against $name"; }
        sleep 0.1
    done
    grep -q '^ready' "$ic_log" || die "idle_conns.py did not get ready against $name in 120 s"
    sleep 2   # let the server settle (timers armed, buffers returned)
    with="$(rss_kb "${pids[@]}")"
    fds="$(socket_fds "${pids[@]}")"
    stop_pid "$ic_pid" 10
    if [[ "$STOP_STATUS" -ne 0 ]]; then
        say "warning: idle_conns.py against $name exited $STOP_STATUS: $(tail -n 1 "$ic_log")"
    fi
    sayf '%-7s %12s %14s %12s %14s\n' "$name" "$((idle))" "$((with))" "$fds" \
        "$(awk -v a="$idle" -v b="$with" -v n="$CONNS" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')"
}

if [[ "$SKIP_MEMORY" != "1" ]]; then
    say ""
    say "== memory: $CONNS idle keep-alive connections, each after one GET /healthz =="
    say "(fresh servers; RSS from /proc/PID/status VmRSS; nginx = master + worker)"
    sayf '%-7s %12s %14s %12s %14s\n' server 'idle KiB' "with KiB" 'sockets' 'bytes/conn'

    start_zkgate memory --idle-timeout 300
    measure_memory zkgate "$ZK_PORT" "$ZK_PID"
    stop_zkgate

    start_nginx memory
    measure_memory nginx "$NGINX_PORT" "${NGINX_PIDS[@]}"
    stop_nginx
    say "(nginx allocates its connection table for worker_connections at startup, so its"
    say " idle RSS already holds part of each connection's cost)"
fi

say ""
say "raw output: $OUT"
