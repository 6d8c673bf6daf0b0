#!/usr/bin/env bash
# bench/v1.sh — REST API v1 of zkgate against its peers: node reads, parked long-polls, writes.
#
# Why: zkgate's goals for API v1 are ratios to known servers, not absolute numbers (which say
# little about a machine nobody else has): a node GET at least 2× etcd v2's GET and at least
# 0.7× nginx answering a fixed string; a parked long-poll costing at most 4 KiB of server
# memory; one change reaching 15,000 waiters with a p99 at most 0.25× etcd v2's watchers. So
# each figure is measured against its peer in the same run, on the same cores, with the same
# client. This is a benchmark, never a timed test: it is not part of scripts/test.sh or CI.
#
# What it does:
#   0. Installs wrk and nginx (scripts/setup.sh --bench) and etcd-server (etcd 3.4 from Debian,
#      when `etcd` is not on PATH), and builds zkgate in release mode.
#   FANOUT_CORES=all runs part 2 with both servers on every core at their defaults.
#   1. GET of a small node: zkgate (--threads 1) `GET /v1/nodes/bench/small` (15 bytes of data),
#      etcd v2 `GET /v2/keys/bench/small` (a 15-byte value; etcd with GOMAXPROCS=1 so that it
#      too runs one thread of Go code at a time) and nginx (1 worker) `return 200` of a 15-byte
#      JSON body. Servers pinned to CPU 0, wrk on CPU 1. Warm-up, then ROUNDS rounds of
#      `wrk -t1 -c64 -dDURATION --latency`, rotating which server goes first. Prints req/s,
#      p99, the server's CPU use, requests per server CPU-millisecond (the figure least
#      disturbed by other load) and how busy each core was, then medians and the ratios
#      zkgate/etcd and zkgate/nginx.
#   2. Parked long-polls: fresh servers; bench/longpoll.py (on CPU 1) parks PARKED long-polls
#      on one node (zkgate `?index=I&wait=55s`, etcd `?wait=true&waitIndex=I`) from several
#      client processes and source addresses 127.0.0.2-9, waits until the server's /metrics
#      counts them all, prints the server's RSS per parked request, then does one PUT and
#      prints p50/p99/max of the time from sending it to each poller's answer (kernel receive
#      timestamps). Ratio of the p99s zkgate/etcd. Then the floor (bench/fanout/floor.c, 3
#      rounds): a bare loop of send(2), one FLOOR_BYTES answer per connection to PARKED
#      loopback connections, pinned like the servers, timed the same way. No server can answer
#      faster on this machine; its ratio to etcd's p99 shows whether the goal is reachable.
#   3. Writes: fresh servers (data on disk, every write fsynced before its answer); for each
#      C in WRITERS, `wrk -t1 -cC` with a Lua script doing sequential PUTs of distinct new
#      nodes for PUT_SECONDS on each server. Prints writes/s, p50/p99, the count of stored
#      nodes (checked after the run) and the speed-up over one writer: how group commit scales.
# Raw wrk and client output, server logs, the configs and the summary go to
# bench/results/v1-<time>/ (gitignored). Every process the script starts is stopped by its pid
# when it exits, however it exits. The data folders are temporary and removed at the end.
#
# Environment (defaults in brackets):
#   DURATION [10]       seconds per wrk run (part 1)    ROUNDS [5]   measured rounds (part 1)
#   WARMUP [3]          seconds of warm-up per server   WRK_CONNS [64]
#   PARKED [15000]      long-polls (part 2)             POLL_PROCS [4] client processes (part 2)
#   WRITERS ["1 4 16 64"] concurrent writers (part 3)   PUT_SECONDS [DURATION] per writer count
#   FLOOR_BYTES [414]   the floor's answer size: zkgate's long-poll answer here (head and body)
#   ZK_PORT [18080] NGINX_PORT [18081] ETCD_PORT [18082] ETCD_PEER_PORT [18083]
#   SCRATCH_PATH [.build-bench]  build folder for `swift build --scratch-path`
#   ZKGATE_BIN          use this binary instead of building one
#   SKIP_GET=1 SKIP_PARKED=1 SKIP_PUT=1   skip a part
#
# Example: DURATION=5 ROUNDS=3 PARKED=15000 bench/v1.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
WARMUP="${WARMUP:-3}"
WRK_CONNS="${WRK_CONNS:-64}"
PARKED="${PARKED:-15000}"
POLL_PROCS="${POLL_PROCS:-4}"
FLOOR_BYTES="${FLOOR_BYTES:-414}"
WRITERS="${WRITERS:-1 4 16 64}"
PUT_SECONDS="${PUT_SECONDS:-$DURATION}"
ZK_PORT="${ZK_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
ETCD_PORT="${ETCD_PORT:-18082}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-18083}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
SKIP_GET="${SKIP_GET:-0}"
SKIP_PARKED="${SKIP_PARKED:-0}"
SKIP_PUT="${SKIP_PUT:-0}"
HOST=127.0.0.1
SERVER_CPU=0
# FANOUT_CORES=all runs part 2 with both servers on every core at their defaults (zkgate one
# loop per core, etcd GOMAXPROCS = cores) instead of one core each.
FANOUT_CORES="${FANOUT_CORES:-one}"
CLIENT_CPU=1
SMALL_DATA=0123456789abcde          # 15 bytes: the node's data and etcd's value
SMALL_JSON='{"status":"ok"}'        # 15 bytes: nginx's answer

