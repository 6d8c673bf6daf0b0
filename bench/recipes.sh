#!/usr/bin/env bash
# bench/recipes.sh — zkgate's HTTP recipes measured: lock cycles against Curator in the same
# run, one lock under 1,000 contenders, and one config layer under 10,000 long-polling devices.
#
# Why: the recipes are what devices use zkgate for, and each has its own goal:
#   cycles      uncontended acquire + release cycles/s through HTTP, on a 3-node ensemble, at
#               least 0.8x a Curator InterProcessMutex loop at the same concurrency, same run
#   contenders  1,000 HTTP contenders on one lock: every grant reaches its waiter; the
#               hand-over time (a release answered -> the next grant received) is reported
#   config      10,000 devices long-polling their effective config under one fleet layer: one
#               write to that layer reaches all of them; the fan-out time is reported
# This is a benchmark, never a timed test: it is not part of scripts/test.sh or CI.
#
# Usage: bench/recipes.sh [all | cycles | contenders | config]...   (default: all)
#
# What it does:
#   0. Builds zkgate in release mode (swift build -c release --product zkgate --scratch-path
#      .build-bench) and, for cycles, bench/recipes/CuratorLoop.java (javac, against Debian's
#      Curator 5.4 jars, as Tests/TestSupport/Curator.swift does). Starts a private 3-node
#      ensemble (deploy/zk-ensemble.sh with ZK_BASE_PORT and ZK_ENSEMBLE_DIR of its own) when a
#      part needs one, and stops and deletes it at the end.
#   cycles: a warm-up round (not counted; it warms the fresh ensemble's JVMs), then ROUNDS
#      rounds. Each round uses one member for everything (members 1, 2, 3 in turn): a fresh zkgate (default threads, access log off) on a fresh chroot
#      /recipes-cycles-r<round>, and for each C in CONCURRENCY, in an order that alternates
#      between rounds:
#        curator  bench/recipes/CuratorLoop.java: C threads on one CuratorFramework (one
#                 ZooKeeper session, as the gateway's), each looping InterProcessMutex
#                 acquire() + release() on a lock of its own under the same chroot; WARMUP s
#                 not counted, then DURATION s counted
#        http     C device sessions (POST /v1/sessions), then wrk -tC -cC with
#                 bench/recipes/cycles.lua: each connection loops POST /v1/locks/<own name>
#                 {"session", "wait"} and DELETE /v1/locks/<own name>?token=<the acquire's
#                 token>; WARMUP s on other lock names, then DURATION s counted
#      For each: cycles/s, p50/p99 of a cycle, the client's CPU per cycle, the gateway's CPU
#      per cycle (http), and ZooKeeper requests per cycle (zk_packets_received of `mntr`,
#      summed over the members, over the run), and how busy each core was over the counted
#      seconds. Nothing is pinned: the JVMs, the gateway and the clients share both cores, as
#      in bench/zk-gateway.sh's ops. Then the medians, the ratio http/curator per C (of the
#      medians, with each round's) and the goal.
#   contenders: for each round and backend in BACKENDS (embedded: a temporary --data-dir;
#      zookeeper: all three members, chroot /recipes-contenders-r<round>), a fresh zkgate
#      --threads 1 on CPU 0 and bench/recipes/contenders.py on CPU 1: CONTENDERS sessions,
#      the first contender holds the lock while the others queue (POST with wait LOCK_WAIT)
#      and 2 s more, then each grant is released at once. Grants, hand-over p50/p99/max (from kernel receive
#      timestamps), total time, and the checks (tokens increasing, no overlap, FIFO).
#   config: the same per round and backend, with bench/recipes/config_fanout.py (POLL_PROCS
#      processes on CPU 1): DEVICES devices each GET /v1/config/fleet/eu/dev-<n> and then
#      long-poll it with ?index=<its Zkgate-Index>&wait=55s; one PUT of the fleet layer
#      /config/fleet; answered, fan-out p50/p99/max after the write was sent and after its
#      answer, and the gateway's memory per parked device.
# Every process the script starts (zkgate, wrk, java, the Python clients, the ensemble's JVMs)
# is stopped by its pid when it exits, however it exits. Results: bench/results/recipes-<time>/.
#
# Environment (defaults in brackets):
#   DURATION [5]          seconds counted per cycles run    ROUNDS [3]   rounds (every part)
#   CONCURRENCY ["1 8"]   clients (cycles)                  WARMUP [5]   seconds before each
#   CONTENDERS [1000]     contenders (contenders)           LOCK_WAIT [55s] their wait
#   DEVICES [10000]       long-polling devices (config)     CONFIG_PATHS [DEVICES] distinct paths
#   POLL_PROCS [4]        config client processes           BACKENDS ["embedded zookeeper"]
#   ZKGW_PORT [18290] EMBEDDED_PORT [18291]
#   ZK_BASE_PORT [5181]   the private ensemble's first client port (see deploy/zk-ensemble.sh)
#   ZK_ENSEMBLE_DIR       its folder [${TMPDIR:-/tmp}/zkgate-recipes-bench.<pid>]; a folder
#                         holding a running ensemble is shared and left running
#   SCRATCH_PATH [.build-bench]  build folder for `swift build --scratch-path`
#   ZKGATE_BIN            use this zkgate instead of building
#
# Example: bench/recipes.sh cycles; bench/recipes.sh contenders; bench/recipes.sh config
#              (one part at a time: the runs quoted in docs/PERFORMANCE.md)
#          ROUNDS=1 CONCURRENCY=8 bench/recipes.sh cycles
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
CONCURRENCY="${CONCURRENCY:-1 8}"
WARMUP="${WARMUP:-5}"
CONTENDERS="${CONTENDERS:-1000}"
LOCK_WAIT="${LOCK_WAIT:-55s}"
DEVICES="${DEVICES:-10000}"
CONFIG_PATHS="${CONFIG_PATHS:-$DEVICES}"
POLL_PROCS="${POLL_PROCS:-4}"
BACKENDS="${BACKENDS:-embedded zookeeper}"
ZKGW_PORT="${ZKGW_PORT:-18290}"
EMBEDDED_PORT="${EMBEDDED_PORT:-18291}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
export ZK_BASE_PORT="${ZK_BASE_PORT:-5181}"
OWN_ENSEMBLE_DIR=0
if [[ -z "${ZK_ENSEMBLE_DIR:-}" ]]; then
    ZK_ENSEMBLE_DIR="${TMPDIR:-/tmp}/zkgate-recipes-bench.$$"
    OWN_ENSEMBLE_DIR=1
