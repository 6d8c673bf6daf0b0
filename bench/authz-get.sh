#!/usr/bin/env bash
# bench/authz-get.sh — what an access policy costs a cached node GET: the same binary with no
# policy and with a policy of 1,000 grants, in the same run, over HTTP/1.1 with a bearer token.
#
#   1. Builds zkgate in release mode (or takes ZKGATE_BIN), installs wrk through
#      scripts/setup.sh --bench.
#   2. Writes a bearer token and an operator token (random, this run only), their SHA-256 from
#      `zkgate auth hash-token`, and a policy of 1,000 grants (bench/authz_fixture.py): cert:*,
#      token:* and jwt:* grants with {name}, * and /** patterns on many prefixes, grants to 200
#      named device tokens, and the one allowing the bench token's GET of /bench/cfg at index
#      995 of 1,000.
#   3. Starts two servers from the binary, each --threads 1 --access-log off on its own
#      embedded store, pinned to CPU 0 (wrk runs on CPU 1): "open" with no policy and "policy"
#      with --auth-policy. Creates /v1/nodes/bench/cfg (15 bytes) on both, as the operator on
#      the policy server, and checks that the policy is in force there (401 without the token,
#      403 on a path no grant allows, 200 on /bench/cfg).
#   4. Warm-up, then ROUNDS rounds of `wrk -t1 -c64 -dDURATION --latency -H 'Authorization:
#      Bearer <token>'` against each server, alternating which goes first (the open server gets
#      the same header and ignores it). Prints req/s, p99, the server's CPU use, requests per
#      server CPU-millisecond and how busy each core was per run, then the medians and the
#      ratios policy/open. The goal: req/s ≥ 0.95× the open server's.
# Raw wrk output, server logs and the summary go to bench/results/authz-get-<time>/ (gitignored).
# Every process the script starts is stopped by its pid when it exits, however it exits.
#
# Environment (defaults in brackets):
#   DURATION [10]     seconds per wrk run          ROUNDS [5]     measured rounds
#   WARMUP [3]        seconds of warm-up per server
#   WRK_CONNS [64]    wrk connections
#   OPEN_PORT [18184] POLICY_PORT [18185]
#   SCRATCH_PATH      build folder for `swift build --scratch-path` (default: SwiftPM's .build)
#   ZKGATE_BIN        use this binary instead of building one
#
# Example: DURATION=5 ROUNDS=5 bench/authz-get.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
WARMUP="${WARMUP:-3}"
WRK_CONNS="${WRK_CONNS:-64}"
OPEN_PORT="${OPEN_PORT:-18184}"
POLICY_PORT="${POLICY_PORT:-18185}"
SCRATCH_PATH="${SCRATCH_PATH:-}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
HOST=127.0.0.1
SERVER_CPU=0
CLIENT_CPU=1
NODE=/v1/nodes/bench/cfg

OUT="bench/results/authz-get-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench.XXXXXX)"
mkdir -p "$OUT"

# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=authz-get.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# start_server TAG PORT [serve args...]: zkgate pinned to SERVER_CPU, one loop, no access log,
# its own embedded store; waited for until ready. Sets SERVER_PID.
SERVER_PID=""
start_server() {
    local tag="$1" port="$2"; shift 2
    port_busy "$port" && die "port $port is already in use"
    taskset -c "$SERVER_CPU" "$ZKGATE" serve --listen "$HOST:$port" --threads 1 --access-log off \
        --data-dir "$TMP/data-$tag" "$@" >"$OUT/zkgate-$tag.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_readyz "zkgate ($tag)" "$SERVER_PID" "$port" "$OUT/zkgate-$tag.log" 20
}

# create_node NAME PORT [curl args...]: PUT the 15-byte node the GETs read.
create_node() {
    local name="$1" port="$2"; shift 2
    curl_ok "$name: PUT $NODE" "201 200" -X PUT "$@" --json '{"data":"{\"on\":true}ab"}' \
        "http://$HOST:$port$NODE?parents=true" >/dev/null
}

# --- preparation -----------------------------------------------------------------------------
bash scripts/setup.sh --bench

need_tools wrk taskset curl python3
if [[ "$(nproc)" -lt 2 ]]; then
    die "needs at least 2 CPUs (servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU)"
fi

build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"

# Tokens of this run only; the policy holds their digests, never the tokens.
BENCH_TOKEN="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
OPS_TOKEN="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
bench_sha="$(printf '%s' "$BENCH_TOKEN" | "$ZKGATE" auth hash-token)"
ops_sha="$(printf '%s' "$OPS_TOKEN" | "$ZKGATE" auth hash-token)"
python3 bench/authz_fixture.py policy "$TMP/policy.json" "$ops_sha" "$bench_sha"
explained="$("$ZKGATE" auth explain --policy "$TMP/policy.json" --who token:bench --op read --path /bench/cfg)" \
    || die "the policy does not allow the bench GET: $explained"

say "== bench/authz-get.sh: cached node GET, no policy vs a 1,000-grant policy, bearer token =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources Package.swift)"
say "cpu:      $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores"
say "zkgate:   $ZKGATE (--threads 1 --access-log off, embedded store), both servers on CPU $SERVER_CPU"
say "policy:   1,000 grants, 202 tokens; token:bench $explained"
say "request:  GET $NODE (15 bytes), Authorization: Bearer <43-byte token> to both servers"
say "wrk:      $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t1 -c$WRK_CONNS -d${DURATION}s --latency, CPU $CLIENT_CPU"
say "rounds:   $ROUNDS (after ${WARMUP}s warm-up each), alternating which server goes first"
load_sample
say "load:     $LOAD_LINE before the run"
if (( ${BUSY_SERVER%\%} > 10 || ${BUSY_CLIENT%\%} > 10 )); then
    say "warning:  the machine is busy with other work; expect noisy results"