OUT="bench/results/v1-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench-v1.XXXXXX)"
mkdir -p "$OUT"

# --- output ----------------------------------------------------------------------------------
# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=v1.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# --- process management ----------------------------------------------------------------------
# wait_ready NAME PID PORT LOG PATH EXPECT: poll http://HOST:PORT/PATH until its body contains
# EXPECT, or fail with the log's tail.
wait_ready() {
    local name="$1" pid="$2" port="$3" log="$4" path="$5" expect="$6" i body
    for ((i = 0; i < 150; i++)); do
        if ! is_running "$pid"; then
            tail -n 20 "$log" >&2 || true
            die "$name exited during startup (log: $log)"
        fi
        body="$(curl -fsS --max-time 1 "http://$HOST:$port$path" 2>/dev/null || true)"
        [[ "$body" == *"$expect"* ]] && return 0
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    die "$name did not answer on port $port within 15 s (log: $log)"
}

ZK_PID=""
start_zkgate() { # start_zkgate TAG: a fresh data folder each time
    local tag="$1"
    port_busy "$ZK_PORT" && die "port $ZK_PORT is already in use"
    # ALL_CORES=1 (the fan-out part with FANOUT_CORES=all): the default one loop per core, unpinned.
    local pin=(taskset -c "$SERVER_CPU") threads=1
    [[ "${ALL_CORES:-0}" == "1" ]] && pin=() && threads="$(nproc)"
    "${pin[@]}" "$ZKGATE" serve --listen "$HOST:$ZK_PORT" --threads "$threads" \
        --access-log off --data-dir "$TMP/zkgate-$tag" --max-parked "$((PARKED + 1000))" \
        --max-wait 55 >"$OUT/zkgate-$tag.log" 2>&1 &
    ZK_PID=$!
    PIDS+=("$ZK_PID")
    wait_ready zkgate "$ZK_PID" "$ZK_PORT" "$OUT/zkgate-$tag.log" /healthz '"ok"'
}

ETCD_PID=""
start_etcd() { # start_etcd TAG: a one-member cluster on loopback, a fresh data folder each time
    local tag="$1"
    port_busy "$ETCD_PORT" && die "port $ETCD_PORT is already in use"
    port_busy "$ETCD_PEER_PORT" && die "port $ETCD_PEER_PORT is already in use"
    # GOMAXPROCS=1: one thread runs Go code at a time, as zkgate runs one event loop thread;
    # with ALL_CORES=1, etcd's default (every core), unpinned, as zkgate's.
    local pin=(taskset -c "$SERVER_CPU") procs=1
    [[ "${ALL_CORES:-0}" == "1" ]] && pin=() && procs="$(nproc)"
    GOMAXPROCS="$procs" "${pin[@]}" etcd --name bench --data-dir "$TMP/etcd-$tag" \
        --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
        --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
        --initial-cluster "bench=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state new \
        --enable-v2=true --logger zap --log-level warn >"$OUT/etcd-$tag.log" 2>&1 &
    ETCD_PID=$!
    PIDS+=("$ETCD_PID")
    wait_ready etcd "$ETCD_PID" "$ETCD_PORT" "$OUT/etcd-$tag.log" /health '"true"'
}
stop_etcd() {
    stop_pid "$ETCD_PID" 15
    ETCD_PID=""
}

