#!/usr/bin/env bash
# bench/zk-tls.sh — zkgate's writes over TLS to the ensemble against plaintext, and how long a
# reconnect to another member takes over TLS, each beside its plaintext peer in the same run.
#
# Goals (docs/PERFORMANCE.md): gateway writes at C = 16 and 64 over TLS at least 0.9x those over
# plaintext; a reconnect over TLS (TCP, handshake, session re-attach, first answer) reported as
# p50 and p99.
#
# What it does: a private 3-member ensemble (deploy/zk-ensemble.sh on ZK_BASE_PORT with ZK_TLS=2:
# Netty with port unification, so that each member's one client port takes TLS and plaintext
# clients alike and both gateways talk to the same JVMs through the same server), started and
# stopped here. Two zkgates with --threads 1 and the access log off, each
# on its own chroot, one plaintext and one with --zookeeper-tls-ca/-cert/-key (the ensemble's
# client identity). For each C in CONCURRENCY, ROUNDS rounds alternating which goes first:
# wrk -t1 -cC bench/zk-gateway.lua create (PUT with If-None-Match: *, 64-byte body) for
# DURATION s, then set (PUT ?version=-1) for DURATION s, on each gateway, and zk-bench (the
# native client alone) plaintext and TLS at the same C: the floor the members' own TLS cost
# sets. A warm-up of WARMUP s per gateway comes first (the members' JIT compiles their TLS
# code). Prints each run's requests/s and p99 and the medians with their ratio TLS/plaintext,
# beside the native client's. Then zk-bench --reconnects
# RECONNECTS, plaintext and TLS: each drop of the connection timed until a getData on the same
# session is answered through the next member. Every process it starts is stopped by pid.
# Results: bench/results/zk-tls-<time>/.
#
# Environment (defaults in brackets): ROUNDS [3]  DURATION [3]  CONCURRENCY ["16 64"]  WARMUP [15]
#   RECONNECTS [200]  PLAIN_PORT [18330]  TLS_PORT [18331]  ZK_BASE_PORT [5181]
#   ZK_ENSEMBLE_DIR  ZKGATE_BIN  ZK_BENCH_BIN  SCRATCH_PATH [.build-bench]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-15}"
DURATION="${DURATION:-3}"
CONCURRENCY="${CONCURRENCY:-16 64}"
RECONNECTS="${RECONNECTS:-200}"
PLAIN_PORT="${PLAIN_PORT:-18330}"
TLS_PORT="${TLS_PORT:-18331}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
ZK_BENCH_BIN="${ZK_BENCH_BIN:-}"
HOST=127.0.0.1
BENCH_NAME=zk-tls
OUT="bench/results/zk-tls-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d)"
LUA="$ROOT/bench/zk-gateway.lua"
# shellcheck source=bench/lib.sh
source bench/lib.sh
private_ensemble zk-tls-bench
# A private ensemble whose ports take TLS and plaintext (ZK_TLS=2).
[[ "$OWN_ENSEMBLE_DIR" == 1 ]] || die "bench/zk-tls.sh needs an ensemble of its own: leave ZK_ENSEMBLE_DIR unset"
# The members with the JVM's full compiler: zk-ensemble.sh stops at C1 for a quick start in
# tests, and C1 has no AES-GCM intrinsics, which makes the members' TLS cost 2.4 times their
# plaintext CPU per request (40 against 17 ticks per 1,000 writes); production JVMs run C2.
export ZK_TLS=2 ZK_JAVA_OPTS="-XX:TieredStopAtLevel=4"

on_exit() {
    cleanup
    private_ensemble_down
}
trap on_exit EXIT