fi
export ZK_ENSEMBLE_DIR
HOST=127.0.0.1
# The pinned parts put the gateway on CPU 0 and the clients on CPU 1, as bench/v1.sh.
SERVER_CPU=0
CLIENT_CPU=1
# What CuratorLoop needs from /usr/share/java (Debian's Curator is not shaded: Guava beside it;
# slf4j-nop keeps Curator's logging off stdout). The ZooKeeper client uses NIO, not Netty.
JARS=(curator-client curator-framework curator-recipes zookeeper zookeeper-jute guava slf4j-api slf4j-nop)
JVM_OPTS=(-XX:+UseSerialGC -Xmx256m -XX:-UsePerfData)

PARTS=("$@")
[[ ${#PARTS[@]} -eq 0 ]] && PARTS=(all)
want() { local p; for p in "${PARTS[@]}"; do [[ "$p" == all || "$p" == "$1" ]] && return 0; done; return 1; }
for p in "${PARTS[@]}"; do
    case "$p" in all | cycles | contenders | config) ;; *) echo "usage: $0 [all|cycles|contenders|config]..." >&2; exit 2 ;; esac
done
for b in $BACKENDS; do
    case "$b" in embedded | zookeeper) ;; *) echo "BACKENDS: embedded and/or zookeeper, not '$b'" >&2; exit 2 ;; esac
done

OUT="bench/results/recipes-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench-recipes.XXXXXX)"
mkdir -p "$OUT"

# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=recipes.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
CURL_MAX_TIME=20
GOAL_MISSED="NOT MET"
GATEWAY_MAX_PARKED=$(( (DEVICES > CONTENDERS ? DEVICES : CONTENDERS) + 1000 ))
GATEWAY_READY_SECONDS=30