NGINX_PID=""
NGINX_PIDS=()
start_nginx() { # start_nginx TAG
    launch_nginx "$1"
    wait_ready nginx "$NGINX_PID" "$NGINX_PORT" "$OUT/nginx-$1.log" /healthz '"ok"'
    mapfile -t NGINX_PIDS < <(family "$NGINX_PID")   # master and worker
}

# --- preparation -----------------------------------------------------------------------------
bash scripts/setup.sh --bench
# etcd 3.4 from Debian (the v2 API peer). scripts/setup.sh's BENCH_PACKAGES should list
# etcd-server; until it does, install it here. Debian's package would start an etcd service on
# machines with an init system: this script uses its own ports and data folder, not that one.
if ! command -v etcd >/dev/null 2>&1; then
    echo "v1.sh: installing etcd-server (etcd 3.4, the v2 API peer)"
    SUDO=()
    [[ "$(id -u)" -ne 0 ]] && SUDO=(sudo -n)
    # The package lists may be absent on a fresh image: update them first.
    { "${SUDO[@]}" apt-get -qq -o DPkg::Lock::Timeout=300 update &&
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=300 etcd-server; } >"$OUT/apt-etcd.log" 2>&1 \
        || { tail -n 20 "$OUT/apt-etcd.log" >&2; die "apt-get install -y etcd-server failed"; }
fi

need_tools wrk nginx etcd taskset curl python3
if [[ "$(nproc)" -lt 2 ]]; then
    die "needs at least 2 CPUs (servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU)"
fi

build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"

# Servers and clients inherit this: as many descriptors as the hard limit allows.
ulimit -n "$(ulimit -Hn)"
if [[ "$(ulimit -n)" != unlimited ]] && (( $(ulimit -n) < PARKED + 1000 )); then
    die "PARKED=$PARKED needs about $((PARKED + 1000)) descriptors in the server; the limit is $(ulimit -n)"
fi

DATA_FS="$(stat -f -c %T "$TMP")"
say "== bench/v1.sh: zkgate REST API v1 vs etcd v2 and nginx =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources Package.swift)"
say "cpu:      $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(ulimit -n) descriptors per process"
say "zkgate:   $ZKGATE (--threads 1 --access-log off --max-parked $((PARKED + 1000)) --max-wait 55), CPU $SERVER_CPU"
say "etcd:     $(etcd --version 2>/dev/null | awk '/^etcd Version/ {print $3}') (GOMAXPROCS=1, one member, --enable-v2=true), CPU $SERVER_CPU"
say "nginx:    $(nginx -v 2>&1 | sed 's/^nginx version: //') (1 worker, access_log off, return 200 '$SMALL_JSON'), CPU $SERVER_CPU"
say "wrk:      $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t1, CPU $CLIENT_CPU; bench/longpoll.py on CPU $CLIENT_CPU"
say "data:     $TMP ($DATA_FS; zkgate fdatasyncs its log, etcd its WAL, before answering a write)"
say "load:     $(load_line) before the run"
if (( $(cut -d' ' -f1 /proc/loadavg | cut -d. -f1) >= 1 )); then
    say "warning:  the machine is busy with other work; expect noisy results"
fi
[[ "$DATA_FS" == tmpfs || "$DATA_FS" == ramfs ]] && say "warning:  $TMP is on $DATA_FS: fsync costs nothing there"
say "results:  $OUT"