bash scripts/setup.sh --bench >/dev/null
need_tools wrk curl
build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"
build_release zk-bench "$ZK_BENCH_BIN"
ZK_BENCH="$BUILT"
ensemble_up "(ZK_ENSEMBLE_DIR=$ZK_ENSEMBLE_DIR)"
CONNECT="$(bash "$ENSEMBLE" connect-string)"
CERTS="$(bash "$ENSEMBLE" tls)"
TLS_ARGS=(--zookeeper-tls-ca "$CERTS/ca.pem" --zookeeper-tls-cert "$CERTS/client.pem" --zookeeper-tls-key "$CERTS/client-key.pem")

GATEWAY_ARGS=()
start_gateway plain "$PLAIN_PORT" "zk:$CONNECT/zk-tls-plain-$$" "" 1
PLAIN_PID="$GW_PID"
GATEWAY_ARGS=("${TLS_ARGS[@]}")
start_gateway tls "$TLS_PORT" "zk:$CONNECT/zk-tls-tls-$$" "" 1
TLS_PID="$GW_PID"

say "== bench/zk-tls.sh: zkgate's writes over TLS to the ensemble, against plaintext =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources)"
say "ensemble: $CONNECT, TLS and plaintext on the same ports, members with $ZK_JAVA_OPTS ($ENSEMBLE_NOTE)"
say "zkgate:   $ZKGATE --threads 1, plaintext (pid $PLAIN_PID) and TLS 1.3 with a client certificate (pid $TLS_PID)"
say "load:     wrk -t1 -cC bench/zk-gateway.lua, $DURATION s per phase, $ROUNDS rounds alternating the order"
say ""
sayf "%-4s %-6s %-6s %5s %10s %9s\n" C phase link round "req/s" "p99 ms"

# run_wrk LOG CONNS SECONDS URL LUA_ARGS...: wrk -t1 with bench/zk-gateway.lua; sets RPS, REQUESTS,
# P99 (ms) and NON2XX.
run_wrk() {
    local log="$1" conns="$2" secs="$3" url="$4" status=0 pid
    shift 4
    wrk -t1 -c"$conns" -d"${secs}s" --latency --timeout 30s -s "$LUA" "$url" -- "$@" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    forget_pid "$pid"
    [[ "$status" -eq 0 ]] || die "wrk failed (exit $status): $(head -c 400 "$log")"
    RPS="$(awk '/^Requests\/sec:/ {print $2}' "$log")"
    REQUESTS="$(awk '/ requests in / {print $1}' "$log")"
    P99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$log")")"
    [[ -n "$RPS" && -n "$REQUESTS" ]] || die "could not parse wrk output: $log"
    NON2XX="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$log")"; NON2XX="${NON2XX:-0}"
}

declare -A RATES
# measure C PHASE LINK ROUND: one wrk run; the nodes n1.. exist after create.
measure() {
    local c="$1" phase="$2" link="$3" round="$4" port
    port=$([[ "$link" == tls ]] && echo "$TLS_PORT" || echo "$PLAIN_PORT")
    local prefix="/v1/nodes/c$c-r$round-"
    if [[ "$phase" == create ]]; then
        run_wrk "$OUT/wrk-$c-$phase-$link-$round.log" "$c" "$DURATION" "http://$HOST:$port/" create "$prefix" 1 1 64
        echo "$REQUESTS" >"$TMP/created-$c-$link-$round"
    else
        local made; made="$(cat "$TMP/created-$c-$link-$round")"
        run_wrk "$OUT/wrk-$c-$phase-$link-$round.log" "$c" "$DURATION" "http://$HOST:$port/" set "$prefix" 1 "$((made > 1 ? made - 1 : 1))" 64
    fi
    [[ "$NON2XX" == 0 ]] || say "warning: $NON2XX answers not 2xx ($OUT/wrk-$c-$phase-$link-$round.log)"
    RATES["$c $phase $link"]+="$RPS "
    sayf "%-4s %-6s %-6s %5s %10.0f %9.2f\n" "$c" "$phase" "$link" "$round" "$RPS" "$P99"
}

