#!/usr/bin/env bash
# bench/h2.sh — HTTP/2 of zkgate over h2c: GET throughput against the same build's HTTP/1.1 and
# against nghttpd, and 100,000 long-poll streams parked over 500 connections.
#
# Why: HTTP/2's goals are that multiplexing costs no throughput against HTTP/1.1 (h2load
# `-c64 -m10` at least the HTTP/1.1 req/s of the same build), with nghttpd — nghttp2's own
# server, the library zkgate's HTTP/2 is built on — as the peer in the same run; and that a
# parked long-poll stream costs at most 2 KiB of server memory, with one write answering
# 100,000 of them. Absolute numbers say little about a machine nobody else has, so each figure
# is a ratio within one run, or a per-stream cost. This is a benchmark, never a timed test: it
# is not part of scripts/test.sh or CI.
#
# What it does:
#   0. Installs the benchmark packages (scripts/setup.sh --bench: wrk and nghttpd among them;
#      h2load comes with the test packages' nghttp2-client), builds zkgate in release mode,
#      and the stream client bench/h2/streams.c and bench/h2/nghttp2_mem.c (cc, against
#      libnghttp2).
#   1. throughput: zkgate (embedded store, --threads 1 --access-log off) with one node
#      /bench = {"data":"x"}, and nghttpd (--no-tls, -n 1: one thread, as zkgate's one loop)
#      serving a file holding exactly zkgate's answer body for the same path; both pinned to
#      CPU 0, every client on CPU 1. Checks that zkgate answers h2c with prior knowledge and by
#      `Upgrade: h2c` (curl), and that both bodies are the same bytes. Then a warm-up and
#      ROUNDS rounds of four runs of DURATION seconds, the order rotating between rounds:
#        zkgate-h2c   h2load -t1 -c$CONNS -m$STREAMS -D DURATION  (prior knowledge)
#        zkgate-h1    h2load --h1 -t1 -c$CONNS -m1 -D DURATION    (same client, same count)
#        zkgate-wrk   wrk -t1 -c$CONNS -dDURATION --latency       (bench/http1.sh's client)
#        nghttpd-h2c  h2load -t1 -c$CONNS -m$STREAMS -D DURATION
#      Per run: req/s, the mean time per request (h2load) or mean latency (wrk), the server's
#      CPU use, requests per server CPU-millisecond and how busy each core was; then medians
#      and the ratios zkgate-h2c / zkgate-h1, zkgate-h2c / zkgate-wrk and zkgate-h2c /
#      nghttpd-h2c, with each round's own ratio. zkgate-h1 is the HTTP/1.1 figure the goal
#      compares with: the same client program counting the same way, one request in flight
#      per connection as wrk keeps; zkgate-wrk is the same measure with the client
#      bench/http1.sh uses.
#   2. parked: PARKED_ROUNDS times, a fresh zkgate (embedded store, --threads PARKED_THREADS,
#      --max-parked PARKED+10000; with one thread pinned to CPU 0 and the clients on CPU 1) with
#      one node /fleet; bench/h2/parked.py opens PARKED_CONNS h2c connections from PARKED_PROCS
#      processes on source addresses 127.0.0.2-9, reads the server's RSS, parks PARKED/CONNS
#      streams of `GET /v1/nodes/fleet?index=I&wait=55s` on each, waits until
#      zkgate_http_parked_requests is PARKED, reads RSS again, then does one PUT over HTTP/1.1
#      and takes every stream's answer time from the kernel's receive timestamps. Prints per
#      round and medians: bytes of RSS per parked stream ((parked - connected) / PARKED), with
#      the connections too ((parked - idle) / PARKED), per connection, the fan-out
#      p50/p99/max and the answers counted. /proc/PID/smaps at each reading goes to the
#      results folder, and its growth by kind of mapping into the summary; bench/h2/nghttp2_mem.c
#      then measures what libnghttp2 alone keeps per session and per open stream, so the rest
#      of each figure is zkgate's own.
#      H1_PARKED > 0 then runs bench/longpoll.py's HTTP/1.1 long-polls (one connection each;
#      the descriptor limit caps them near 19,000) on a fresh zkgate of the same settings, as
#      the HTTP/1.1 reference in the same run.
#   PERF=1 also records `perf record -g` of zkgate, and counts its send and read system calls
#   (perf stat), during one more zkgate-h2c and zkgate-h1 run and over one more parked round;
#   where the samples fell (by library and by symbol) goes to the results folder, the shares
#   and the calls per request or answer into the summary.
# Raw client output, server logs and the summary go to bench/results/h2-<time>/ (gitignored).
# Every process the script starts is stopped by its pid when it exits, however it exits.
#
# Environment (defaults in brackets):
#   PARTS ["throughput parked"]   which parts, in this order
#   DURATION [10]   seconds per run     ROUNDS [5]       rounds      WARMUP [3] seconds per run kind
#   CONNS [64]      connections         STREAMS [10]     h2load -m (streams in flight each)
#   PARKED [100000] streams (part 2)    PARKED_CONNS [500]           PARKED_PROCS [4] clients
#   PARKED_ROUNDS [3]                   PARKED_THREADS [1] zkgate --threads (part 2; >1: unpinned)
#   H1_PARKED [15000]                   HTTP/1.1 long-polls for the reference (0: skip)
#   ZK_PORT [18380] NGHTTPD_PORT [18381]
#   SCRATCH_PATH [.build-bench]  build folder for `swift build --scratch-path`
#   ZKGATE_BIN      use this binary instead of building one
#   PERF [0]        1: the perf profiles described above
#
# Example: DURATION=5 ROUNDS=3 PARKED_ROUNDS=1 bench/h2.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PARTS="${PARTS:-throughput parked}"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
WARMUP="${WARMUP:-3}"
CONNS="${CONNS:-64}"
STREAMS="${STREAMS:-10}"
PARKED="${PARKED:-100000}"
PARKED_CONNS="${PARKED_CONNS:-500}"
PARKED_PROCS="${PARKED_PROCS:-4}"
PARKED_ROUNDS="${PARKED_ROUNDS:-3}"
PARKED_THREADS="${PARKED_THREADS:-1}"
H1_PARKED="${H1_PARKED:-15000}"
ZK_PORT="${ZK_PORT:-18380}"
NGHTTPD_PORT="${NGHTTPD_PORT:-18381}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
PERF="${PERF:-0}"
HOST=127.0.0.1
SERVER_CPU=0
CLIENT_CPU=1
NODE_DATA=x

