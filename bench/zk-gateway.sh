#!/usr/bin/env bash
# bench/zk-gateway.sh — zkgate's ZooKeeper backend (`zkgate serve --zookeeper`) measured through
# HTTP, each figure against its peer in the same run.
#
# Why: the ZooKeeper backend's goals are ratios to things measured beside it, not absolute
# numbers (the machine is 2 shared cores, with three ZooKeeper JVMs on them):
#   ops       the zk-bench workload (create, set, get; 64-byte values; a closed loop of C
#             requests) through zkgate's HTTP/1.1 at least 0.8x the native client alone
#             (bench/ZooKeeperBench, the reference of bench/zk-client.sh) at the same C; and at
#             C = 1 at most 0.3 ms added to the p50 of get and set.
#   cached    a cached config GET on the ZooKeeper backend within 10% of the embedded backend's.
#   longpoll  10,000 long-polls parked on one node hold exactly one ZooKeeper watch (the
#             gateway's persistent recursive watch on its chroot), shown with the four-letter
#             words wchc and wchp of every member; then one write wakes them all (fan-out time,
#             with the embedded backend's in the same run for reference).
#   lag       how long a write takes to reach the gateway's readers (a GET carrying the write's
#             Zkgate-Index), idle and while other cached nodes are being written.
# This is a benchmark, never a timed test: it is not part of scripts/test.sh or CI.
#
# Usage: bench/zk-gateway.sh [all | ops | cached | longpoll | lag]...   (default: all)
#
# What it does:
#   0. scripts/setup.sh --bench (wrk, nginx, ZooKeeper, kazoo in .build-py), then builds zkgate
#      and zk-bench in release mode (swift build -c release --product zkgate|zk-bench
#      --scratch-path .build-bench). Makes sure the ensemble runs (deploy/zk-ensemble.sh): a
#      running one is shared and must be healthy; if none runs, it starts one and stops it at
#      the end.
#   ops: a warm-up, then ROUNDS rounds. Each round uses one member for everything (members 1, 2,
#      3 in turn), and for each C in CONCURRENCY runs zk-bench (--concurrency C --duration
#      DURATION), then the same workload through a fresh zkgate (ZKGW_THREADS loops, one by
#      default, as in the cached and longpoll parts: on 2 cores shared with three JVMs and wrk,
#      a second loop costs each write two thread wake-ups, see docs/PERFORMANCE.md; access log
#      off) on a fresh chroot /zk-gateway-<pid>-r<round>-c<C> on that member, with wrk -t1 -cC
#      (one request in flight per connection: C outstanding, as zk-bench) and bench/zk-gateway.lua:
#        create  PUT /v1/nodes/n<i> with If-None-Match: * and a raw 64-byte body, DURATION s
#        set     PUT /v1/nodes/n<i>?version=-1 (ZooKeeper's setData, any version), round robin
#                over the nodes created, DURATION s
#        get     GET /v1/nodes/n<i>, one pass over the nodes (at most DURATION s): each is a
#                first read, so every GET goes to ZooKeeper (one getData, as zk-bench's)
#        cached  GET round robin for DURATION s after that pass: answered from the gateway's
#                cache, without ZooKeeper (shown, not a goal: the native client has no cache)
#      For each HTTP phase: ops/s, p50/p99 (wrk), zkgate's CPU, and the ZooKeeper requests the
#      gateway sent per HTTP request (the `recved` count of its connection in the member's
#      `cons`). Nothing is pinned (as bench/zk-client.sh). Then medians, ratios HTTP/native,
#      the p50 added at C = 1, and the goals.
#   cached: two zkgates with --threads 1 on CPU 0, one --zookeeper (all members, its own
#      chroot), one embedded (its own temporary --data-dir); a 15-byte node /bench/small on each,
#      read once so it is cached; wrk -t1 -c64 -dCACHED_DURATION --latency on CPU 1 (bench/v1.sh's
#      node GET), WARMUP s each, then ROUNDS rounds alternating which goes first.
#   longpoll: zkgate --zookeeper (--threads 1, CPU 0) on its own chroot; bench/longpoll.py (CPU
#      1) parks PARKED long-polls on /bench/watched (?index=<its Zkgate-Index>&wait=55s). While
#      they are parked, wchc, wchp and wchs go to every member, and the lines of the gateway's
#      session (its sid from `cons`) are printed. Then longpoll.py writes the node once and
#      reports p50/p99/max of each waiter's answer after the write. The same on an embedded
#      zkgate, as the fan-out's peer. Raw four-letter-word output is in the results folder.
#   lag: zkgate --zookeeper on a fresh chroot; LAG_NODES nodes created and read (so cached)
#      and a marker node; the marker is written and read back with the write's Zkgate-Index
#      until the new value shows, idle and then during LAG_SECONDS of set load (wrk -cLAG_C) on
#      the other cached nodes. Prints the time to visibility and, after the load, how long the
#      gateway kept sending ZooKeeper requests.
# Every process the script starts is stopped by its pid when it exits, however it exits, and
# every chroot it made is deleted (bench/zk_tree.py). Results: bench/results/zk-gateway-<time>/.
#
# Environment (defaults in brackets):
#   DURATION [2]             seconds per phase (ops)         ROUNDS [3]   rounds (ops, cached)
#   CONCURRENCY ["1 16 64"]  outstanding requests (ops)      WARMUP [2]   seconds per warm-up
#   VALUE_SIZE [64]          bytes per value (ops)           CACHED_DURATION [5] (cached)
#   PARKED [10000]           long-polls (longpoll)           POLL_PROCS [4] client processes
#   LAG_NODES [2000] LAG_C [16] LAG_SECONDS [4]              (lag)
#   ZKGW_PORT [18090] EMBEDDED_PORT [18091]
#   ZKGW_THREADS [1]         --threads of the gateway (ops; "" for its default, one per core)
#   SCRATCH_PATH [.build-bench]  build folder for `swift build --scratch-path`
#   ZKGATE_BIN, ZK_BENCH_BIN     use these binaries instead of building
#   ZK_BASE_PORT, ZK_ENSEMBLE_DIR  passed to deploy/zk-ensemble.sh (a private ensemble)
#
# Example: bench/zk-gateway.sh            (the run quoted in docs/PERFORMANCE.md, about 5 minutes)
#          ROUNDS=1 CONCURRENCY=16 bench/zk-gateway.sh ops
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-2}"
ROUNDS="${ROUNDS:-3}"
CONCURRENCY="${CONCURRENCY:-1 16 64}"
WARMUP="${WARMUP:-2}"
VALUE_SIZE="${VALUE_SIZE:-64}"
CACHED_DURATION="${CACHED_DURATION:-5}"
PARKED="${PARKED:-10000}"
POLL_PROCS="${POLL_PROCS:-4}"
LAG_NODES="${LAG_NODES:-2000}"
LAG_C="${LAG_C:-16}"
LAG_SECONDS="${LAG_SECONDS:-4}"
ZKGW_PORT="${ZKGW_PORT:-18090}"
EMBEDDED_PORT="${EMBEDDED_PORT:-18091}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
ZK_BENCH_BIN="${ZK_BENCH_BIN:-}"
HOST=127.0.0.1
PYTHON=.build-py/bin/python
LUA="$ROOT/bench/zk-gateway.lua"
SMALL_DATA=0123456789abcde          # 15 bytes, as bench/v1.sh's node
# The two cores, for bench/lib.sh's core_times; the pinned parts put servers on 0, clients on 1.
SERVER_CPU=0
CLIENT_CPU=1