# Warm-up, not counted: the members' compiler, and the gateways' first nodes.
for link in plain tls; do
    port=$([[ "$link" == tls ]] && echo "$TLS_PORT" || echo "$PLAIN_PORT")
    run_wrk "$OUT/wrk-warmup-$link.log" 16 "$WARMUP" "http://$HOST:$port/" create "/v1/nodes/warm-" 1 1 64
    run_wrk "$OUT/wrk-warmup-set-$link.log" 16 "$WARMUP" "http://$HOST:$port/" set "/v1/nodes/warm-" 1 100 64
done
say "warm-up: $WARMUP s of creates and $WARMUP s of sets through each gateway, not counted"

# native C ROUND LINK: zk-bench (the native client alone, no HTTP) at concurrency C: its create
# and set rates, the floor the ensemble's own TLS cost sets.
native() {
    local c="$1" round="$2" link="$3" args
    args=(--connect "$CONNECT" --concurrency "$c" --duration "$DURATION" --base "/zk-tls-native-$link-$c-$round-$$")
    [[ "$link" == tls ]] && args+=(--tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/client.pem" --tls-key "$CERTS/client-key.pem")
    "$ZK_BENCH" "${args[@]}" >"$OUT/native-$c-$link-$round.txt" 2>&1 || die "zk-bench failed: $(tail -n 3 "$OUT/native-$c-$link-$round.txt")"
    local phase rate
    for phase in create set; do
        rate="$(awk -v p="$phase" '$1 == "result" && $2 == p {print $5}' "$OUT/native-$c-$link-$round.txt")"
        RATES["$c $phase native-$link"]+="$rate "
        sayf "%-4s %-6s %-6s %5s %10.0f %9s\n" "$c" "$phase" "zk-$link" "$round" "$rate" "-"
    done
}

for c in $CONCURRENCY; do
    for round in $(seq 1 "$ROUNDS"); do
        order=(plain tls)
        (( round % 2 == 0 )) && order=(tls plain)
        for phase in create set; do
            for link in "${order[@]}"; do measure "$c" "$phase" "$link" "$round"; done
        done
        for link in "${order[@]}"; do native "$c" "$round" "$link"; done
    done
done

say ""
say "medians (req/s):"
for c in $CONCURRENCY; do
    for phase in create set; do
        p="$(median_of "${RATES["$c $phase plain"]}")"
        t="$(median_of "${RATES["$c $phase tls"]}")"
        r="$(ratio "$t" "$p")"
        np="$(median_of "${RATES["$c $phase native-plain"]}")"
        nt="$(median_of "${RATES["$c $phase native-tls"]}")"
        sayf "  C=%-3s %-6s plaintext %8.0f  TLS %8.0f  TLS/plaintext %s  (goal >= 0.9: %s); the native client alone: %s (%.0f / %.0f)\n" \
            "$c" "$phase" "$p" "$t" "$r" "$(goal "$r" ">=" 0.9)" "$(ratio "$nt" "$np")" "$nt" "$np"
    done
done

say ""
say "reconnects: $RECONNECTS times, drop the connection and time until a getData on the same session is answered through the next member"
for link in plain tls; do
    args=(--connect "$CONNECT" --reconnects "$RECONNECTS" --base "/zk-tls-reconnect-$link-$$")
    [[ "$link" == tls ]] && args+=(--tls-ca "$CERTS/ca.pem" --tls-cert "$CERTS/client.pem" --tls-key "$CERTS/client-key.pem")
    "$ZK_BENCH" "${args[@]}" >"$OUT/reconnect-$link.txt" 2>&1 || die "zk-bench --reconnects failed: $(tail -n 3 "$OUT/reconnect-$link.txt")"
    read -r _ _ n _ _ p50 p99 _ < <(grep '^result reconn' "$OUT/reconnect-$link.txt")
    sayf "  %-9s %4d reconnects  p50 %6.2f ms  p99 %6.2f ms\n" "$link" "$n" "$p50" "$p99"
done
say ""
say "results: $OUT"