OUT="bench/results/h2-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench-h2.XXXXXX)"
mkdir -p "$OUT"

# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=h2.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

read -ra PART_LIST <<<"$PARTS"
for part in "${PART_LIST[@]}"; do
    [[ "$part" == throughput || "$part" == parked ]] || die "unknown part '$part' in PARTS (throughput, parked)"
done
((PARKED % PARKED_CONNS == 0)) || die "PARKED=$PARKED is not a multiple of PARKED_CONNS=$PARKED_CONNS"
# zkgate announces SETTINGS_MAX_CONCURRENT_STREAMS 256: more per connection would queue in
# the client, not park.
((PARKED / PARKED_CONNS <= 256)) || die "PARKED / PARKED_CONNS = $((PARKED / PARKED_CONNS)) streams per connection; zkgate allows 256"

# rss_kb PID: VmRSS in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# --- servers ---------------------------------------------------------------------------------
NGHTTPD_PID=""
start_nghttpd() { # start_nghttpd DOCROOT: one thread, h2c, on SERVER_CPU
    local docroot="$1" i
    port_busy "$NGHTTPD_PORT" && die "port $NGHTTPD_PORT is already in use"
    taskset -c "$SERVER_CPU" nghttpd --no-tls -a "$HOST" -n 1 -d "$docroot" "$NGHTTPD_PORT" \
        >"$OUT/nghttpd.log" 2>&1 &
    NGHTTPD_PID=$!
    PIDS+=("$NGHTTPD_PID")
    for ((i = 0; i < 100; i++)); do
        is_running "$NGHTTPD_PID" || { cat "$OUT/nghttpd.log" >&2; die "nghttpd exited during startup"; }
        port_busy "$NGHTTPD_PORT" && return 0
        sleep 0.1
    done
    die "nghttpd did not listen on port $NGHTTPD_PORT within 10 s"
}

# zkgate_put PORT PATH DATA: creates or sets a node (parents too).
zkgate_put() {
    curl_ok zkgate "200 201" -X PUT -H 'Content-Type: application/json' -d "{\"data\":\"$3\"}" \
        "http://$HOST:$1/v1/nodes$2?parents=true" >/dev/null
}

