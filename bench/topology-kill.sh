#!/usr/bin/env bash
# bench/topology-kill.sh — requests through HAProxy across a replica's kill -9, against the same
# load with no fault in the same run: latency p99, and what the clients got instead of answers.
#
# Goal (docs/PERFORMANCE.md): across a replica kill -9, p99 latency ≤ 1 s, and nothing but writes
# of unknown outcome (503 + Retry-After, or a connection closed unanswered under a write) for the
# requests in flight on the dead replica.
#
# What it does: deploy/topology.sh (HAProxy, three replicas on the ensemble; a private ensemble on
# ZK_BASE_PORT unless one runs there); then ROUNDS times: DURATION s of bench/topology_load.py
# (WRITERS keep-alive clients, each writing its node and reading it back) with no fault; then
# DURATION s more during which, KILL_AT s in, one replica (in turn) is killed with kill -9 and
# started again 4 s later. Prints each run, then the medians and the ratio of p99s.
# Everything it starts is stopped by pid at the end (deploy/topology.sh stop, the ensemble if it
# started it). Results: bench/results/topology-kill-<time>/.
#
# Environment (defaults in brackets): ROUNDS [3] DURATION [10] KILL_AT [3] WRITERS [6]
#   HAPROXY_PORT [18310]  ZK_BASE_PORT [5181]  ZK_ENSEMBLE_DIR  ZKGATE_BIN  SCRATCH_PATH [.build-bench]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
KILL_AT="${KILL_AT:-3}"
WRITERS="${WRITERS:-6}"
export HAPROXY_PORT="${HAPROXY_PORT:-18310}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
HOST=127.0.0.1
BENCH_NAME=topology-kill
OUT="bench/results/topology-kill-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d)"
# shellcheck source=bench/lib.sh
source bench/lib.sh
private_ensemble topology-bench
export TOPOLOGY_DIR="$TMP/topology" CHROOT="/topology-bench-$$"

on_exit() {
    bash deploy/topology.sh stop >>"$OUT/topology.log" 2>&1 || true
    [[ "$OWN_ENSEMBLE_DIR" == 1 ]] && rm -rf "$ZK_ENSEMBLE_DIR"
    cleanup
    return 0
}
trap on_exit EXIT

bash scripts/setup.sh --bench >/dev/null
need_tools curl haproxy python3
build_release zkgate "$ZKGATE_BIN"
export ZKGATE_BIN="$BUILT"
bash deploy/topology.sh start >>"$OUT/topology.log" 2>&1 || { tail -n 20 "$OUT/topology.log"; die "the topology did not start"; }

field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

say "== bench/topology-kill.sh: requests through HAProxy across a replica's kill -9 =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources deploy)"
say "topology: deploy/topology.sh, HAProxy on $HOST:$HAPROXY_PORT, three replicas ($ZKGATE_BIN), ensemble on port $ZK_BASE_PORT"
say "load:     $WRITERS keep-alive clients writing their node and reading it back, $DURATION s a run"
say ""
sayf "%-6s %-9s %8s %8s %7s %9s %9s %9s\n" round run answered unknown failed p50_ms p99_ms max_ms
BASE=() KILL=() FAILED=0
for ((round = 1; round <= ROUNDS; round++)); do
    base=$(python3 bench/topology_load.py "$HAPROXY_PORT" "$DURATION" "$WRITERS")
    victim=$(((round - 1) % 3 + 1))
    python3 bench/topology_load.py "$HAPROXY_PORT" "$DURATION" "$WRITERS" >"$TMP/kill.json" &
    load=$!
    sleep "$KILL_AT"
    bash deploy/topology.sh kill "$victim"
    sleep 4
    bash deploy/topology.sh start-replica "$victim" >>"$OUT/topology.log" 2>&1
    wait "$load"
    killed=$(cat "$TMP/kill.json")
    for run in base killed; do
        json=${!run}
        sayf "%-6s %-9s %8s %8s %7s %9s %9s %9s\n" "$round" "$run" "$(field "$json" ok)" "$(field "$json" unknown)" \
            "$(field "$json" failed)" "$(field "$json" p50)" "$(field "$json" p99)" "$(field "$json" max)"
    done
    BASE+=("$(field "$base" p99)")
    KILL+=("$(field "$killed" p99)")
    FAILED=$((FAILED + $(field "$killed" failed) + $(field "$base" failed)))
done
say ""
base_p99=$(median "${BASE[@]}")
kill_p99=$(median "${KILL[@]}")
say "median p99: no fault $base_p99 ms, across a kill -9 $kill_p99 ms (ratio $(ratio "$kill_p99" "$base_p99")); failures other than writes of unknown outcome: $FAILED"
say "goal: p99 across a kill ≤ 1000 ms: $(goal "$kill_p99" "<=" 1000); no other failure: $([[ $FAILED -eq 0 ]] && echo met || echo MISSED)"
say "raw output: $OUT"