# --- part 1: GET of a small node ---------------------------------------------------------------
if [[ "$SKIP_GET" != "1" ]]; then
    say ""
    say "== 1. GET of a 15-byte node: wrk -t1 -c$WRK_CONNS -d${DURATION}s --latency, $ROUNDS rounds after ${WARMUP}s warm-up =="
    write_nginx_conf "$((WRK_CONNS + 1024))" "$SMALL_JSON" /healthz /small
    start_zkgate get
    start_etcd get
    start_nginx get
    curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' \
        -d "{\"data\":\"$SMALL_DATA\"}" "http://$HOST:$ZK_PORT/v1/nodes/bench/small?parents=true" >/dev/null
    curl_ok etcd "200 201" -X PUT "http://$HOST:$ETCD_PORT/v2/keys/bench/small" -d "value=$SMALL_DATA" >/dev/null
    declare -A URL=(
        [zkgate]="http://$HOST:$ZK_PORT/v1/nodes/bench/small"
        [etcd]="http://$HOST:$ETCD_PORT/v2/keys/bench/small"
        [nginx]="http://$HOST:$NGINX_PORT/small"
    )
    for name in zkgate etcd nginx; do
        body="$(curl_ok "$name" 200 "${URL[$name]}")"
        [[ "$body" == *"$SMALL_DATA"* || "$body" == "$SMALL_JSON" ]] || die "$name: unexpected body: $body"
        sizes="$(curl -sS -o /dev/null -w '%{size_header} + %{size_download}' "${URL[$name]}")"
        say "$(printf '%-7s %s: answer %s bytes (head + body)' "$name" "${URL[$name]#http://*/}" "$sizes")"
    done
    server_pids() { # server_pids NAME: sets MEASURE_PIDS
        case "$1" in
            zkgate) MEASURE_PIDS=("$ZK_PID") ;;
            etcd) MEASURE_PIDS=("$ETCD_PID") ;;
            nginx) MEASURE_PIDS=("${NGINX_PIDS[@]}") ;;
        esac
    }
    for name in zkgate etcd nginx; do
        server_pids "$name"
        wrk_measure "$name" "$WRK_CONNS" "$WARMUP" "$OUT/get-warmup-$name.txt" "${URL[$name]}"
    done

    declare -A G_RPS=() G_P99=() G_EFF=()
    FMT_ROUND='%-6s %-7s %10s %9s %11s %11s %8s %8s\n'
    sayf "$FMT_ROUND" round server 'req/s' 'p99 ms' 'server CPU' 'req/CPU-ms' "core $SERVER_CPU" "core $CLIENT_CPU"
    servers=(zkgate etcd nginx)
    for ((r = 1; r <= ROUNDS; r++)); do
        # Rotate the order so that no server always runs right after the same other one.
        k=$(((r - 1) % 3))
        order=("${servers[@]:k}" "${servers[@]:0:k}")
        for name in "${order[@]}"; do
            server_pids "$name"
            wrk_measure "$name" "$WRK_CONNS" "$DURATION" "$OUT/get-round$r-$name.txt" "${URL[$name]}"
            G_RPS[$name]+="$RPS "; G_P99[$name]+="$P99_MS "; G_EFF[$name]+="$REQ_PER_CPU_MS "
            sayf "$FMT_ROUND" "$r" "$name" "$(printf '%.0f' "$RPS")" "$P99_MS" "$CPU_PCT%" "$REQ_PER_CPU_MS" \
                "$SERVER_CORE" "$CLIENT_CORE"
        done
    done
    stop_zkgate
    stop_etcd
    stop_nginx

    declare -A M_RPS=() M_P99=() M_EFF=()
    for name in "${servers[@]}"; do
        M_RPS[$name]="$(median_of "${G_RPS[$name]}")"
        M_P99[$name]="$(median_of "${G_P99[$name]}")"
        M_EFF[$name]="$(median_of "${G_EFF[$name]}")"
    done
    FMT_MEDIAN='%-14s %12s %10s %14s\n'
    say ""
    sayf "$FMT_MEDIAN" median 'req/s' 'p99 ms' 'req/CPU-ms'
    for name in "${servers[@]}"; do
        sayf "$FMT_MEDIAN" "$name" "$(printf '%.0f' "${M_RPS[$name]}")" "${M_P99[$name]}" "${M_EFF[$name]}"
    done
    for peer in etcd nginx; do
        sayf "$FMT_MEDIAN" "zkgate/$peer" "$(ratio "${M_RPS[zkgate]}" "${M_RPS[$peer]}")" \
            "$(ratio "${M_P99[zkgate]}" "${M_P99[$peer]}")" "$(ratio "${M_EFF[zkgate]}" "${M_EFF[$peer]}")"
    done
    r_etcd="$(ratio "${M_RPS[zkgate]}" "${M_RPS[etcd]}")"; r_nginx="$(ratio "${M_RPS[zkgate]}" "${M_RPS[nginx]}")"
    say "goals: req/s zkgate/etcd $r_etcd >= 2.00: $(goal "$r_etcd" '>=' 2); zkgate/nginx $r_nginx >= 0.70: $(goal "$r_nginx" '>=' 0.7)"
    say "(req/s and req/CPU-ms ratios: higher is better; p99 ratio: lower is better. zkgate's"
    say " answer carries the node's stat and etcd's its indexes, nginx's only the 15 bytes. server"
    say " CPU: the server's own use of its core; core N: all use of that core. A server under ~95%"
    say " with its core full was sharing it; with the client core full, wrk was the limit.)"