# --- measurement -----------------------------------------------------------------------------
# h2load_measure NAME OUTFILE H2LOAD_ARGS...: one h2load run on the client CPU, the server's
# processes in MEASURE_PIDS. Sets RPS, DONE_N (requests completed), MEAN_MS, CPU_PCT,
# REQ_PER_CPU_MS, SERVER_CORE, CLIENT_CORE, and HEAD_B and DATA_B (bytes per request on the
# wire: header blocks after HPACK, or HTTP/1.1 heads, and bodies).
HEAD_B=""; DATA_B=""; MEAN_MS=""; DONE_N=""
h2load_measure() {
    local name="$1" outfile="$2"; shift 2
    local pid status=0 t0 t1 c0 c1 k0 k1 failed proto
    t0="$EPOCHREALTIME"; c0="$(cpu_ticks "${MEASURE_PIDS[@]}")"; k0="$(core_times)"
    taskset -c "$CLIENT_CPU" h2load -t1 "$@" >"$outfile" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    t1="$EPOCHREALTIME"; c1="$(cpu_ticks "${MEASURE_PIDS[@]}")"; k1="$(core_times)"
    forget_pid "$pid"
    [[ "$status" -eq 0 ]] || die "h2load failed against $name (exit $status): $(tail -n 5 "$outfile")"
    RPS="$(awk '/^finished in/ {print $4}' "$outfile")"
    DONE_N="$(awk '/^requests:/ {print $8}' "$outfile")"
    failed="$(awk '/^requests:/ {print $12 + $14 + $16}' "$outfile")"
    proto="$(awk '/^Application protocol:/ {print $3}' "$outfile")"
    MEAN_MS="$(awk '/^time for request:/ {print $6}' "$outfile")"
    [[ -n "$RPS" && -n "$DONE_N" && -n "$MEAN_MS" ]] || die "could not parse h2load output: $outfile"
    MEAN_MS="$(to_ms "$MEAN_MS")"
    read -r HEAD_B DATA_B < <(awk -v n="$DONE_N" '/^traffic:/ {
        gsub(/[()]/, ""); printf "%.0f %.0f\n", $6 / n, $(NF - 1) / n }' "$outfile")
    read -r SERVER_CORE CLIENT_CORE < <(core_busy "$k0" "$k1")
    read -r CPU_PCT REQ_PER_CPU_MS < <(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" \
        -v t1="$t1" -v n="$DONE_N" 'BEGIN { cpu_s = c / hz
            printf "%.1f %.1f\n", 100 * cpu_s / (t1 - t0), (cpu_s > 0 ? n / (cpu_s * 1000) : 0) }')
    if [[ "$failed" != 0 ]] || ! grep -qE '^status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx' "$outfile"; then
        say "warning: $name: failed or non-2xx requests: $(grep -E '^(requests|status codes):' "$outfile" | tr '\n' ';')"
    fi
    case "$*" in
        *--h1*) [[ "$proto" == http/1.1 ]] || die "$name: h2load spoke '$proto', not http/1.1" ;;
        *) [[ "$proto" == h2c ]] || die "$name: h2load spoke '$proto', not h2c" ;;
    esac
}

# run_kind KIND OUTFILE SECONDS: one run of a kind of the throughput part.
declare -A URL=()
run_kind() {
    local kind="$1" outfile="$2" secs="$3"
    case "$kind" in
        zkgate-h2c)
            MEASURE_PIDS=("$ZK_PID")
            h2load_measure "$kind" "$outfile" -c"$CONNS" -m"$STREAMS" -D "$secs" "${URL[zkgate]}" ;;
        zkgate-h1)
            MEASURE_PIDS=("$ZK_PID")
            h2load_measure "$kind" "$outfile" --h1 -c"$CONNS" -m1 -D "$secs" "${URL[zkgate]}" ;;
        zkgate-wrk)
            MEASURE_PIDS=("$ZK_PID")
            wrk_measure "$kind" "$CONNS" "$secs" "$outfile" "${URL[zkgate]}"
            MEAN_MS="$(to_ms "$(awk '$1 == "Latency" && $2 != "Distribution" {print $2}' "$outfile")")"
            HEAD_B="-"; DATA_B="-" ;;
        nghttpd-h2c)
            MEASURE_PIDS=("$NGHTTPD_PID")
            h2load_measure "$kind" "$outfile" -c"$CONNS" -m"$STREAMS" -D "$secs" "${URL[nghttpd]}" ;;
    esac
}