fi
say "results:  $OUT"
say ""

# --- servers ---------------------------------------------------------------------------------
declare -A PORT=([open]="$OPEN_PORT" [policy]="$POLICY_PORT") SPID=()
start_server open "$OPEN_PORT"
SPID[open]="$SERVER_PID"
start_server policy "$POLICY_PORT" --auth-policy "$TMP/policy.json"
SPID[policy]="$SERVER_PID"

create_node open "$OPEN_PORT"
create_node policy "$POLICY_PORT" -H "Authorization: Bearer $OPS_TOKEN"
# The policy is in force: no token is 401, a path no grant allows is 403, the bench GET is 200.
curl_ok "policy: GET $NODE without a token" 401 "http://$HOST:$POLICY_PORT$NODE" >/dev/null
curl_ok "policy: GET /v1/nodes/tenants/t1/config" 403 -H "Authorization: Bearer $BENCH_TOKEN" \
    "http://$HOST:$POLICY_PORT/v1/nodes/tenants/t1/config" >/dev/null
for name in open policy; do
    curl_ok "$name: GET $NODE" 200 -H "Authorization: Bearer $BENCH_TOKEN" "http://$HOST:${PORT[$name]}$NODE" \
        >"$TMP/body-$name"
done
# The same answer from both but for the node's ctime and mtime.
[[ "$(wc -c <"$TMP/body-open")" == "$(wc -c <"$TMP/body-policy")" ]] \
    || die "the two servers' answers differ in length: $(cat "$TMP/body-open") / $(cat "$TMP/body-policy")"

WRK_HEADERS=("Authorization: Bearer $BENCH_TOKEN")
# run_wrk NAME SECONDS OUTFILE: wrk_measure of the GET against server NAME.
run_wrk() {
    MEASURE_PIDS=("${SPID[$1]}")
    wrk_measure "$1" "$WRK_CONNS" "$2" "$3" "http://$HOST:${PORT[$1]}$NODE"
    grep -q 'Non-2xx' "$3" && die "$1 answered other than 2xx (see $3)"
    return 0
}

# --- rounds ----------------------------------------------------------------------------------
run_wrk open "$WARMUP" "$OUT/warmup-open.txt"
run_wrk policy "$WARMUP" "$OUT/warmup-policy.txt"

declare -A RPS_OF=() P99_OF=() EFF_OF=()
FMT_ROUND='%-6s %-7s %10s %9s %11s %11s %8s %8s\n'
sayf "$FMT_ROUND" round server 'req/s' 'p99 ms' 'server CPU' 'req/CPU-ms' "core $SERVER_CPU" "core $CLIENT_CPU"
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then order=(open policy); else order=(policy open); fi
    for name in "${order[@]}"; do
        run_wrk "$name" "$DURATION" "$OUT/round$r-$name.txt"
        RPS_OF[$name]+="$RPS "; P99_OF[$name]+="$P99_MS "; EFF_OF[$name]+="$REQ_PER_CPU_MS "
        sayf "$FMT_ROUND" "$r" "$name" "$(printf '%.0f' "$RPS")" "$P99_MS" "$CPU_PCT%" "$REQ_PER_CPU_MS" \
            "$SERVER_CORE" "$CLIENT_CORE"
    done
done
load_sample
say "load:     $LOAD_LINE after the run"

for name in open policy; do
    stop_pid "${SPID[$name]}" 20
    [[ "$STOP_STATUS" -eq 0 ]] || say "warning: zkgate ($name) exited with status $STOP_STATUS on SIGTERM (expected 0)"
done

open_rps="$(median_of "${RPS_OF[open]}")"; open_p99="$(median_of "${P99_OF[open]}")"; open_eff="$(median_of "${EFF_OF[open]}")"
pol_rps="$(median_of "${RPS_OF[policy]}")"; pol_p99="$(median_of "${P99_OF[policy]}")"; pol_eff="$(median_of "${EFF_OF[policy]}")"
rps_ratio="$(ratio "$pol_rps" "$open_rps")"
FMT_MEDIAN='%-14s %12s %10s %14s\n'
say ""
sayf "$FMT_MEDIAN" median 'req/s' 'p99 ms' 'req/CPU-ms'
sayf "$FMT_MEDIAN" open "$(printf '%.0f' "$open_rps")" "$open_p99" "$open_eff" \
    policy "$(printf '%.0f' "$pol_rps")" "$pol_p99" "$pol_eff"
sayf "$FMT_MEDIAN" policy/open "$rps_ratio" "$(ratio "$pol_p99" "$open_p99")" "$(ratio "$pol_eff" "$open_eff")"
say ""
say "goal: policy req/s ≥ 0.95× open: $rps_ratio, $(goal "$rps_ratio" '>=' 0.95)"
say "(req/CPU-ms, requests per millisecond of the server's own CPU, moves least with other load"
say " on the machine; the core columns show how busy each core was in all.)"
say "raw output: $OUT"