fi

# --- part 2: parked long-polls -----------------------------------------------------------------
# run_longpoll NAME PORT PID: bench/longpoll.py on the client CPU; sets LP_<field> from its
# RESULT line.
declare -A LP=()
run_longpoll() {
    local name="$1" port="$2" pid="$3" log="$OUT/longpoll-$1.txt" lp_pid status=0 line kv
    taskset -c "$CLIENT_CPU" python3 bench/longpoll.py --server "$name" --port "$port" --pid "$pid" \
        --key /bench/watched --parked "$PARKED" --procs "$POLL_PROCS" >"$log" 2>&1 &
    lp_pid=$!
    PIDS+=("$lp_pid")
    wait "$lp_pid" || status=$?
    forget_pid "$lp_pid"
    sed 's/^/  /' "$log" | grep -v '^  RESULT' | tee -a "$SUMMARY"
    line="$(grep '^RESULT ' "$log" || true)"
    [[ -n "$line" ]] || die "longpoll.py against $name gave no result (exit $status; see $log)"
    [[ "$status" -eq 0 ]] || say "warning: longpoll.py against $name exited $status (see $log)"
    for kv in ${line#RESULT }; do LP[$name.${kv%%=*}]="${kv#*=}"; done
}

if [[ "$SKIP_PARKED" != "1" ]]; then
    say ""
    [[ "$FANOUT_CORES" == "all" ]] && ALL_CORES=1
    say "== 2. $PARKED parked long-polls on one node, then one write ($POLL_PROCS client processes) =="
    say "load:     $(load_line)"
    start_zkgate parked
    curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' \
        -d "{\"data\":\"$SMALL_DATA\"}" "http://$HOST:$ZK_PORT/v1/nodes/bench/watched?parents=true" >/dev/null
    run_longpoll zkgate "$ZK_PORT" "$ZK_PID"
    stop_zkgate

    start_etcd parked
    curl_ok etcd "200 201" -X PUT "http://$HOST:$ETCD_PORT/v2/keys/bench/watched" -d "value=$SMALL_DATA" >/dev/null
    run_longpoll etcd "$ETCD_PORT" "$ETCD_PID"
    stop_etcd

    # The floor: the same count of sends with nothing else, pinned as the servers were.
    cc -O2 -o "$OUT/floor" bench/fanout/floor.c
    floor_cpus=(-s "$SERVER_CPU" -c "$CLIENT_CPU")
    [[ "$FANOUT_CORES" == "all" ]] && floor_cpus=(-s 0 -c 1)
    "$OUT/floor" -n "$PARKED" -b "$FLOOR_BYTES" -r 3 "${floor_cpus[@]}" > "$OUT/floor.txt" \
        || die "the fan-out floor failed (see $OUT/floor.txt)"
    line="$(grep '^RESULT ' "$OUT/floor.txt" | tail -1)"
    for kv in ${line#RESULT }; do LP[floor.${kv%%=*}]="${kv#*=}"; done

    ALL_CORES=0
    [[ "$FANOUT_CORES" == "all" ]] && say "servers: every core, unpinned (zkgate --threads $(nproc), etcd GOMAXPROCS=$(nproc))"
    FMT_LP='%-13s %10s %10s %12s %9s %9s %9s %9s %8s\n'
    say ""
    sayf "$FMT_LP" server 'RSS KiB' 'with KiB' 'bytes/poll' 'p50 ms' 'p99 ms' 'max ms' 'write ms' answered
    for name in zkgate etcd; do
        sayf "$FMT_LP" "$name" "${LP[$name.rss_before_kb]}" "${LP[$name.rss_after_kb]}" \
            "${LP[$name.bytes_per_parked]}" "${LP[$name.p50_ms]}" "${LP[$name.p99_ms]}" \
            "${LP[$name.max_ms]}" "${LP[$name.put_ms]}" "${LP[$name.answered]}"
    done
    r_mem="$(ratio "${LP[zkgate.bytes_per_parked]}" "${LP[etcd.bytes_per_parked]}")"
    r_p50="$(ratio "${LP[zkgate.p50_ms]}" "${LP[etcd.p50_ms]}")"
    r_p99="$(ratio "${LP[zkgate.p99_ms]}" "${LP[etcd.p99_ms]}")"
    sayf "$FMT_LP" zkgate/etcd "" "" "$r_mem" "$r_p50" "$r_p99" \
        "$(ratio "${LP[zkgate.max_ms]}" "${LP[etcd.max_ms]}")" "$(ratio "${LP[zkgate.put_ms]}" "${LP[etcd.put_ms]}")" ""
    sayf "$FMT_LP" "floor" "" "" "" "${LP[floor.p50_ms]}" "${LP[floor.p99_ms]}" "${LP[floor.max_ms]}" "" "${LP[floor.n]}"
    r_floor="$(ratio "${LP[floor.p99_ms]}" "${LP[etcd.p99_ms]}")"
    sayf "$FMT_LP" floor/etcd "" "" "" "$(ratio "${LP[floor.p50_ms]}" "${LP[etcd.p50_ms]}")" "$r_floor" \
        "$(ratio "${LP[floor.max_ms]}" "${LP[etcd.max_ms]}")" "" ""
    say "floor: a bare send(2) loop of ${FLOOR_BYTES}-byte answers, no server (medians of 3 rounds, $OUT/floor.txt);"
    say " its p99 is $r_floor of etcd's: below 0.25 the goal is within reach of a server on this machine, above it no server can meet it."
    say "goals: zkgate ${LP[zkgate.bytes_per_parked]} bytes per parked request <= 4096: $(goal "${LP[zkgate.bytes_per_parked]}" '<=' 4096); fan-out p99 zkgate/etcd $r_p99 <= 0.25: $(goal "$r_p99" '<=' 0.25)"
    say "(bytes/poll: server RSS growth per parked request, its connection included; p50/p99/max:"
    say " from sending the write to the first byte of each poller's answer reaching its socket;"
    say " write ms: the write's own answer. Lower is better everywhere.)"
fi

# --- part 3: PUT throughput with fsync ---------------------------------------------------------
if [[ "$SKIP_PUT" != "1" ]]; then
    say ""
    say "== 3. PUT of distinct new nodes, C concurrent writers (wrk -t1 -cC -d${PUT_SECONDS}s, one write in flight each) =="
    say "load:     $(load_line)"
    cat >"$TMP/put.lua" <<'EOF'
-- Generated by bench/v1.sh: sequential PUTs of distinct new nodes, one in flight per
-- connection (wrk -t1: one Lua state, so the counter makes every path distinct).
local kind, prefix, n = "", "", 0
function init(args)
    kind, prefix = args[1], args[2]
end
function request()
    n = n + 1
    if kind == "zkgate" then
        return wrk.format("PUT", prefix .. n, {["Content-Type"] = "application/json"},
            '{"data":"0123456789abcde"}')
    end
    return wrk.format("PUT", prefix .. n, {["Content-Type"] = "application/x-www-form-urlencoded"},
        "value=0123456789abcde")
end
EOF
    cp "$TMP/put.lua" "$OUT/put.lua"
    start_zkgate put
    start_etcd put
    # stored NAME C: how many nodes the writers of run C left on the server.
    stored() {
        local url
        if [[ "$1" == zkgate ]]; then url="http://$HOST:$ZK_PORT/v1/nodes/bench/w/c$2"
        else url="http://$HOST:$ETCD_PORT/v2/keys/bench/w/c$2"; fi
        curl_ok "$1" 200 "$url" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["stat"]["numChildren"] if "stat" in d else len(d["node"].get("nodes", [])))'
    }
    declare -A W_RPS=()
    FMT_PUT='%-4s %-7s %10s %9s %9s %10s %10s %11s %8s %8s\n'
    sayf "$FMT_PUT" C server 'writes/s' 'p50 ms' 'p99 ms' 'completed' 'stored' 'server CPU' "core $SERVER_CPU" "core $CLIENT_CPU"
    i=0
    for c in $WRITERS; do
        # The parents exist beforehand, so each PUT creates exactly one node.
        curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' -d '{"data":""}' \
            "http://$HOST:$ZK_PORT/v1/nodes/bench/w/c$c?parents=true" >/dev/null
        curl_ok etcd "201" -X PUT "http://$HOST:$ETCD_PORT/v2/keys/bench/w/c$c" -d dir=true >/dev/null
        if ((i++ % 2)); then order=(etcd zkgate); else order=(zkgate etcd); fi
        for name in "${order[@]}"; do
            if [[ "$name" == zkgate ]]; then
                MEASURE_PIDS=("$ZK_PID"); url="http://$HOST:$ZK_PORT"; prefix="/v1/nodes/bench/w/c$c/n"
            else
                MEASURE_PIDS=("$ETCD_PID"); url="http://$HOST:$ETCD_PORT"; prefix="/v2/keys/bench/w/c$c/n"
            fi
            wrk_measure "$name" "$c" "$PUT_SECONDS" "$OUT/put-c$c-$name.txt" "$url" "$TMP/put.lua" "$name" "$prefix"
            n_stored="$(stored "$name" "$c")"
            W_RPS[$name.$c]="$RPS"
            sayf "$FMT_PUT" "$c" "$name" "$(printf '%.0f' "$RPS")" "$P50_MS" "$P99_MS" "$REQUESTS" "$n_stored" \
                "$CPU_PCT%" "$SERVER_CORE" "$CLIENT_CORE"
            ((n_stored >= REQUESTS)) || say "warning: $name stored $n_stored nodes but answered $REQUESTS writes"
        done
    done
    stop_zkgate
    stop_etcd

    FMT_SCALE='%-4s %14s %14s %14s %14s %12s\n'
    say ""
    sayf "$FMT_SCALE" C 'zkgate w/s' 'zk × C=1' 'etcd w/s' 'etcd × C=1' 'zkgate/etcd'
    first=""
    for c in $WRITERS; do
        first="${first:-$c}"
        sayf "$FMT_SCALE" "$c" "$(printf '%.0f' "${W_RPS[zkgate.$c]}")" "$(ratio "${W_RPS[zkgate.$c]}" "${W_RPS[zkgate.$first]}")" \
            "$(printf '%.0f' "${W_RPS[etcd.$c]}")" "$(ratio "${W_RPS[etcd.$c]}" "${W_RPS[etcd.$first]}")" \
            "$(ratio "${W_RPS[zkgate.$c]}" "${W_RPS[etcd.$c]}")"
    done
    say "(× C=$first: writes/s over the first writer count's; with group commit it grows with C while"
    say " one fdatasync serves every write of a batch. completed: answers wrk counted; stored: nodes"
    say " found on the server afterwards, which may include writes still in flight when wrk stopped.)"
fi

say ""
say "load:     $(load_line) after the run"
say "raw output: $OUT"
