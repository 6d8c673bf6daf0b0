#!/usr/bin/env bash
# bench/leader-failover.sh — writes through zkgate after the ZooKeeper leader is killed: how long
# until they work again, against the ensemble's own election time in the same run.
#
# Goal (docs/PERFORMANCE.md): writes resume within the ensemble's election time + 1 s.
#
# What it does: makes sure an ensemble runs (deploy/zk-ensemble.sh through bench/lib.sh: a private
# one on ZK_BASE_PORT, started and stopped here unless one runs there: this script kills its
# members), starts one zkgate on a fresh chroot, and runs bench/leader_failover.py: a writer
# PUTting one node back to back, ROUNDS leader kills (each member restarted and the ensemble
# waited for before the next). Prints per round the election time, the writes' resume time and
# the difference, then the medians. Every process it starts is stopped by pid at the end.
# Results: bench/results/leader-failover-<time>/.
#
# Environment (defaults in brackets): ROUNDS [5]  PORT [18320]  ZK_BASE_PORT [5181]
#   ZK_ENSEMBLE_DIR  ZKGATE_BIN  SCRATCH_PATH [.build-bench]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROUNDS="${ROUNDS:-5}"
PORT="${PORT:-18320}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
HOST=127.0.0.1
BENCH_NAME=leader-failover
OUT="bench/results/leader-failover-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d)"
# shellcheck source=bench/lib.sh
source bench/lib.sh
private_ensemble failover-bench

on_exit() {
    cleanup
    private_ensemble_down
}
trap on_exit EXIT

bash scripts/setup.sh --bench >/dev/null
need_tools curl python3
build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"
ensemble_up "(ZK_ENSEMBLE_DIR=$ZK_ENSEMBLE_DIR)"
CONNECT="$(bash "$ENSEMBLE" connect-string)"
start_gateway failover "$PORT" "zk:$CONNECT/leader-failover-$$"

say "== bench/leader-failover.sh: writes through zkgate after the ZooKeeper leader's kill -9 =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources)"
say "zkgate:   $ZKGATE on $CONNECT ($ENSEMBLE_NOTE)"
say "baseline: the ensemble's election time (from the kill until a surviving member's srvr says leader)"
say ""
sayf "%-6s %7s %12s %10s %8s   %s\n" round leader election_ms resume_ms gap_ms "failed writes meanwhile"
python3 bench/leader_failover.py "$PORT" "$ENSEMBLE" "$ROUNDS" | tee "$TMP/rounds.txt" | grep -v '^{' | tee -a "$SUMMARY"
result=$(tail -n 1 "$TMP/rounds.txt")
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$result" "$1"; }
say ""
say "median: election $(field election_ms) ms, writes resumed $(field resume_ms) ms after the kill: $(field gap_ms) ms after the election (worst $(field gap_max_ms) ms) over $(field rounds) rounds"
say "goal: resumed within the election + 1000 ms: $(goal "$(field gap_max_ms)" "<=" 1000) (worst round)"
say "raw output: $OUT"