# The clients and gateways go first (a gateway outliving its ensemble only logs), then the
# ensemble, then its folder when this run made it.
finish() {
    local status=$? p
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$p" 5 || true; done
    ensemble_down
    if [[ "$STARTED_ENSEMBLE" == 1 && "$OWN_ENSEMBLE_DIR" == 1 ]]; then
        bash "$ENSEMBLE" reset >>"$OUT/ensemble.log" 2>&1 || true
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap finish EXIT

# --- processes ----------------------------------------------------------------------------------
# run_bg LOG TIMEOUT CMD...: CMD in the background, waited for (so that a signal stops the run at
# once), killed after TIMEOUT seconds. Sets RUN_STATUS.
run_bg() {
    local log="$1" limit="$2" pid
    shift 2
    "$@" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    if ! wait_gone "$pid" $((limit * 10)); then
        say "warning: $1 still ran after $limit s; stopped (see $log)"
        stop_pid "$pid" 5
    fi
    RUN_STATUS=0
    wait "$pid" 2>/dev/null || RUN_STATUS=$?
    forget_pid "$pid"
}

# zk_packets: client packets received by the whole ensemble so far (mntr, summed over members).
zk_packets() {
    local n total=0 v
    for n in 1 2 3; do
        v="$(ensemble_4lw "$n" mntr 2>/dev/null | awk '$1 == "zk_packets_received" { print $2 }')"
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# result_field LOG KEY: KEY's value on the "result ..." or "RESULT ..." line of LOG.
result_field() {
    awk -v k="$2" '$1 == "result" || $1 == "RESULT" { for (i = 2; i <= NF; i++) { split($i, kv, "=");
        if (kv[1] == k) { print kv[2]; exit } } }' "$1"
}

declare -A RES=()   # RES[key] = space-separated values, one per round
add() { RES[$1]+="$2 "; }
med() { median_of "${RES[$1]:-}"; }
rounds_of() { local v="${RES[$1]:-}"; echo "${v% }"; }

# --- preparation ---------------------------------------------------------------------------------
need_tools curl taskset python3 ss
[[ "$(nproc)" -ge 2 ]] || die "needs at least 2 CPUs"
if [[ -z "$ZKGATE_BIN" ]]; then
    echo "building: swift build -c release --product zkgate --scratch-path $SCRATCH_PATH"
    swift build -c release --product zkgate --scratch-path "$SCRATCH_PATH" >>"$OUT/build.log" 2>&1 \
        || { tail -n 30 "$OUT/build.log" >&2; die "swift build --product zkgate failed"; }
    ZKGATE="$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)/zkgate"
else
    ZKGATE="$ZKGATE_BIN"
fi
[[ -x "$ZKGATE" ]] || die "zkgate not found at $ZKGATE"

# Descriptors: every parked device or contender is one socket in the gateway.
ulimit -n "$(ulimit -Hn)"
if [[ "$(ulimit -n)" != unlimited ]] && (( $(ulimit -n) < DEVICES + 1000 || $(ulimit -n) < CONTENDERS + 1000 )); then
    die "DEVICES=$DEVICES and CONTENDERS=$CONTENDERS need about 1,000 descriptors more in the gateway; the limit is $(ulimit -n)"
fi

NEED_ENSEMBLE=0
want cycles && NEED_ENSEMBLE=1
if want contenders || want config; then [[ " $BACKENDS " == *" zookeeper "* ]] && NEED_ENSEMBLE=1; fi
CONNECT_ALL=""
if [[ "$NEED_ENSEMBLE" == 1 ]]; then
    ensemble_up "(its folder $ZK_ENSEMBLE_DIR was given)"
    CONNECT_ALL="$(bash "$ENSEMBLE" connect-string)"
    IFS=, read -r -a MEMBERS <<<"$CONNECT_ALL"
fi

if want cycles; then
    need_tools wrk java javac
    CLASSPATH_JARS=""
    for jar in "${JARS[@]}"; do
        [[ -f "/usr/share/java/$jar.jar" ]] || die "/usr/share/java/$jar.jar not found (scripts/setup.sh installs Curator)"
        CLASSPATH_JARS+=":/usr/share/java/$jar.jar"
    done
    mkdir -p "$TMP/java"
    javac -encoding UTF-8 -nowarn -d "$TMP/java" -cp "${CLASSPATH_JARS#:}" bench/recipes/CuratorLoop.java \
        >"$OUT/javac.log" 2>&1 || { cat "$OUT/javac.log" >&2; die "javac bench/recipes/CuratorLoop.java failed"; }
    CURATOR_CP="$TMP/java$CLASSPATH_JARS"