# perf_start NAME / perf_stop NAME COUNT UNIT: perf record -g of zkgate in between, and perf stat of
# its send and read system calls; the report by library and the top symbols go to
# OUT/perf-NAME-*.txt, the shares by library and the calls per UNIT (COUNT of them: requests or
# answers) into the summary.
PERF_PID=""; PERF_STAT_PID=""
perf_start() {
    perf record -g -o "$TMP/perf-$1.data" -p "$ZK_PID" >"$OUT/perf-$1.log" 2>&1 &
    PERF_PID=$!
    PIDS+=("$PERF_PID")
    perf stat -x, -e syscalls:sys_enter_sendto,syscalls:sys_enter_read -o "$OUT/perf-$1-syscalls.csv" \
        -p "$ZK_PID" >/dev/null 2>&1 &
    PERF_STAT_PID=$!
    PIDS+=("$PERF_STAT_PID")
    sleep 0.5   # perf attaches before the load starts
}
perf_stop() {
    local name="$1" count="$2" unit="$3"
    # perf stat prints its counts on SIGINT; SIGTERM would end it without them.
    kill -INT "$PERF_STAT_PID" 2>/dev/null || true
    wait_gone "$PERF_STAT_PID" 50 || true
    stop_pid "$PERF_STAT_PID" 5
    stop_pid "$PERF_PID" 10
    PERF_PID=""; PERF_STAT_PID=""
    perf report -i "$TMP/perf-$name.data" --stdio --no-children --sort dso 2>/dev/null >"$OUT/perf-$name-dso.txt" || true
    perf report -i "$TMP/perf-$name.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.5 \
        2>/dev/null >"$OUT/perf-$name-symbols.txt" || true
    say "perf ($name): $(awk '/^ +[0-9.]+%/ && n < 6 { printf "%s %s; ", $2, $1; n++ }' "$OUT/perf-$name-dso.txt")(top symbols: $OUT/perf-$name-symbols.txt)"
    say "  system calls per $unit ($count): $(awk -F, -v n="$count" '$3 ~ /sys_enter_/ {
        sub(/.*sys_enter_/, "", $3); printf "%s %.3f; ", $3, $1 / n }' "$OUT/perf-$name-syscalls.csv" 2>/dev/null)"
}

# --- preparation -----------------------------------------------------------------------------
bash scripts/setup.sh --bench

need_tools h2load nghttpd wrk taskset curl python3 cc
[[ "$PERF" == 1 ]] && need_tools perf
if [[ "$(nproc)" -lt 2 ]]; then
    die "needs at least 2 CPUs (servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU)"
fi

build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"
STREAMS_CLIENT="$TMP/streams"
NGHTTP2_MEM="$TMP/nghttp2_mem"
for prog in streams nghttp2_mem; do
    cc -O2 -Wall -Wextra -o "$TMP/$prog" "bench/h2/$prog.c" -lnghttp2 \
        || die "cannot build bench/h2/$prog.c (needs libnghttp2-dev)"
done

ulimit -n "$(ulimit -Hn)"

say "== bench/h2.sh: zkgate over HTTP/2 (h2c) =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources Package.swift)"
say "cpu:      $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(ulimit -n) descriptors per process"
say "zkgate:   $ZKGATE"
say "clients:  $(h2load --version | head -n 1), wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}'), bench/h2/streams.c on $(nghttpd --version | head -n 1 | sed 's/^nghttpd //'); CPU $CLIENT_CPU"
load_sample
say "load:     $LOAD_LINE before the run"
if (( ${BUSY_SERVER%\%} > 10 || ${BUSY_CLIENT%\%} > 10 )); then
    say "warning:  the machine is busy with other work; expect noisy results"
fi
say "results:  $OUT"