PARTS=("$@")
[[ ${#PARTS[@]} -eq 0 ]] && PARTS=(all)
want() { local p; for p in "${PARTS[@]}"; do [[ "$p" == all || "$p" == "$1" ]] && return 0; done; return 1; }
for p in "${PARTS[@]}"; do
    case "$p" in all | ops | cached | longpoll | lag) ;; *) echo "usage: $0 [all|ops|cached|longpoll|lag]..." >&2; exit 2 ;; esac
done

OUT="bench/results/zk-gateway-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench-zkgw.XXXXXX)"
mkdir -p "$OUT"

# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=zk-gateway.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
CURL_MAX_TIME=20
GOAL_MISSED="NOT MET"
GATEWAY_MAX_PARKED=$((PARKED + 1000))

# However the script ends: the chroots it made (bench/lib.sh's CHROOTS, each also deleted after
# its use), then the processes, then the ensemble if this run started it.
finish() {
    local status=$?
    cleanup_chroots
    cleanup
    ensemble_down
    exit "$status"
}
trap finish EXIT

# zk_tree ARGS...: bench/zk_tree.py on the ensemble.
zk_tree() { "$PYTHON" bench/zk_tree.py --connect "$CONNECT_ALL" "$@"; }

# drop_chroot PATH: deletes it on the ensemble (after its gateway stopped).
drop_chroot() {
    zk_tree delete "$1" >>"$OUT/chroots.log" 2>&1 || say "warning: could not delete $1 (see $OUT/chroots.log)"
    local keep=() c
    for c in "${CHROOTS[@]+"${CHROOTS[@]}"}"; do [[ "$c" == "$1" ]] || keep+=("$c"); done
    CHROOTS=("${keep[@]+"${keep[@]}"}")
}
cleanup_chroots() {
    [[ ${#CHROOTS[@]} -gt 0 ]] || return 0
    cleanup   # the gateways first: a live one would recreate its bookkeeping nodes
    zk_tree delete "${CHROOTS[@]}" >>"$OUT/chroots.log" 2>&1 || true
    CHROOTS=()
}

# --- ZooKeeper's four-letter words (bench/lib.sh's ensemble_4lw) --------------------------------
# gateway_link PID: "MEMBER LOCAL_PORT" of the gateway's connection to the ensemble (MEMBER: 1..3,
# the member's place in MEMBERS).
gateway_link() {
    ss -tnpH state established 2>/dev/null | awk -v pid="pid=$1," -v members="${MEMBERS[*]##*:}" '
        BEGIN { n = split(members, m, " ") }
        index($0, pid) { split($3, l, ":"); split($4, r, ":")
                         for (i = 1; i <= n; i++) if (m[i] == r[2]) { print i, l[2]; exit } }'
}

# cons_field MEMBER LOCAL_PORT FIELD: a field (recved, sid, ...) of that connection in cons.
cons_field() {
    ensemble_4lw "$1" cons | awk -v c="/127.0.0.1:$2[" -v f="$3" '
        index($0, c) { if (match($0, f "=[^,)]*")) { print substr($0, RSTART + length(f) + 1, RLENGTH - length(f) - 1); exit } }'
}

# --- processes ----------------------------------------------------------------------------------
# run_wrk LOG CONNS SECONDS URL [LUA_ARGS...]: wrk -t1 with bench/zk-gateway.lua (when LUA_ARGS
# are given), unpinned unless WRK_PIN is set. Sets RPS REQUESTS P50 P99 (ms) NON2XX GW_CPU (the
# gateway GW_MEASURE's CPU, % of one core; GW_CPU_PRECISE unrounded), ZK_DELTA (requests the gateway sent to ZooKeeper
# during the run, when ZK_LINK holds "MEMBER LOCAL_PORT") and ZK_REQ (the same per request).
WRK_PIN=""
GW_MEASURE=""
ZK_LINK=""
run_wrk() {
    local log="$1" conns="$2" secs="$3" url="$4" status=0 pid t0 t1 c0 c1 z0="" z1="" cmd=()
    shift 4
    local args=(-t1 -c"$conns" -d"${secs}s" --latency --timeout 30s)
    [[ $# -gt 0 ]] && args+=(-s "$LUA")
    args+=("$url")
    [[ $# -gt 0 ]] && args+=(-- "$@")
    [[ -n "$WRK_PIN" ]] && cmd=(taskset -c "$WRK_PIN")
    # shellcheck disable=SC2086  # ZK_LINK is "MEMBER LOCAL_PORT"
    [[ -n "$ZK_LINK" ]] && z0="$(cons_field $ZK_LINK recved)"
    t0="$EPOCHREALTIME"; c0="$(cpu_ticks "$GW_MEASURE")"
    "${cmd[@]}" wrk "${args[@]}" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    forget_pid "$pid"
    t1="$EPOCHREALTIME"; c1="$(cpu_ticks "$GW_MEASURE")"
    # shellcheck disable=SC2086
    [[ -n "$ZK_LINK" ]] && z1="$(cons_field $ZK_LINK recved)"
    [[ "$status" -eq 0 ]] || die "wrk failed (exit $status): $(head -c 400 "$log")"
    RPS="$(awk '/^Requests\/sec:/ {print $2}' "$log")"
    REQUESTS="$(awk '/ requests in / {print $1}' "$log")"
    P50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$log")")"
    P99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$log")")"
    [[ -n "$RPS" && -n "$REQUESTS" ]] || die "could not parse wrk output: $log"
    NON2XX="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$log")"; NON2XX="${NON2XX:-0}"
    # getpass stops early: its own line has the answers and the time they took.
    if grep -q '^pass ' "$log"; then
        read -r REQUESTS RPS < <(awk '$1 == "pass" { printf "%d %.2f\n", $2, $2 / $5 }' "$log")
    fi
    if grep -q 'Socket errors' "$log"; then say "warning: $(grep 'Socket errors' "$log" | tr -s ' ') ($log)"; fi
    GW_CPU_PRECISE="$(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.2f", 100 * c / hz / (t1 - t0) }')"
    GW_CPU="$(printf '%.0f' "$GW_CPU_PRECISE")"
    ZK_REQ="-"; ZK_DELTA="-"
    if [[ -n "$z0" && -n "$z1" && "$REQUESTS" -gt 0 ]]; then
        ZK_DELTA=$((z1 - z0))
        ZK_REQ="$(awk -v a="$z0" -v b="$z1" -v n="$REQUESTS" 'BEGIN { printf "%.2f", (b - a) / n }')"
    fi
}

# --- preparation ---------------------------------------------------------------------------------
bash scripts/setup.sh --bench >"$OUT/setup.log" 2>&1 || { tail -n 20 "$OUT/setup.log" >&2; die "scripts/setup.sh --bench failed"; }
need_tools wrk curl taskset ss python3
[[ -x "$PYTHON" ]] || die "$PYTHON not found (scripts/setup.sh makes the venv with kazoo)"
[[ "$(nproc)" -ge 2 ]] || die "needs at least 2 CPUs"
if [[ -z "$ZKGATE_BIN" || -z "$ZK_BENCH_BIN" ]]; then
    for product in zkgate zk-bench; do
        echo "building: swift build -c release --product $product --scratch-path $SCRATCH_PATH"
        swift build -c release --product "$product" --scratch-path "$SCRATCH_PATH" >>"$OUT/build.log" 2>&1 \
            || { tail -n 30 "$OUT/build.log" >&2; die "swift build --product $product failed"; }
    done
fi
BIN="$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)"
ZKGATE="${ZKGATE_BIN:-$BIN/zkgate}"
ZK_BENCH="${ZK_BENCH_BIN:-$BIN/zk-bench}"
[[ -x "$ZKGATE" && -x "$ZK_BENCH" ]] || die "binaries not found: $ZKGATE, $ZK_BENCH"

# Descriptors: 10,000 parked long-polls are 10,000 sockets in the gateway.
ulimit -n "$(ulimit -Hn)"
if [[ "$(ulimit -n)" != unlimited ]] && (( $(ulimit -n) < PARKED + 1000 )); then
    die "PARKED=$PARKED needs about $((PARKED + 1000)) descriptors in the gateway; the limit is $(ulimit -n)"
fi

ensemble_up "(other work on it shows in the cores columns)"
CONNECT_ALL="$(bash "$ENSEMBLE" connect-string)"
IFS=, read -r -a MEMBERS <<<"$CONNECT_ALL"
LEADER="$(bash "$ENSEMBLE" leader 2>/dev/null || echo '?')"
PREFIX="/zk-gateway-$$"

say "== bench/zk-gateway.sh: zkgate's ZooKeeper backend through HTTP, against its peers =="
say "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:    $(commit_desc Sources bench/ZooKeeperBench Package.swift)"
say "cpu:       $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, shared with the 3 ZooKeeper JVMs; $(ulimit -n) descriptors"
say "ensemble:  ZooKeeper $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?') on $CONNECT_ALL, leader member $LEADER, forceSync=no; $ENSEMBLE_NOTE"
OPS_THREADS=${ZKGW_THREADS-1}
say "zkgate:    $ZKGATE (ops: --threads ${OPS_THREADS:-default}); zk-bench: $ZK_BENCH; wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t1"
say "parts:     ${PARTS[*]}; chroots $PREFIX-*"
say "load:      $(load_line) before the run"
say "results:   $OUT"

# =================================================================================================
# ops: zk-bench, then the same workload through zkgate, per round and C
# =================================================================================================
declare -A RES=()   # RES[side.C.phase.field] = space-separated values per round
add() { RES[$1]+="$2 "; }
med() { median_of "${RES[$1]:-}"; }
span() { # span KEY: "min-max" of the per-round values
    local v="${RES[$1]:-}"
    [[ -n "$v" ]] || { echo -; return; }
    # shellcheck disable=SC2086
    printf '%s\n' $v | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%s..%s", a, b }'
}

# run_zk_bench C SECONDS MEMBER LOG: one zk-bench run; stores its results unless LOG is a warm-up.
run_zk_bench() {
    local c="$1" secs="$2" member="$3" log="$4" pid status=0 limit phase ops p50 p99 cpu
    "$ZK_BENCH" --connect "$member" --concurrency "$c" --duration "$secs" --value-size "$VALUE_SIZE" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    limit=$((10 * (5 * ${secs%.*} + 60)))
    if ! wait_gone "$pid" "$limit"; then
        stop_pid "$pid" 5
        die "zk-bench -C $c hung (output: $log; its base node /zk-bench-$pid is left on the ensemble)"
    fi
    wait "$pid" || status=$?
    forget_pid "$pid"
    [[ "$status" -eq 0 ]] || die "zk-bench -C $c failed (exit $status): $(grep -E '^error|error:' "$log" | head -n 3 | tr '\n' ';') (see $log)"
    [[ "$log" == *warmup* ]] && return 0
    for phase in create set get; do
        read -r ops p50 p99 cpu < <(awk -v p="$phase" '$1 == "result" && $2 == p { print $5, $6, $7, $8 }' "$log")
        [[ -n "${ops:-}" ]] || die "no $phase result in $log"
        add "zk.$c.$phase.ops" "$ops"; add "zk.$c.$phase.p50" "$p50"; add "zk.$c.$phase.p99" "$p99"; add "zk.$c.$phase.cpu" "$cpu"
    done
}

# run_http C SECONDS MEMBER TAG: the workload through a fresh zkgate on a fresh chroot.
run_http() {
    local c="$1" secs="$2" member="$3" tag="$4" chroot="$PREFIX-$4" url="http://$HOST:$ZKGW_PORT"
    local first count
    start_gateway "$tag" "$ZKGW_PORT" "zk:$member$chroot" "" "$OPS_THREADS"
    local gw="$GW_PID"
    GW_MEASURE="$gw"
    ZK_LINK="$(gateway_link "$gw")"
    [[ -n "$ZK_LINK" ]] || say "warning: could not find the gateway's ZooKeeper connection (no request counts)"
    # create: PUT If-None-Match: * of n<k>, k = 1, 2, ... (wrk calls request() once before sending).
    run_wrk "$OUT/$tag-create.txt" "$c" "$secs" "$url" create /v1/nodes/n 1 0 "$VALUE_SIZE"
    http_phase create
    # The nodes n<first>..n<first+count-1> all exist (writes in flight when wrk stopped included).
    read -r first count < <(curl_ok zkgate 200 "$url/v1/nodes/?children=true" | python3 -c '
import json, sys
names = json.load(sys.stdin)["children"]
idx = set(int(n[1:]) for n in names if n[:1] == "n" and n[1:].isdigit())
first = min(idx) if idx else 1
k = first
while k in idx: k += 1
print(first, k - first)')
    ((count > 0)) || die "the create phase through zkgate made no nodes (see $OUT/$tag-create.txt)"
    run_wrk "$OUT/$tag-set.txt" "$c" "$secs" "$url" set /v1/nodes/n "$first" "$count" "$VALUE_SIZE"
    http_phase set
    run_wrk "$OUT/$tag-get.txt" "$c" "$secs" "$url" getpass /v1/nodes/n "$first" "$count" "$VALUE_SIZE"
    http_phase get
    run_wrk "$OUT/$tag-cached.txt" "$c" "$secs" "$url" get /v1/nodes/n "$first" "$count" "$VALUE_SIZE"
    http_phase cached
    ZK_LINK=""; GW_MEASURE=""
    stop_gateway "$gw"
    drop_chroot "$chroot"
    HTTP_NODES="$count"
}
# http_phase PHASE: records the last run_wrk's figures for the current C (not in the warm-up).
http_phase() {
    local phase="$1"
    if [[ "$NON2XX" -gt 0 ]]; then
        say "ERROR: $phase through zkgate: $NON2XX answers were not 2xx (see $OUT/)"
        HTTP_ERRORS=$((HTTP_ERRORS + NON2XX))
    fi
    [[ "${CUR_C:-}" == warmup ]] && return 0
    add "http.$CUR_C.$phase.ops" "$RPS"; add "http.$CUR_C.$phase.p50" "$P50"; add "http.$CUR_C.$phase.p99" "$P99"
    add "http.$CUR_C.$phase.cpu" "$GW_CPU"; add "http.$CUR_C.$phase.zkreq" "$ZK_REQ"
    HTTP_CELLS+=("$(printf '%7.0f/s %6.3f %7.3f %3s%% %4s' "$RPS" "$P50" "$P99" "$GW_CPU" "$ZK_REQ")")
}
HTTP_ERRORS=0

if want ops; then
    say ""
    say "== ops: zk-bench, then the same workload through zkgate (wrk -t1 -cC), ${DURATION}s phases, $ROUNDS rounds, C = $CONCURRENCY =="
    say "(zk-bench cells: ops/s, p50 ms, p99 ms, its CPU. zkgate cells: ops/s, p50 ms, p99 ms, zkgate's CPU,"
    say " ZooKeeper requests the gateway sent per HTTP request. get: one pass over the nodes, each a first"
    say " read; cached: round robin after it. cores: how busy both cores were over the pair of runs.)"
    # Warm-up: the JVMs compile the hot paths.
    CUR_C=warmup
    run_zk_bench 64 "$WARMUP" "${MEMBERS[0]}" "$OUT/warmup-zk-bench.txt"
    HTTP_CELLS=()
    run_http 64 "$WARMUP" "${MEMBERS[0]}" warmup
    FMT_OPS='%-5s %-6s %-8s %4s  %-38s %-38s %-38s %-38s %s\n'
    sayf "$FMT_OPS" round member side C create set get cached cores
    for ((r = 1; r <= ROUNDS; r++)); do
        m=$(((r - 1) % ${#MEMBERS[@]}))
        member="${MEMBERS[$m]}"
        mlabel="${member##*:}"
        [[ "$((m + 1))" == "$LEADER" ]] && mlabel+=" L"
        for c in $CONCURRENCY; do
            CUR_C="$c"
            k0="$(core_times)"
            run_zk_bench "$c" "$DURATION" "$member" "$OUT/round$r-zk-bench-c$c.txt"
            cells=()
            for phase in create set get; do
                cells+=("$(awk -v p="$phase" '$1 == "result" && $2 == p { printf "%7.0f/s %6.3f %7.3f %3.0f%%", $5, $6, $7, $8 }' "$OUT/round$r-zk-bench-c$c.txt")")
            done
            sayf "$FMT_OPS" "$r" "$mlabel" zk-bench "$c" "${cells[@]}" "" ""
            HTTP_CELLS=()
            run_http "$c" "$DURATION" "$member" "r$r-c$c"
            cores="$(core_busy "$k0" "$(core_times)" | tr ' ' '/')"
            sayf "$FMT_OPS" "$r" "$mlabel" zkgate "$c" "${HTTP_CELLS[@]}" "$cores"
            say "      ($HTTP_NODES nodes created through zkgate)"
        done
    done

    say ""
    say "== ops: medians of $ROUNDS rounds =="
    FMT_MED='%-7s %4s  %9s %7s %7s   %9s %7s %7s %5s %6s   %6s  %s\n'
    sayf "$FMT_MED" phase C 'zk-bench' 'p50' 'p99' 'zkgate' 'p50' 'p99' 'cpu' 'zk/req' 'ratio' 'per-round ratios'
    for phase in create set get cached; do
        for c in $CONCURRENCY; do
            zkphase="$phase"; [[ "$phase" == cached ]] && zkphase="get"
            zo="$(med "zk.$c.$zkphase.ops")"; ho="$(med "http.$c.$phase.ops")"
            # Per-round ratios (each round's pair ran back to back).
            read -ra zv <<<"${RES[zk.$c.$zkphase.ops]:-}"; read -ra hv <<<"${RES[http.$c.$phase.ops]:-}"
            rr=""
            for ((i = 0; i < ${#hv[@]} && i < ${#zv[@]}; i++)); do rr+="$(ratio "${hv[$i]}" "${zv[$i]}") "; done
            sayf "$FMT_MED" "$phase" "$c" "$(printf '%.0f' "$zo")" "$(med "zk.$c.$zkphase.p50")" "$(med "zk.$c.$zkphase.p99")" \
                "$(printf '%.0f' "$ho")" "$(med "http.$c.$phase.p50")" "$(med "http.$c.$phase.p99")" \
                "$(printf '%.0f%%' "$(med "http.$c.$phase.cpu")")" "$(med "http.$c.$phase.zkreq")" "$(ratio "$ho" "$zo")" "$rr"
        done
    done
    say "(ratio: zkgate ops/s over zk-bench's, medians; cached is compared with zk-bench's get. Each"
    say " median is taken on its own, so a row's p50 and p99 may come from different rounds.)"
    say ""
    say "goals:"
    for c in $CONCURRENCY; do
        [[ "$c" == 1 ]] && continue
        for phase in create set get; do
            rt="$(ratio "$(med "http.$c.$phase.ops")" "$(med "zk.$c.$phase.ops")")"
            say "  $phase C=$c: zkgate/zk-bench $rt >= 0.80: $(goal "$rt" '>=' 0.8)"
        done
    done
    if [[ " $CONCURRENCY " == *" 1 "* ]]; then
        for phase in set get cached; do
            zkphase="$phase"; [[ "$phase" == cached ]] && zkphase="get"
            # The added p50: per round (each pair back to back), then the median.
            read -ra zv <<<"${RES[zk.1.$zkphase.p50]:-}"; read -ra hv <<<"${RES[http.1.$phase.p50]:-}"
            for ((i = 0; i < ${#hv[@]} && i < ${#zv[@]}; i++)); do
                add "added.$phase" "$(awk -v a="${hv[$i]}" -v b="${zv[$i]}" 'BEGIN { printf "%.3f", a - b }')"
            done
            added="$(med "added.$phase")"
            if [[ "$phase" == cached ]]; then
                say "  (cached get C=1: p50 added $added ms (rounds $(span "added.$phase")): answered without ZooKeeper, not a goal)"
            else
                say "  $phase C=1: p50 added by zkgate $added ms (rounds $(span "added.$phase")) <= 0.30: $(goal "$added" '<=' 0.3)"
            fi
        done
    fi
    [[ "$HTTP_ERRORS" -eq 0 ]] || say "ERROR: $HTTP_ERRORS answers through zkgate were not 2xx"
fi

# =================================================================================================
# cached: a cached node GET, ZooKeeper backend against the embedded store
# =================================================================================================
if want cached; then
    say ""
    say "== cached: GET of a 15-byte node (cached), --zookeeper vs embedded, wrk -t1 -c64 -d${CACHED_DURATION}s on CPU 1, zkgate --threads 1 on CPU 0 =="
    say "load:      $(load_line)"
    start_gateway cached-zk "$ZKGW_PORT" "zk:$CONNECT_ALL$PREFIX-cached" "$SERVER_CPU" 1
    ZK_GW="$GW_PID"
    start_gateway cached-embedded "$EMBEDDED_PORT" embedded "$SERVER_CPU" 1
    EMB_GW="$GW_PID"
    declare -A CURL_PORT=([zookeeper]="$ZKGW_PORT" [embedded]="$EMBEDDED_PORT")
    declare -A CPID=([zookeeper]="$ZK_GW" [embedded]="$EMB_GW")
    for name in zookeeper embedded; do
        curl_ok "$name" "200 201" -X PUT -H 'Content-Type: application/json' -d "{\"data\":\"$SMALL_DATA\"}" \
            "http://$HOST:${CURL_PORT[$name]}/v1/nodes/bench/small?parents=true" >/dev/null
        for _ in 1 2 3; do   # read: first from the backend, then from the loop's cache
            body="$(curl_ok "$name" 200 "http://$HOST:${CURL_PORT[$name]}/v1/nodes/bench/small")"
        done
        [[ "$body" == *"$SMALL_DATA"* ]] || die "$name: unexpected body $body"
        say "$(printf '%-9s answer %s bytes (head + body)' "$name" \
            "$(curl -sS -o /dev/null -w '%{size_header} + %{size_download}' "http://$HOST:${CURL_PORT[$name]}/v1/nodes/bench/small")")"
    done
    ZK_CACHED_LINK="$(gateway_link "$ZK_GW")"
    WRK_PIN="$CLIENT_CPU"
    for name in zookeeper embedded; do
        GW_MEASURE="${CPID[$name]}"
        run_wrk "$OUT/cached-warmup-$name.txt" 64 "$WARMUP" "http://$HOST:${CURL_PORT[$name]}/v1/nodes/bench/small"
    done
    FMT_C='%-5s %-9s %10s %8s %8s %10s %11s %11s\n'
    sayf "$FMT_C" round backend 'req/s' 'p50 ms' 'p99 ms' 'zkgate' 'req/CPU-ms' 'ZK requests'
    for ((r = 1; r <= ROUNDS; r++)); do
        order=(zookeeper embedded); ((r % 2 == 0)) && order=(embedded zookeeper)
        for name in "${order[@]}"; do
            GW_MEASURE="${CPID[$name]}"
            ZK_LINK=""; [[ "$name" == zookeeper ]] && ZK_LINK="$ZK_CACHED_LINK"
            run_wrk "$OUT/cached-round$r-$name.txt" 64 "$CACHED_DURATION" "http://$HOST:${CURL_PORT[$name]}/v1/nodes/bench/small"
            eff="$(awk -v r="$RPS" -v c="$GW_CPU_PRECISE" 'BEGIN { printf "%.1f", (c > 0 ? r / (10 * c) : 0) }')"
            zkr="-"; [[ "$name" == zookeeper ]] && zkr="$ZK_DELTA"
            [[ "$NON2XX" -eq 0 ]] || say "ERROR: cached GET on $name: $NON2XX answers were not 2xx"
            add "cached.$name.rps" "$RPS"; add "cached.$name.p50" "$P50"; add "cached.$name.p99" "$P99"; add "cached.$name.eff" "$eff"
            sayf "$FMT_C" "$r" "$name" "$(printf '%.0f' "$RPS")" "$P50" "$P99" "$GW_CPU%" "$eff" "$zkr"
        done
    done
    WRK_PIN=""; ZK_LINK=""; GW_MEASURE=""
    stop_gateway "$ZK_GW"
    stop_gateway "$EMB_GW"
    drop_chroot "$PREFIX-cached"
    say ""
    FMT_CM='%-20s %10s %8s %8s %11s\n'
    sayf "$FMT_CM" median 'req/s' 'p50 ms' 'p99 ms' 'req/CPU-ms'
    for name in zookeeper embedded; do
        sayf "$FMT_CM" "$name" "$(printf '%.0f' "$(med "cached.$name.rps")")" "$(med "cached.$name.p50")" \
            "$(med "cached.$name.p99")" "$(med "cached.$name.eff")"
    done
    rc="$(ratio "$(med cached.zookeeper.rps)" "$(med cached.embedded.rps)")"
    sayf "$FMT_CM" "zookeeper/embedded" "$rc" "$(ratio "$(med cached.zookeeper.p50)" "$(med cached.embedded.p50)")" \
        "$(ratio "$(med cached.zookeeper.p99)" "$(med cached.embedded.p99)")" "$(ratio "$(med cached.zookeeper.eff)" "$(med cached.embedded.eff)")"
    say "goal: cached GET req/s zookeeper/embedded $rc >= 0.90 (within 10%): $(goal "$rc" '>=' 0.9)"
    say "(ZK requests: what the --zookeeper gateway sent to ZooKeeper during the run; req/CPU-ms: requests"
    say " per millisecond of the gateway's CPU.)"
fi

# =================================================================================================
# longpoll: 10,000 parked long-polls, one ZooKeeper watch
# =================================================================================================
# watch_report LABEL SID: wchc, wchp and wchs of every member into OUT; prints the gateway's lines.
watch_report() {
    local label="$1" sid="$2" port n=0 f
    for port in "${MEMBERS[@]##*:}"; do
        n=$((n + 1))
        for word in wchc wchp wchs; do
            f="$OUT/longpoll-$label-member$n-$word.txt"
            ensemble_4lw "$n" "$word" >"$f" || echo "(no answer)" >"$f"
        done
        # wchc: "0x<sid>" then its paths, one per line with a tab; wchp: a path then its sids.
        local wc_paths wp_lines total
        wc_paths="$(awk -v s="$sid" '/^0x/ { on = ($1 == s); next } on && NF { print $1 }' "$OUT/longpoll-$label-member$n-wchc.txt")"
        wp_lines="$(awk -v s="$sid" '/^\// { p = $1; next } $1 == s { print p }' "$OUT/longpoll-$label-member$n-wchp.txt")"
        total="$(tr '\n' ' ' <"$OUT/longpoll-$label-member$n-wchs.txt" | sed 's/ *$//')"
        say "  member $n (port $port): wchs: $total"
        if [[ -n "$wc_paths" ]]; then
            say "    wchc, session $sid: $(echo "$wc_paths" | wc -l) path(s): $(echo "$wc_paths" | tr '\n' ' ')"
            say "    wchp, paths watched by $sid: $(echo "$wp_lines" | tr '\n' ' ')"
            WATCHES_SEEN=$((WATCHES_SEEN + $(echo "$wc_paths" | wc -l)))
            if grep -q "/bench/watched" "$OUT/longpoll-$label-member$n-wchp.txt"; then
                say "    wchp lists the watched node itself"
            else
                say "    wchp: no watch on the node .../bench/watched itself"
            fi
        else
            say "    session $sid holds no watch here"
        fi
    done
}

# run_lp NAME PORT PID LOG: bench/longpoll.py on CPU 1; with WATCH_SID set, reports the watches
# while the long-polls are parked (during longpoll.py's settle pause, before its write).
declare -A LP=()
run_lp() {
    local name="$1" port="$2" pid="$3" log="$4" lp status=0 i parked line kv
    taskset -c "$CLIENT_CPU" python3 bench/longpoll.py --server zkgate --port "$port" --pid "$pid" \
        --key /bench/watched --parked "$PARKED" --procs "$POLL_PROCS" --settle 5 >"$log" 2>&1 &
    lp=$!
    PIDS+=("$lp")
    if [[ -n "${WATCH_SID:-}" ]]; then
        parked=0
        for ((i = 0; i < 1200; i++)); do
            is_running "$lp" || break
            parked="$(curl -s --max-time 2 "http://$HOST:$port/metrics" | awk '$1 == "zkgate_http_parked_requests" { print $2 }')"
            [[ "${parked:-0}" -ge "$PARKED" ]] && break
            sleep 0.1
        done
        say "while $parked long-polls are parked (zkgate_http_parked_requests):"
        WATCHES_SEEN=0
        watch_report parked "$WATCH_SID"
        parked="$(curl -s --max-time 2 "http://$HOST:$port/metrics" | awk '$1 == "zkgate_http_parked_requests" { print $2 }')"
        say "  (still parked after the queries: $parked)"
        PARKED_WATCHES="$WATCHES_SEEN"
    fi
    wait "$lp" || status=$?
    forget_pid "$lp"
    sed 's/^/  /' "$log" | grep -v '^  RESULT' | tee -a "$SUMMARY"
    line="$(grep '^RESULT ' "$log" || true)"
    [[ -n "$line" ]] || die "longpoll.py against $name gave no result (exit $status; see $log)"
    [[ "$status" -eq 0 ]] || say "ERROR: longpoll.py against $name exited $status (see $log)"
    for kv in ${line#RESULT }; do LP[$name.${kv%%=*}]="${kv#*=}"; done
}

if want longpoll; then
    say ""
    say "== longpoll: $PARKED long-polls parked on one node, the ZooKeeper watches, then one write =="
    say "(zkgate --threads 1 on CPU 0, bench/longpoll.py with $POLL_PROCS processes on CPU 1, as bench/v1.sh)"
    say "load:      $(load_line)"
    start_gateway longpoll-zk "$ZKGW_PORT" "zk:$CONNECT_ALL$PREFIX-longpoll" "$SERVER_CPU" 1
    LP_GW="$GW_PID"
    read -r lp_member lp_local < <(gateway_link "$LP_GW")
    WATCH_SID="$(cons_field "$lp_member" "$lp_local" sid)"
    say "gateway:   pid $LP_GW, chroot $PREFIX-longpoll, connected to member port ${MEMBERS[lp_member - 1]##*:}, session $WATCH_SID"
    curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' -d "{\"data\":\"$SMALL_DATA\"}" \
        "http://$HOST:$ZKGW_PORT/v1/nodes/bench/watched?parents=true" >/dev/null
    curl_ok zkgate 200 "http://$HOST:$ZKGW_PORT/v1/nodes/bench/watched" >/dev/null
    say "before the long-polls:"
    WATCHES_SEEN=0
    watch_report before "$WATCH_SID"
    run_lp zookeeper "$ZKGW_PORT" "$LP_GW" "$OUT/longpoll-zookeeper.txt"
    say "after the write:"
    WATCHES_SEEN=0
    watch_report after "$WATCH_SID"
    WATCH_SID=""
    stop_gateway "$LP_GW"
    drop_chroot "$PREFIX-longpoll"

    start_gateway longpoll-embedded "$EMBEDDED_PORT" embedded "$SERVER_CPU" 1
    LPE_GW="$GW_PID"
    curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' -d "{\"data\":\"$SMALL_DATA\"}" \
        "http://$HOST:$EMBEDDED_PORT/v1/nodes/bench/watched?parents=true" >/dev/null
    run_lp embedded "$EMBEDDED_PORT" "$LPE_GW" "$OUT/longpoll-embedded.txt"
    stop_gateway "$LPE_GW"

    say ""
    FMT_LP='%-20s %12s %9s %9s %9s %9s %9s\n'
    sayf "$FMT_LP" backend 'bytes/poll' 'p50 ms' 'p99 ms' 'max ms' 'write ms' answered
    for name in zookeeper embedded; do
        sayf "$FMT_LP" "$name" "${LP[$name.bytes_per_parked]:-?}" "${LP[$name.p50_ms]:-?}" "${LP[$name.p99_ms]:-?}" \
            "${LP[$name.max_ms]:-?}" "${LP[$name.put_ms]:-?}" "${LP[$name.answered]:-?}"
    done
    sayf "$FMT_LP" zookeeper/embedded "$(ratio "${LP[zookeeper.bytes_per_parked]:-0}" "${LP[embedded.bytes_per_parked]:-0}")" \
        "$(ratio "${LP[zookeeper.p50_ms]:-0}" "${LP[embedded.p50_ms]:-0}")" "$(ratio "${LP[zookeeper.p99_ms]:-0}" "${LP[embedded.p99_ms]:-0}")" \
        "$(ratio "${LP[zookeeper.max_ms]:-0}" "${LP[embedded.max_ms]:-0}")" "$(ratio "${LP[zookeeper.put_ms]:-0}" "${LP[embedded.put_ms]:-0}")" ""
    say "goal: ZooKeeper watches held by the gateway's session with $PARKED long-polls parked: ${PARKED_WATCHES:-?} == 1: $( [[ "${PARKED_WATCHES:-}" == 1 ]] && echo met || echo 'NOT MET')"
    say "(p50/p99/max: from sending the write to each waiter's answer reaching its socket; write ms: the"
    say " write's own answer; bytes/poll: the gateway's RSS growth per parked long-poll.)"
fi

# =================================================================================================
# lag: how long a write takes to reach the gateway's readers, idle and under write load
# =================================================================================================
if want lag; then
    say ""
    say "== lag: a write read back with its own Zkgate-Index, idle and during set load on other cached nodes =="
    say "load:      $(load_line)"
    cat >"$TMP/lag.py" <<'EOF'
"""PUT a new value on PATH, then GET it with the PUT's Zkgate-Index until the value shows."""
import http.client, json, sys, time
port, path, timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def get(headers):
    c.request("GET", path, headers=headers); r = c.getresponse(); b = r.read()
    return r.status, json.loads(b).get("data"), int(r.getheader("Zkgate-Index") or 0)
get({})
value = "v%d" % time.time_ns()
t0 = time.monotonic()
c.request("PUT", path, body=json.dumps({"data": value}), headers={"Content-Type": "application/json"})
r = c.getresponse(); r.read()
t1 = time.monotonic()
index = int(r.getheader("Zkgate-Index"))
stale, lowest = 0, None
while True:
    status, data, got = get({"Zkgate-Index": str(index)})
    if data == value:
        break
    stale += 1
    lowest = got if lowest is None else min(lowest, got)
    if time.monotonic() - t1 > timeout:
        break
t2 = time.monotonic()
seen = data == value
print("RESULT put_ms=%.1f visible_ms=%s stale_answers=%d requested_index=%d stale_index=%s" % (
    (t1 - t0) * 1e3, "%.1f" % ((t2 - t1) * 1e3) if seen else "never(>%.0fs)" % timeout, stale, index,
    lowest if lowest is not None else "-"))
EOF
    start_gateway lag "$ZKGW_PORT" "zk:${MEMBERS[0]}$PREFIX-lag"
    LAG_GW="$GW_PID"
    GW_MEASURE="$LAG_GW"
    LAG_LINK="$(gateway_link "$LAG_GW")"
    url="http://$HOST:$ZKGW_PORT"
    # LAG_NODES nodes n1.., each read once (cached), and the marker.
    curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' -d '{"data":"0"}' "$url/v1/nodes/marker" >/dev/null
    python3 - "$ZKGW_PORT" "$LAG_NODES" "$VALUE_SIZE" <<'EOF'
import http.client, sys
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(1, n + 1):
    c.request("PUT", "/v1/nodes/n%d" % i, body=b"x" * size, headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse(); r.read()
    assert r.status in (200, 201), r.status
    c.request("GET", "/v1/nodes/n%d" % i); r = c.getresponse(); r.read()
EOF
    idle="$(python3 "$TMP/lag.py" "$ZKGW_PORT" /v1/nodes/marker 60 | grep '^RESULT')"
    say "idle:       ${idle#RESULT }"
    wrk -t1 -c"$LAG_C" -d"${LAG_SECONDS}s" -s "$LUA" "$url" -- set /v1/nodes/n 1 "$LAG_NODES" "$VALUE_SIZE" >"$OUT/lag-load.txt" 2>&1 &
    load_pid=$!
    PIDS+=("$load_pid")
    sleep "$(awk -v s="$LAG_SECONDS" 'BEGIN { print s / 2 }')"
    loaded="$(python3 "$TMP/lag.py" "$ZKGW_PORT" /v1/nodes/marker 60 | grep '^RESULT')"
    wait "$load_pid" || die "the set load failed (see $OUT/lag-load.txt)"
    forget_pid "$load_pid"
    grep -q 'Non-2xx' "$OUT/lag-load.txt" && say "ERROR: the set load had answers that were not 2xx (see $OUT/lag-load.txt)"
    say "under load: ${loaded#RESULT } (the write sent $(awk -v s="$LAG_SECONDS" 'BEGIN { print s / 2 }') s into $LAG_SECONDS s of sets, $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$OUT/lag-load.txt")/s, wrk -c$LAG_C, on $LAG_NODES cached nodes)"
    if [[ -n "$LAG_LINK" ]]; then
        # After the load: how long the gateway keeps sending ZooKeeper requests (its feed catching up).
        # shellcheck disable=SC2086
        prev="$(cons_field $LAG_LINK recved)"; quiet=0; t0="$EPOCHREALTIME"; trail=""
        for ((i = 0; i < 120 && quiet < 4; i++)); do
            sleep 0.5
            # shellcheck disable=SC2086
            now="$(cons_field $LAG_LINK recved)"
            trail+="$((now - prev)) "
            if ((now - prev <= 2)); then quiet=$((quiet + 1)); else quiet=0; fi
            prev="$now"
        done
        say "after the load: ZooKeeper requests from the gateway per 0.5 s: $trail"
    fi
    GW_MEASURE=""
    stop_gateway "$LAG_GW"
    drop_chroot "$PREFIX-lag"
fi

say ""
say "load:      $(load_line) after the run"
left="$(zk_tree ls "${PREFIX#/}" 2>/dev/null | tr '\n' ' ')"
[[ -z "$left" ]] || say "warning: left on the ensemble: $left"
say "raw output: $OUT"