fi

say "== bench/recipes.sh: zkgate's HTTP recipes (locks, layered config) =="
say "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:    $(commit_desc Sources Package.swift bench/recipes bench/recipes.sh)"
say "cpu:       $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; $(ulimit -n) descriptors"
if [[ -n "$CONNECT_ALL" ]]; then
    say "ensemble:  ZooKeeper $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?') on $CONNECT_ALL, leader member $(bash "$ENSEMBLE" leader 2>/dev/null || echo '?'), forceSync=no; $ENSEMBLE_NOTE"
fi
say "zkgate:    $ZKGATE"
if want cycles; then
    say "curator:   $(basename "$(readlink -f /usr/share/java/curator-recipes.jar)"), $(java -version 2>&1 | head -n 1), ${JVM_OPTS[*]}"
fi
say "parts:     ${PARTS[*]}"
say "load:      $(load_line) before the run"
say "results:   $OUT"

# =================================================================================================
# cycles: uncontended acquire + release, HTTP against Curator
# =================================================================================================
# run_curator ROUND C CONNECT: one CuratorLoop run; stores its figures unless ROUND is "warmup".
# The cores are sampled when the loop says its counted window starts and ends.
run_curator() {
    local round="$1" c="$2" connect="$3" log="$OUT/cycles-r$1-c$2-curator.txt" p0 p1 all pid i k0="" k1="" limit
    p0="$(zk_packets)"
    java "${JVM_OPTS[@]}" -cp "$CURATOR_CP" CuratorLoop "$connect" "$c" "$WARMUP" "$DURATION" "/curator-locks/c$c" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    limit=$(( (WARMUP + DURATION + 120) * 20 ))
    i=0
    while [[ -z "$k1" ]] && ((i++ < limit)) && is_running "$pid"; do
        [[ -z "$k0" ]] && grep -q '^window start' "$log" && k0="$(core_times)"
        [[ -n "$k0" ]] && grep -q '^window end' "$log" && k1="$(core_times)"
        sleep 0.05
    done
    if ! wait_gone "$pid" 300; then
        say "warning: CuratorLoop C=$c still ran 30 s after its window; stopped (see $log)"
        stop_pid "$pid" 5
    fi
    RUN_STATUS=0
    wait "$pid" 2>/dev/null || RUN_STATUS=$?
    forget_pid "$pid"
    p1="$(zk_packets)"
    [[ "$RUN_STATUS" -eq 0 ]] || die "CuratorLoop C=$c failed (exit $RUN_STATUS): $(head -c 400 "$log")"
    [[ "$round" == warmup ]] && return 0
    add "curator.$c.cores" "$( [[ -n "$k1" ]] && core_busy "$k0" "$k1" | tr ' ' / || echo ?)"
    all="$(result_field "$log" all_cycles)"
    add "curator.$c.rate" "$(result_field "$log" rate)"
    add "curator.$c.p50" "$(result_field "$log" p50_ms)"
    add "curator.$c.p99" "$(result_field "$log" p99_ms)"
    add "curator.$c.ccpu" "$(result_field "$log" cpu_us_per_cycle)"
    add "curator.$c.zkreq" "$(awk -v a="$p0" -v b="$p1" -v n="$all" 'BEGIN { printf "%.2f", (n > 0 ? (b - a) / n : 0) }')"
}