# --- part 1: throughput ------------------------------------------------------------------------
if [[ " ${PART_LIST[*]} " == *" throughput "* ]]; then
    say ""
    say "== 1. GET of a small node: h2c (h2load -c$CONNS -m$STREAMS) against HTTP/1.1 of the same build and nghttpd =="
    say "zkgate:   --threads 1 --access-log off, embedded store, CPU $SERVER_CPU"
    say "nghttpd:  --no-tls -n 1 (one thread), a static file, CPU $SERVER_CPU"
    say "rounds:   $ROUNDS of ${DURATION}s per kind (after ${WARMUP}s warm-up each), the order rotating"
    start_gateway speed "$ZK_PORT" embedded "$SERVER_CPU" 1
    ZK_PID="$GW_PID"
    zkgate_put "$ZK_PORT" /bench "$NODE_DATA"
    URL[zkgate]="http://$HOST:$ZK_PORT/v1/nodes/bench"
    URL[nghttpd]="http://$HOST:$NGHTTPD_PORT/v1/nodes/bench"
    # nghttpd serves a file holding zkgate's answer body, so both send the same bytes.
    mkdir -p "$TMP/docroot/v1/nodes"
    curl_ok zkgate 200 --http2-prior-knowledge "${URL[zkgate]}" >"$TMP/docroot/v1/nodes/bench"
    start_nghttpd "$TMP/docroot"
    for how in --http2-prior-knowledge --http2; do
        v="$(curl -sS --max-time 5 "$how" -o "$TMP/check-body" -w '%{http_version} %{http_code}' "${URL[zkgate]}")"
        [[ "$v" == "2 200" ]] || die "zkgate: curl $how answered '$v' (HTTP version, status), not '2 200'"
        cmp -s "$TMP/check-body" "$TMP/docroot/v1/nodes/bench" || die "zkgate: curl $how gave another body"
    done
    v="$(curl -sS --max-time 5 --http2-prior-knowledge -o "$TMP/check-body" -w '%{http_version} %{http_code}' "${URL[nghttpd]}")"
    if [[ "$v" != "2 200" ]] || ! cmp -s "$TMP/check-body" "$TMP/docroot/v1/nodes/bench"; then
        die "nghttpd: answered '$v' (HTTP version, status) or another body"
    fi
    say "checked:  zkgate answers h2c by prior knowledge and by Upgrade: h2c (curl), nghttpd by prior knowledge; both bodies $(wc -c <"$TMP/docroot/v1/nodes/bench") bytes, the same"

    KINDS=(zkgate-h2c zkgate-h1 zkgate-wrk nghttpd-h2c)
    for kind in "${KINDS[@]}"; do run_kind "$kind" "$OUT/warmup-$kind.txt" "$WARMUP"; done

    declare -A T_RPS=() T_LAT=() T_EFF=() T_CPU=() T_CLIENT=() T_HEAD=() T_DATA=()
    FMT_ROUND='%-6s %-12s %10s %9s %11s %11s %8s %8s %9s\n'
    say ""
    sayf "$FMT_ROUND" round kind 'req/s' 'lat ms' 'server CPU' 'req/CPU-ms' "core $SERVER_CPU" "core $CLIENT_CPU" 'B/req'
    for ((r = 1; r <= ROUNDS; r++)); do
        k=$(((r - 1) % ${#KINDS[@]}))
        order=("${KINDS[@]:k}" "${KINDS[@]:0:k}")
        for kind in "${order[@]}"; do
            run_kind "$kind" "$OUT/round$r-$kind.txt" "$DURATION"
            T_RPS[$kind]+="$RPS "; T_LAT[$kind]+="$MEAN_MS "; T_EFF[$kind]+="$REQ_PER_CPU_MS "
            T_CPU[$kind]+="$CPU_PCT "; T_CLIENT[$kind]+="${CLIENT_CORE%\%} "
            T_HEAD[$kind]="$HEAD_B"; T_DATA[$kind]="$DATA_B"
            sayf "$FMT_ROUND" "$r" "$kind" "$(printf '%.0f' "$RPS")" "$MEAN_MS" "$CPU_PCT%" "$REQ_PER_CPU_MS" \
                "$SERVER_CORE" "$CLIENT_CORE" "$HEAD_B+$DATA_B"
        done
    done
    say "(lat ms: h2load's mean time per request, wrk's mean latency; B/req: header bytes (after"
    say " HPACK for h2c) + body bytes per request as h2load counts them)"

    if [[ "$PERF" == 1 ]]; then
        say ""
        for kind in zkgate-h2c zkgate-h1; do
            perf_start "$kind"
            run_kind "$kind" "$OUT/perf-run-$kind.txt" "$DURATION"
            perf_stop "$kind" "$DONE_N" request
            say "  (that run: $(printf '%.0f' "$RPS") req/s under perf)"
        done
    fi
    say "RSS after the runs: zkgate $(rss_kb "$ZK_PID") KiB, nghttpd $(rss_kb "$NGHTTPD_PID") KiB"
    stop_gateway "$ZK_PID"
    ZK_PID=""
    stop_pid "$NGHTTPD_PID" 10
    NGHTTPD_PID=""

    # round_ratios LIST_A LIST_B: each round's A/B (the kinds ran back to back in a round).
    round_ratios() {
        local a b i out=""
        read -ra a <<<"$1"
        read -ra b <<<"$2"
        for ((i = 0; i < ${#a[@]} && i < ${#b[@]}; i++)); do out+="$(ratio "${a[$i]}" "${b[$i]}") "; done
        echo "${out% }"
    }
    declare -A M_RPS=() M_LAT=() M_EFF=()
    FMT_MED='%-26s %10s %9s %11s %8s %8s  %s\n'
    say ""
    say "medians of $ROUNDS rounds:"
    sayf "$FMT_MED" kind 'req/s' 'lat ms' 'req/CPU-ms' 'CPU' "core $CLIENT_CPU" 'B/req'
    for kind in "${KINDS[@]}"; do
        M_RPS[$kind]="$(median_of "${T_RPS[$kind]}")"; M_LAT[$kind]="$(median_of "${T_LAT[$kind]}")"
        M_EFF[$kind]="$(median_of "${T_EFF[$kind]}")"
        sayf "$FMT_MED" "$kind" "$(printf '%.0f' "${M_RPS[$kind]}")" "${M_LAT[$kind]}" "${M_EFF[$kind]}" \
            "$(printf '%.0f%%' "$(median_of "${T_CPU[$kind]}")")" "$(printf '%.0f%%' "$(median_of "${T_CLIENT[$kind]}")")" \
            "${T_HEAD[$kind]}+${T_DATA[$kind]}"
    done
    for pair in zkgate-h2c/zkgate-h1 zkgate-h2c/zkgate-wrk zkgate-h2c/nghttpd-h2c; do
        ka="${pair%/*}"; kb="${pair#*/}"
        sayf "$FMT_MED" "$pair" "$(ratio "${M_RPS[$ka]}" "${M_RPS[$kb]}")" "$(ratio "${M_LAT[$ka]}" "${M_LAT[$kb]}")" \
            "$(ratio "${M_EFF[$ka]}" "${M_EFF[$kb]}")" "" "" "rounds: $(round_ratios "${T_RPS[$ka]}" "${T_RPS[$kb]}")"
    done
    R_H1="$(ratio "${M_RPS[zkgate-h2c]}" "${M_RPS[zkgate-h1]}")"
    R_WRK="$(ratio "${M_RPS[zkgate-h2c]}" "${M_RPS[zkgate-wrk]}")"
    say "goal: zkgate h2c req/s >= its HTTP/1.1 req/s: h2c/h1 (h2load) $R_H1: $(goal "$R_H1" '>=' 1); h2c/h1 (wrk) $R_WRK: $(goal "$R_WRK" '>=' 1); h2c against nghttpd: $(ratio "${M_RPS[zkgate-h2c]}" "${M_RPS[nghttpd-h2c]}")"
    say "(req/s and req/CPU-ms ratios: higher is better; latency: lower. With core $CLIENT_CPU near"
    say " 100% the client was the limit, and req/CPU-ms is the figure that compares the servers.)"
fi

# --- part 2: parked streams ----------------------------------------------------------------------
declare -A P=()
# run_parked TAG [perf]: a fresh zkgate, bench/h2/parked.py against it; the RESULT's figures go
# to P[TAG.key]. With perf, zkgate is profiled from before the connections to the last answer.
run_parked() {
    local tag="$1" profile="${2:-}" log="$OUT/parked-$1.txt" pid status=0 line kv pin=() client_pin=()
    if [[ "$PARKED_THREADS" == 1 ]]; then pin=("$SERVER_CPU"); client_pin=(taskset -c "$CLIENT_CPU"); fi
    GATEWAY_MAX_PARKED=$((PARKED + 10000))
    start_gateway "parked-$tag" "$ZK_PORT" embedded "${pin[@]:-}" "$PARKED_THREADS"
    ZK_PID="$GW_PID"
    zkgate_put "$ZK_PORT" /fleet "$NODE_DATA"
    mkdir -p "$OUT/smaps-$tag"
    [[ "$profile" == perf ]] && perf_start parked
    "${client_pin[@]}" python3 bench/h2/parked.py --port "$ZK_PORT" --pid "$ZK_PID" --client "$STREAMS_CLIENT" \
        --key /fleet --streams "$PARKED" --conns "$PARKED_CONNS" --procs "$PARKED_PROCS" \
        --dump "$OUT/smaps-$tag" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    forget_pid "$pid"
    [[ "$profile" == perf ]] && perf_stop parked "$PARKED" "answer (the parking's included)"
    sed 's/^/  /' "$log" | grep -v '^  RESULT' | tee -a "$SUMMARY"
    line="$(grep '^RESULT ' "$log" || true)"
    [[ -n "$line" ]] || die "parked.py gave no result (exit $status; see $log)"
    [[ "$status" -eq 0 ]] || say "warning: parked.py exited $status (see $log)"
    for kv in ${line#RESULT }; do P[$tag.${kv%%=*}]="${kv#*=}"; done
    stop_gateway "$ZK_PID"
    ZK_PID=""
}

if [[ " ${PART_LIST[*]} " == *" parked "* ]]; then
    say ""
    say "== 2. $PARKED long-poll streams over $PARKED_CONNS h2c connections ($((PARKED / PARKED_CONNS)) each) on one node, then one write =="
    if [[ "$PARKED_THREADS" == 1 ]]; then
        say "zkgate:   --threads 1 --access-log off --max-parked $((PARKED + 10000)) --max-wait 55, embedded store, CPU $SERVER_CPU; a fresh server per round"
        say "clients:  bench/h2/parked.py and $PARKED_PROCS bench/h2/streams.c processes on CPU $CLIENT_CPU, sources 127.0.0.2-9"
    else
        say "zkgate:   --threads $PARKED_THREADS --access-log off --max-parked $((PARKED + 10000)) --max-wait 55, unpinned; a fresh server per round"
        say "clients:  bench/h2/parked.py and $PARKED_PROCS bench/h2/streams.c processes, unpinned, sources 127.0.0.2-9"
    fi
    say "load:     $(load_line)"
    for ((r = 1; r <= PARKED_ROUNDS; r++)); do
        say "round $r:"
        run_parked "r$r"
    done
    if [[ "$PERF" == 1 ]]; then
        say "profiled round (not in the figures below):"
        run_parked perf perf
    fi

    FMT_P='%-6s %9s %11s %10s %10s %11s %9s %9s %9s %9s %9s\n'
    say ""
    sayf "$FMT_P" round 'idle KiB' 'conns KiB' 'parked KiB' 'B/stream' 'B/stream+c' 'B/conn' 'p50 ms' 'p99 ms' 'max ms' answered
    B=(); BC=(); BC_CONN=(); P50=(); P99=(); PMAX=(); ALL_ANSWERED=1
    for ((r = 1; r <= PARKED_ROUNDS; r++)); do
        t="r$r"
        sayf "$FMT_P" "$r" "${P[$t.rss_idle_kb]}" "${P[$t.rss_before_kb]}" "${P[$t.rss_after_kb]}" \
            "${P[$t.bytes_per_parked]}" "${P[$t.bytes_with_conns]}" "${P[$t.bytes_per_conn]}" \
            "${P[$t.p50_ms]}" "${P[$t.p99_ms]}" "${P[$t.max_ms]}" "${P[$t.answered]}"
        B+=("${P[$t.bytes_per_parked]}"); BC+=("${P[$t.bytes_with_conns]}"); BC_CONN+=("${P[$t.bytes_per_conn]}")
        P50+=("${P[$t.p50_ms]}"); P99+=("${P[$t.p99_ms]}"); PMAX+=("${P[$t.max_ms]}")
        [[ "${P[$t.answered]}" == "$PARKED" && "${P[$t.wrong]}" == 0 && "${P[$t.errors]}" == 0 ]] || ALL_ANSWERED=0
    done
    m_b="$(median "${B[@]}")"
    sayf "$FMT_P" median "" "" "" "$(printf '%.0f' "$m_b")" "$(printf '%.0f' "$(median "${BC[@]}")")" "" \
        "$(median "${P50[@]}")" "$(median "${P99[@]}")" "$(median "${PMAX[@]}")" ""
    say "(B/stream: (RSS parked - RSS with the connections open) * 1024 / $PARKED; B/stream+c: (RSS"
    say " parked - RSS idle) * 1024 / $PARKED, the connections' share included; B/conn: (RSS with the"
    say " connections - RSS idle) * 1024 / $PARKED_CONNS. p50/p99/max: from sending the write to the"
    say " kernel's receive time of the read holding each stream's first answer byte.)"
    answered_note="every round answered all $PARKED streams with the new value"
    [[ "$ALL_ANSWERED" == 1 ]] || answered_note="NOT every stream was answered correctly in every round"
    # nghttp2's own share: its sessions and streams measured alone, in one process.
    read -r ng_session ng_stream < <("$NGHTTP2_MEM" "$PARKED_CONNS" "$((PARKED / PARKED_CONNS))" \
        "/v1/nodes/fleet?index=1&wait=55s" | awk -F'[= ]' '{ print $2, $4 }')
    say "of which libnghttp2 alone (bench/h2/nghttp2_mem.c, $PARKED_CONNS server sessions with $((PARKED / PARKED_CONNS)) open streams each):"
    say "  $ng_stream bytes per open stream (zkgate's own: $(awk -v a="$m_b" -v b="$ng_stream" 'BEGIN { printf "%.0f", a - b }')), $ng_session bytes per session (zkgate's own per connection: $(awk -v a="$(median "${BC_CONN[@]}")" -v b="$ng_session" 'BEGIN { printf "%.0f", a - b }'))"
    say "goal: RSS per parked stream $(printf '%.0f' "$m_b") bytes <= 2048: $(goal "$m_b" '<=' 2048); one write: $answered_note; fan-out p99 $(median "${P99[@]}") ms"

    if ((H1_PARKED > 0)); then
        say ""
        say "HTTP/1.1 reference: $H1_PARKED long-polls, one connection each (bench/longpoll.py, 4 processes), a fresh zkgate of the same settings:"
        pin=()
        [[ "$PARKED_THREADS" == 1 ]] && pin=("$SERVER_CPU")
        GATEWAY_MAX_PARKED=$((PARKED + 10000))
        start_gateway parked-h1 "$ZK_PORT" embedded "${pin[@]:-}" "$PARKED_THREADS"
        ZK_PID="$GW_PID"
        zkgate_put "$ZK_PORT" /fleet "$NODE_DATA"
        h1log="$OUT/parked-h1.txt"
        status=0
        client_pin=()
        [[ "$PARKED_THREADS" == 1 ]] && client_pin=(taskset -c "$CLIENT_CPU")
        "${client_pin[@]}" python3 bench/longpoll.py --server zkgate --port "$ZK_PORT" --pid "$ZK_PID" --key /fleet \
            --parked "$H1_PARKED" --procs 4 >"$h1log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        wait "$pid" || status=$?
        forget_pid "$pid"
        stop_gateway "$ZK_PID"
        ZK_PID=""
        sed 's/^/  /' "$h1log" | grep -v '^  RESULT' | tee -a "$SUMMARY"
        [[ "$status" -eq 0 ]] || say "warning: longpoll.py exited $status (see $h1log)"
        line="$(grep '^RESULT ' "$h1log" || true)"
        if [[ -n "$line" ]]; then
            declare -A H=()
            for kv in ${line#RESULT }; do H[${kv%%=*}]="${kv#*=}"; done
            say "per waiter: h2c stream $(printf '%.0f' "$m_b") bytes ($(printf '%.0f' "$(median "${BC[@]}")") with its connection share), HTTP/1.1 long-poll ${H[bytes_per_parked]} bytes with its connection"
            say "fan-out per answer (max / count): h2c $(awk -v m="$(median "${PMAX[@]}")" -v n="$PARKED" 'BEGIN { printf "%.1f", m * 1000 / n }') us, HTTP/1.1 $(awk -v m="${H[max_ms]}" -v n="$H1_PARKED" 'BEGIN { printf "%.1f", m * 1000 / n }') us"
        fi
    fi
fi

say ""
say "load:     $(load_line) after the run"
say "raw output: $OUT"
