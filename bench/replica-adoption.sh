#!/usr/bin/env bash
# bench/replica-adoption.sh — how long a replica's death leaves its devices' state unkept: the
# time from `kill -9` of one zkgate replica to its ZooKeeper session adopted by the other, and
# whether every device ephemeral made through the dead replica is still there, the same node.
#
# Goal (docs/PERFORMANCE.md): a replica's death to its sessions adopted ≤ 2 s, well inside the
# ZooKeeper session timeout (the baseline printed beside it: without adoption, the ensemble
# deletes the ephemerals when the dead replica's session expires, 10 s by default).
#
# What it does, ROUNDS times, on a fresh chroot /replica-adoption-<pid>-r<round> of the ensemble:
#   1. starts replicas A and B (zkgate serve --zookeeper CONNECT/CHROOT, access log off) and
#      waits until each sees the other (zkgate_replica_peers 1);
#   2. through A, opens DEVICES device sessions (TTL 60 s), each with an ephemeral node
#      /devices/d<n>, and notes every node's czxid;
#   3. kill -9 A, and polls B's /metrics every 10 ms until zkgate_replica_adoptions_total is 1:
#      the adoption time;
#   4. through B, reads every node again: "kept" counts those with the same czxid (the goal:
#      all of them), after waiting past A's ZooKeeper session timeout (KEEP_WAIT seconds);
#   5. stops B, deletes the chroot.
# Prints each round, then the median adoption time and its ratio to the session timeout.
# Makes sure the ensemble runs (deploy/zk-ensemble.sh through bench/lib.sh's ensemble_up: a
# private one on ZK_BASE_PORT, started and stopped here unless one runs there). Every process it
# starts is stopped by its pid when it exits. Results: bench/results/replica-adoption-<time>/.
#
# Environment (defaults in brackets):
#   ROUNDS [5]  DEVICES [100]  KEEP_WAIT [12]  A_PORT [18300]  B_PORT [18301]
#   ZK_BASE_PORT [5181], ZK_ENSEMBLE_DIR  the private ensemble (deploy/zk-ensemble.sh)
#   ZKGATE_BIN  use this zkgate instead of building;  SCRATCH_PATH [.build-bench]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ROUNDS="${ROUNDS:-5}"
DEVICES="${DEVICES:-100}"
KEEP_WAIT="${KEEP_WAIT:-12}"
A_PORT="${A_PORT:-18300}"
B_PORT="${B_PORT:-18301}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
SESSION_TIMEOUT_MS=10000
HOST=127.0.0.1
BENCH_NAME=replica-adoption
STAMP="$(date -u +%Y%m%d-%H%M%S)"
OUT="bench/results/replica-adoption-$STAMP"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d)"
# shellcheck source=bench/lib.sh
source bench/lib.sh
private_ensemble adoption-bench

on_exit() {
    cleanup
    [[ -n "${CONNECT_ALL:-}" && ${#CHROOTS[@]} -gt 0 ]] && "$PYTHON" bench/zk_tree.py --connect "$CONNECT_ALL" delete "${CHROOTS[@]}" >>"$OUT/chroots.log" 2>&1 || true
    private_ensemble_down
}
trap on_exit EXIT

bash scripts/setup.sh --bench >/dev/null
PYTHON=.build-py/bin/python
need_tools curl taskset
build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"
ensemble_up "(ZK_ENSEMBLE_DIR=$ZK_ENSEMBLE_DIR)"
CONNECT_ALL="$(bash "$ENSEMBLE" connect-string)"

metric() { curl -fsS --max-time 2 "http://$HOST:$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'; }
now_ms() { date +%s%3N; }

say "== bench/replica-adoption.sh: kill -9 of a replica to its ZooKeeper session adopted =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources)"
say "zkgate:   $ZKGATE, two replicas on one chroot; ensemble $CONNECT_ALL ($ENSEMBLE_NOTE)"
say "devices:  $DEVICES sessions, one ephemeral each, made through the replica that is killed"
say "baseline: the dead replica's ZooKeeper session timeout, ${SESSION_TIMEOUT_MS} ms (when its ephemerals would go without adoption)"
say ""
sayf "%-6s %12s %8s %8s\n" round adopted_ms kept devices

TIMES=()
LOST_TOTAL=0
for ((round = 1; round <= ROUNDS; round++)); do
    chroot="/replica-adoption-$$-r$round"
    start_gateway "a-r$round" "$A_PORT" "zk:$CONNECT_ALL$chroot"
    A_PID="$GW_PID"
    start_gateway "b-r$round" "$B_PORT" "zk:$CONNECT_ALL$chroot"
    B_PID="$GW_PID"
    for ((i = 0; i < 100; i++)); do
        [[ "$(metric "$A_PORT" zkgate_replica_peers)" == 1 && "$(metric "$B_PORT" zkgate_replica_peers)" == 1 ]] && break
        sleep 0.1
    done
    declare -A CZXID=()
    for ((d = 0; d < DEVICES; d++)); do
        id=$(curl -fsS --json '{"ttl":60000}' "http://$HOST:$A_PORT/v1/sessions" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
        made=$(curl -fsS --json "{\"mode\":\"ephemeral\",\"session\":\"$id\",\"data\":\"d$d\"}" \
            "http://$HOST:$A_PORT/v1/nodes/devices/d$d?parents=true")
        CZXID[$d]=$(printf '%s' "$made" | sed -n 's/.*"czxid":"\{0,1\}\([0-9]*\).*/\1/p')
    done
    kill -9 "$A_PID"
    killed=$(now_ms)
    adopted=""
    for ((i = 0; i < 1000; i++)); do
        if [[ "$(metric "$B_PORT" zkgate_replica_adoptions_total)" == 1 ]]; then adopted=$(($(now_ms) - killed)); break; fi
        sleep 0.01
    done
    { wait "$A_PID"; } 2>/dev/null || true
    forget_pid "$A_PID"
    sleep "$KEEP_WAIT"
    kept=0
    for ((d = 0; d < DEVICES; d++)); do
        seen=$(curl -sS "http://$HOST:$B_PORT/v1/nodes/devices/d$d" | sed -n 's/.*"czxid":"\{0,1\}\([0-9]*\).*/\1/p')
        [[ -n "$seen" && "$seen" == "${CZXID[$d]}" ]] && kept=$((kept + 1))
    done
    LOST_TOTAL=$((LOST_TOTAL + DEVICES - kept))
    sayf "%-6s %12s %8s %8s\n" "$round" "${adopted:-none}" "$kept" "$DEVICES"
    [[ -n "$adopted" ]] && TIMES+=("$adopted")
    stop_gateway "$B_PID"
    forget_pid "$B_PID"
    unset CZXID
    drop() { "$PYTHON" bench/zk_tree.py --connect "$CONNECT_ALL" delete "$1" >>"$OUT/chroots.log" 2>&1 || true; }
    drop "$chroot"
done

say ""
median_ms=$(median_of "${TIMES[*]:-}")
say "median adoption: ${median_ms} ms over ${#TIMES[@]} of $ROUNDS rounds; ratio to the session timeout: $(ratio "$median_ms" "$SESSION_TIMEOUT_MS")"
say "ephemerals lost over all rounds: $LOST_TOTAL"
say "goal: adopted ≤ 2000 ms: $(goal "$median_ms" "<=" 2000); nothing lost: $([[ $LOST_TOTAL -eq 0 ]] && echo met || echo MISSED)"
say "raw output: $OUT"