# run_http ROUND C GW_PID: C sessions, a warm-up wrk, then the counted wrk run.
run_http() {
    local round="$1" c="$2" gw="$3" url="http://$HOST:$ZKGW_PORT" sessions="" i sid log p0 p1 c0 c1 k0 k1 cycles
    for ((i = 0; i < c; i++)); do
        sid="$(curl_ok zkgate 201 -H 'Content-Type: application/json' -d '{"ttl":120000}' "$url/v1/sessions" \
            | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
        sessions+="${sessions:+,}$sid"
    done
    run_bg "$OUT/cycles-r$round-c$c-http-warmup.txt" $((WARMUP + 60)) \
        wrk -t"$c" -c"$c" -d"${WARMUP}s" --timeout 30s -s bench/recipes/cycles.lua "$url" -- "$sessions" "w$round-c$c-"
    [[ "$RUN_STATUS" -eq 0 ]] || die "wrk (warm-up) failed: $(head -c 400 "$OUT/cycles-r$round-c$c-http-warmup.txt")"
    log="$OUT/cycles-r$round-c$c-http.txt"
    p0="$(zk_packets)"; c0="$(cpu_ticks "$gw")"; k0="$(core_times)"
    run_bg "$log" $((DURATION + 60)) \
        wrk -t"$c" -c"$c" -d"${DURATION}s" --timeout 30s -s bench/recipes/cycles.lua "$url" -- "$sessions" "m$round-c$c-"
    k1="$(core_times)"; c1="$(cpu_ticks "$gw")"; p1="$(zk_packets)"
    [[ "$RUN_STATUS" -eq 0 ]] || die "wrk failed (exit $RUN_STATUS): $(head -c 400 "$log")"
    grep -q '^result ' "$log" || die "no result line from wrk (see $log)"
    grep -q '^first error' "$log" && say "  note: r$round C=$c: $(result_field "$log" errors) failed answers, $(grep '^first error' "$log" | cut -c1-300)"
    for sid in ${sessions//,/ }; do
        curl -s -o /dev/null --max-time 10 -X DELETE "$url/v1/sessions/$sid" || true
    done
    [[ "$round" == warmup ]] && return 0
    cycles="$(result_field "$log" cycles)"
    add "http.$c.cores" "$(core_busy "$k0" "$k1" | tr ' ' /)"
    add "http.$c.rate" "$(result_field "$log" rate)"
    add "http.$c.p50" "$(result_field "$log" p50_ms)"
    add "http.$c.p99" "$(result_field "$log" p99_ms)"
    add "http.$c.ccpu" "$(result_field "$log" cpu_us_per_cycle)"
    add "http.$c.errors" "$(result_field "$log" errors)"
    add "http.$c.gcpu" "$(awk -v t="$((c1 - c0))" -v hz="$CLK_TCK" -v n="$cycles" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
    add "http.$c.zkreq" "$(awk -v a="$p0" -v b="$p1" -v n="$cycles" 'BEGIN { printf "%.2f", (n > 0 ? (b - a) / n : 0) }')"
}

if want cycles; then
    say ""
    say "== cycles: uncontended lock acquire + release, zkgate over HTTP against Curator's InterProcessMutex =="
    say "(nothing pinned; per round one member for both and a fresh zkgate on a fresh chroot; ${WARMUP} s warm-up, ${DURATION} s counted)"
    for ((r = 0; r <= ROUNDS; r++)); do
        m=$(( (r + 2) % 3 ))             # round 1 on member 1, then 2, 3, ...
        member="${MEMBERS[m]}"
        tag="r$r"; [[ "$r" == 0 ]] && tag=warmup
        start_gateway "cycles-$tag" "$ZKGW_PORT" "zk:$member/recipes-cycles-$tag"
        gw="$GW_PID"
        say "round $tag: member $((m + 1)) ($member), zkgate pid $gw; load $(cut -d' ' -f1 /proc/loadavg)"
        for c in $CONCURRENCY; do
            # The order alternates between rounds, so that drift in the machine's load hits both.
            if (( r % 2 )); then
                run_curator "${tag#r}" "$c" "$member/recipes-cycles-$tag"
                run_http "${tag#r}" "$c" "$gw"
            else
                run_http "${tag#r}" "$c" "$gw"
                run_curator "${tag#r}" "$c" "$member/recipes-cycles-$tag"
            fi
            [[ "$r" == 0 ]] && continue
            say "  C=$c: curator $(printf '%.0f' "$(echo "${RES[curator.$c.rate]}" | awk '{print $NF}')") cycles/s, http $(printf '%.0f' "$(echo "${RES[http.$c.rate]}" | awk '{print $NF}')") cycles/s"
        done
        stop_gateway "$gw"
    done
    say ""
    FMT_CY='%-4s %-8s %9s %8s %8s %11s %11s %8s %-22s %s\n'
    sayf "$FMT_CY" C side 'cycles/s' 'p50 ms' 'p99 ms' 'client µs' 'zkgate µs' 'ZK req' 'cores busy per round' 'cycles/s per round'
    for c in $CONCURRENCY; do
        for side in curator http; do
            sayf "$FMT_CY" "$c" "$side" "$(printf '%.0f' "$(med "$side.$c.rate")")" "$(med "$side.$c.p50")" "$(med "$side.$c.p99")" \
                "$(med "$side.$c.ccpu")" "$( [[ $side == http ]] && med "http.$c.gcpu" || echo -)" "$(med "$side.$c.zkreq")" \
                "$(rounds_of "$side.$c.cores")" "$(rounds_of "$side.$c.rate")"
        done
    done
    say ""
    for c in $CONCURRENCY; do
        read -ra hr <<<"${RES[http.$c.rate]}"; read -ra cr <<<"${RES[curator.$c.rate]}"
        per=""
        for ((i = 0; i < ${#hr[@]}; i++)); do per+="$(ratio "${hr[i]}" "${cr[i]}") "; done
        rc="$(ratio "$(med "http.$c.rate")" "$(med "curator.$c.rate")")"
        say "goal: C=$c http/curator cycles/s $rc >= 0.80: $(goal "$rc" '>=' 0.8) (per round: ${per% })"
    done
    say "(client µs: the client's CPU per cycle, wrk or the JVM; zkgate µs: the gateway's CPU per cycle;"
    say " ZK req: ZooKeeper client packets per cycle, the whole ensemble's zk_packets_received over the run;"
    say " cores busy: CPU 0/CPU 1 over the counted seconds, every process included;"
    say " HTTP answers that were not 2xx: $(for c in $CONCURRENCY; do printf 'C=%s: %s  ' "$c" "$(rounds_of "http.$c.errors")"; done))"
fi

# =================================================================================================
# contenders: one lock, CONTENDERS waiters, every grant released at once
# =================================================================================================
# client_rounds PART KEY_PREFIX SCRIPT KEY...: for each round and backend in BACKENDS, a fresh
# zkgate --threads 1 on SERVER_CPU (embedded, or all members on the chroot
# /recipes-PART-r<round>) and `python3 SCRIPT --port PORT ARGS...` on CLIENT_CPU, ARGS being what
# `PART_args ROUND GATEWAY_PID` puts in CLIENT_ARGS. Prints the client's lines, those starting
# "PART:" marked with the round and backend instead, and stores each KEY of its RESULT line in
# RES[KEY_PREFIX.<backend>.KEY].
client_rounds() {
    local part="$1" prefix="$2" script="$3" name r b port backend gw log k
    shift 3
    name="$(basename "$script")"
    for ((r = 1; r <= ROUNDS; r++)); do
        for b in $BACKENDS; do
            if [[ "$b" == embedded ]]; then
                backend=embedded; port="$EMBEDDED_PORT"
            else
                backend="zk:$CONNECT_ALL/recipes-$part-r$r"; port="$ZKGW_PORT"
            fi
            start_gateway "$part-$b-r$r" "$port" "$backend" "$SERVER_CPU" 1
            gw="$GW_PID"
            log="$OUT/$part-$b-r$r.txt"
            "${part}_args" "$r" "$gw"
            run_bg "$log" 600 taskset -c "$CLIENT_CPU" python3 "$script" --port "$port" "${CLIENT_ARGS[@]}"
            stop_gateway "$gw"
            sed 's/^/  /' "$log" | grep -v '^  RESULT' | sed "s/^  $part:/  r$r $b:/" | tee -a "$SUMMARY"
            grep -q '^RESULT ' "$log" || die "$name against $b gave no result (exit $RUN_STATUS; see $log)"
            [[ "$RUN_STATUS" -eq 0 ]] || say "ERROR: $name against $b exited $RUN_STATUS (see $log)"
            for k in "$@"; do
                add "$prefix.$b.$k" "$(result_field "$log" "$k")"
            done
        done
    done
}

contenders_args() { CLIENT_ARGS=(--contenders "$CONTENDERS" --wait "$LOCK_WAIT" --lock "bench/contended-r$1" --timeout 540); }

if want contenders; then
    say ""
    say "== contenders: $CONTENDERS HTTP contenders on one lock, each released as soon as it is granted =="
    say "(zkgate --threads 1 on CPU $SERVER_CPU, bench/recipes/contenders.py on CPU $CLIENT_CPU; wait $LOCK_WAIT; backends: $BACKENDS)"
    client_rounds contenders cont bench/recipes/contenders.py grants ok total_s handover_p50_ms handover_p99_ms \
        handover_max_ms from_release_p50_ms from_release_p99_ms release_p50_ms fifo queue_s
    say ""
    FMT_CT='%-10s %13s %9s %9s %9s %9s %9s %9s %9s %s\n'
    sayf "$FMT_CT" backend grants 'total s' 'h p50' 'h p99' 'h max' 'rel p50' 'rel p99' 'DEL p50' 'grants per round'
    for b in $BACKENDS; do
        sayf "$FMT_CT" "$b" "$(med "cont.$b.grants" | cut -d. -f1) / $CONTENDERS" "$(med "cont.$b.total_s")" \
            "$(med "cont.$b.handover_p50_ms")" "$(med "cont.$b.handover_p99_ms")" "$(med "cont.$b.handover_max_ms")" \
            "$(med "cont.$b.from_release_p50_ms")" "$(med "cont.$b.from_release_p99_ms")" "$(med "cont.$b.release_p50_ms")" \
            "$(rounds_of "cont.$b.grants")"
        oks="$(rounds_of "cont.$b.ok")"
        verdict=met
        [[ " $oks " == *" 0 "* || -z "$oks" ]] && verdict="NOT MET"
        say "goal: $b: every grant reaches its waiter ($CONTENDERS of $CONTENDERS, every check passed, in every round): $verdict (per round ok: $oks; FIFO: $(rounds_of "cont.$b.fifo"))"
    done
    say "(ms, medians over rounds; h: hand-over, a release answered -> the next grant received, kernel receive"
    say " timestamps; rel: a release sent -> the next grant received; DEL: a release's own answer time)"
fi

# =================================================================================================
# config: DEVICES devices long-polling their effective config; one write to the fleet layer
# =================================================================================================
config_args() { CLIENT_ARGS=(--pid "$2" --devices "$DEVICES" --paths "$CONFIG_PATHS" --procs "$POLL_PROCS" --timeout 240); }

if want config; then
    say ""
    say "== config: $DEVICES devices long-poll /v1/config/fleet/eu/dev-<n> ($CONFIG_PATHS distinct paths), then one write to /config/fleet =="
    say "(zkgate --threads 1 on CPU $SERVER_CPU, bench/recipes/config_fanout.py with $POLL_PROCS processes on CPU $CLIENT_CPU; backends: $BACKENDS)"
    client_rounds config cfg bench/recipes/config_fanout.py answered missing wrong errors p50_ms p99_ms max_ms \
        after_answer_p50_ms after_answer_p99_ms put_ms bytes_per_parked park_s
    say ""
    FMT_CF='%-10s %15s %10s %9s %9s %9s %10s %10s %9s %s\n'
    sayf "$FMT_CF" backend answered 'bytes/dev' 'p50 ms' 'p99 ms' 'max ms' 'ans p50' 'ans p99' 'write ms' 'p99 per round'
    for b in $BACKENDS; do
        sayf "$FMT_CF" "$b" "$(med "cfg.$b.answered" | cut -d. -f1) / $DEVICES" "$(med "cfg.$b.bytes_per_parked" | cut -d. -f1)" \
            "$(med "cfg.$b.p50_ms")" "$(med "cfg.$b.p99_ms")" "$(med "cfg.$b.max_ms")" "$(med "cfg.$b.after_answer_p50_ms")" \
            "$(med "cfg.$b.after_answer_p99_ms")" "$(med "cfg.$b.put_ms")" "$(rounds_of "cfg.$b.p99_ms")"
        answered="$(rounds_of "cfg.$b.answered")"; bad="$(rounds_of "cfg.$b.wrong") $(rounds_of "cfg.$b.errors")"
        verdict=met
        for a in $answered; do [[ "$a" == "$DEVICES" ]] || verdict="NOT MET"; done
        for x in $bad; do [[ "$x" == 0 ]] || verdict="NOT MET"; done
        [[ -n "$answered" ]] || verdict="NOT MET"
        say "goal: $b: one write reaches all $DEVICES devices, each with the new config, in every round: $verdict (answered per round: $answered)"
    done
    say "(medians over rounds; p50/p99/max: each device's answer after the write was sent; ans: after the"
    say " write's own answer arrived, negative when the waiters are answered first; bytes/dev: the gateway's"
    say " RSS growth per parked device)"
fi

say ""
say "load:      $(load_line) after the run"
say "raw output: $OUT"
