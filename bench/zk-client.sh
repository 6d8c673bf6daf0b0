#!/usr/bin/env bash
# bench/zk-client.sh — the native ZooKeeper client alone, pipelined, on the 3-node ensemble:
# create, setData and getData per second at a few concurrency levels, with kazoo as a peer.
#
# Why: zkgate's ZooKeeper backend puts HTTP in front of this client, and its goal is a ratio
# to the client alone (the HTTP path at least 0.8× these ops/s). So this is the reference
# rate. The workload is plain so that it can be replayed through HTTP: nodes <base>/n<i>
# under one fresh base node, VALUE_SIZE-byte values of ASCII 'x', and a closed loop with
# exactly C requests outstanding. kazoo (Python, its async API, the same closed loop) runs
# in the same run as a cross-check that the numbers are plausible. It is a peer, not the
# goal. This is a benchmark, never a timed test: it is not part of scripts/test.sh or CI.
#
# What it does:
#   0. scripts/setup.sh (ZooKeeper, Java and kazoo in .build-py), then builds zk-bench in
#      release mode (`swift build -c release --product zk-bench --scratch-path .build-bench`).
#   1. Makes sure the ensemble runs (deploy/zk-ensemble.sh). If none runs, it starts one and
#      stops it at the end. A running one is shared and left running, and it must be healthy
#      (three members serving, one leader): a member down may be someone's fault test.
#   2. Warm-up: one short run of each client (the JVMs compile the hot paths).
#   3. ROUNDS rounds. Each round runs zk-bench (bench/ZooKeeperBench) and the kazoo script at
#      each concurrency C in CONCURRENCY, alternating which goes first. Both connect to the
#      same member in a round, members 1, 2, 3 in turn (the member is otherwise picked at
#      random, and a write through a follower costs one hop more than through the leader).
#      Each run creates its own base node and does the phases create (new persistent nodes),
#      set and get, each for DURATION seconds. Then it deletes its nodes (pipelined, printed
#      as "delete", not part of the reference). Prints ops/s, p50/p99 latency (from the call to its reply) and the
#      client's CPU use per phase, then the medians per phase and C and the ratio
#      zk-bench/kazoo.
# Nothing is pinned: the three JVMs and the client share every core, as they would in
# production on a small machine. A run of zk-bench or kazoo that takes far longer than its
# phases is stopped and reported as a hang.
# Raw output and the summary go to bench/results/zk-client-<time>/ (gitignored). Every process
# the script starts is stopped by its pid when it exits, however it exits. A run that is
# interrupted leaves its base node (/zk-bench-<pid>) behind on the ensemble.
#
# Environment (defaults in brackets):
#   DURATION [2]                 seconds per phase        ROUNDS [3]   measured rounds
#   CONCURRENCY ["1 16 64 256"]  outstanding requests, one run each per round
#   VALUE_SIZE [64]              bytes per node value     WARMUP [2]   seconds per warm-up phase
#   CONNECTIONS [1]              zk-bench sessions the requests are spread over (kazoo: 1)
#   CONNECT                      one connect string for every run [one member per round, in
#                                turn: both clients on the same member within a round]
#   SCRATCH_PATH [.build-bench]  build folder for `swift build --scratch-path`
#   ZK_BENCH_BIN                 use this binary instead of building one
#   SKIP_KAZOO=1                 skip the kazoo cross-check
#   ZK_BASE_PORT, ZK_ENSEMBLE_DIR  passed to deploy/zk-ensemble.sh: a private ensemble, e.g.
#                                ZK_BASE_PORT=4181 ZK_ENSEMBLE_DIR=/tmp/zk-bench-ensemble,
#                                started for the run and stopped after it
#
# Example: DURATION=2 ROUNDS=3 bench/zk-client.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-2}"
ROUNDS="${ROUNDS:-3}"
CONCURRENCY="${CONCURRENCY:-1 16 64 256}"
VALUE_SIZE="${VALUE_SIZE:-64}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-1}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZK_BENCH_BIN="${ZK_BENCH_BIN:-}"
SKIP_KAZOO="${SKIP_KAZOO:-0}"
# Both clients use one member per round, member 1, 2, 3 in turn, so that the two see the same
# member in a round and the medians cover leader and followers alike (a write through a
# follower takes one hop more). CONNECT gives every run one fixed connect string instead.
CONNECT="${CONNECT:-}"
PYTHON=.build-py/bin/python
PHASES=(create set get)
# The machine's two cores, for bench/lib.sh's core_times (the names are lib.sh's).
# shellcheck disable=SC2034  # read by bench/lib.sh
SERVER_CPU=0 CLIENT_CPU=1

OUT="bench/results/zk-client-$(date +%Y%m%d-%H%M%S)"
# shellcheck disable=SC2034  # read by bench/lib.sh
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench-zk.XXXXXX)"
mkdir -p "$OUT"

# --- output and processes --------------------------------------------------------------------
# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=zk-client.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# The ensemble is stopped at the end only if this script started it.
trap 'cleanup; ensemble_down' EXIT

# --- the kazoo cross-check -------------------------------------------------------------------
# The zk-bench workload with kazoo's async API, the same options and the same `result` lines.
cat >"$TMP/kazoo_bench.py" <<'EOF'
"""zk-bench's workload with kazoo's async API: the same nodes, phases and closed loop.

CONCURRENCY requests are outstanding at once. A semaphore of CONCURRENCY permits is taken
before each *_async call and given back by its reply's callback. Latency runs from the call
to the callback. Prints the same `result` lines as zk-bench.
"""
import argparse, os, resource, sys, threading, time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

p = argparse.ArgumentParser()
p.add_argument("--connect", required=True)
p.add_argument("--concurrency", type=int, default=16)
p.add_argument("--duration", type=float, default=5.0)
p.add_argument("--ops", type=int)
p.add_argument("--value-size", type=int, default=64)
p.add_argument("--base", default="/zk-bench-kazoo-%d" % os.getpid())
a = p.parse_args()
value = b"x" * a.value_size


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def run_phase(submit, ops=None, duration=None, ignore=()):
    """submit(i) for i = 0, 1, ... with a.concurrency outstanding, until ops or duration."""
    permits = threading.Semaphore(a.concurrency)
    samples, errors = [], []

    def done(t0, result):
        t = time.monotonic_ns() - t0
        if result.successful() or isinstance(result.exception, ignore):
            samples.append(t)
        else:
            errors.append(result.exception)
        permits.release()

    start, cpu = time.monotonic_ns(), cpu_seconds()
    deadline = start + int(duration * 1e9) if duration else None
    i = 0
    while True:
        permits.acquire()
        if errors or (ops is not None and i >= ops) or (deadline and time.monotonic_ns() >= deadline):
            permits.release()
            break
        t0 = time.monotonic_ns()
        submit(i).rawlink(lambda r, t0=t0: done(t0, r))
        i += 1
    for _ in range(a.concurrency):  # the replies still outstanding
        permits.acquire()
    seconds = (time.monotonic_ns() - start) / 1e9
    return sorted(samples), seconds, cpu_seconds() - cpu, (errors[0] if errors else None)


def report(phase, samples, seconds, cpu, error):
    def pct(q):  # nearest rank, in ms
        if not samples:
            return float("nan")
        rank = max(1, -(-q * len(samples) // 100))
        return samples[min(rank, len(samples)) - 1] / 1e6
    print("result %-6s %9d %7.3f %9.0f %8.3f %8.3f %6.0f" % (
        phase, len(samples), seconds, len(samples) / seconds if seconds else 0, pct(50), pct(99),
        100 * cpu / seconds if seconds else 0), flush=True)
    if error is not None:
        print("error  %s: %r" % (phase, error), flush=True)


zk = KazooClient(hosts=a.connect, timeout=10)
zk.start(timeout=20)
zk.create(a.base, b"")
try:
    peer = "%s:%s" % zk._connection._socket.getpeername()[:2]
except Exception:
    peer = "?"
limit = dict(ops=a.ops) if a.ops else dict(duration=a.duration)
print("kazoo: concurrency %d, connections 1 (to %s), value %d B, %s, base %s" % (
    a.concurrency, peer, a.value_size,
    "%d ops per phase" % a.ops if a.ops else "%s s per phase" % a.duration, a.base), flush=True)
print("#      phase       ops seconds     ops/s   p50 ms   p99 ms   cpu%", flush=True)
base = a.base
created = run_phase(lambda i: zk.create_async("%s/n%d" % (base, i), value), **limit)
report("create", *created)
failed = created[3] is not None
paths = ["%s/n%d" % (base, i) for i in range(len(created[0]))]
if not failed and paths:
    r = run_phase(lambda i: zk.set_async(paths[i % len(paths)], value), **limit)
    report("set", *r)
    failed = r[3] is not None
if not failed and paths:
    r = run_phase(lambda i: zk.get_async(paths[i % len(paths)]), **limit)
    report("get", *r)
    failed = r[3] is not None
extra = 0 if created[3] is None else a.concurrency  # a failed create may have left one more
r = run_phase(lambda i: zk.delete_async("%s/n%d" % (base, i)), ops=len(paths) + extra, ignore=(NoNodeError,))
report("delete", *r)
zk.delete(base)
zk.stop()
zk.close()
sys.exit(1 if failed or r[3] is not None else 0)
EOF

# --- runs ------------------------------------------------------------------------------------
# RES[client.C.phase.field] holds each round's values, space-separated (field: ops p50 p99 cpu).
declare -A RES=()

# run_client CLIENT C SECONDS LOG: one run of zk-bench or kazoo; stores its `result` lines
# in RES unless LOG is a warm-up. A run longer than 3 phases, its cleanup and a minute is a
# hang: it is stopped and reported.
run_client() {
    local client="$1" c="$2" secs="$3" log="$4" pid status=0 limit phase ops p50 p99 cpu
    local args=(--connect "$ROUND_CONNECT" --concurrency "$c" --duration "$secs" --value-size "$VALUE_SIZE")
    if [[ "$client" == zk-bench ]]; then
        "$ZK_BENCH" "${args[@]}" --connections "$CONNECTIONS" >"$log" 2>&1 &
    else
        "$PYTHON" "$TMP/kazoo_bench.py" "${args[@]}" >"$log" 2>&1 &
    fi
    pid=$!
    PIDS+=("$pid")
    limit="$(awk -v s="$secs" 'BEGIN { printf "%d", 10 * (5 * s + 60) }')"   # tenths of a second
    if ! wait_gone "$pid" "$limit"; then
        stop_pid "$pid" 5
        die "$client -C $c hung: still running after $((limit / 10)) s (output: $log; its base node is left on the ensemble)"
    fi
    wait "$pid" || status=$?
    forget_pid "$pid"
    if [[ "$status" -ne 0 ]]; then
        # A connection loss usually means a member went away under the run (a fault test?).
        bash "$ENSEMBLE" status >"$TMP/status" 2>&1 || true
        die "$client -C $c failed (exit $status): $(grep -E '^error|error:' "$log" | head -n 4 | tr '\n' ';') (see $log); ensemble now: $(tail -n 3 "$TMP/status" | tr '\n' ';')"
    fi
    [[ "$log" == *warmup* ]] && return 0
    for phase in "${PHASES[@]}"; do
        read -r ops p50 p99 cpu < <(awk -v p="$phase" '$1 == "result" && $2 == p { print $5, $6, $7, $8 }' "$log")
        [[ -n "${ops:-}" ]] || die "no result for $phase in $log"
        RES[$client.$c.$phase.ops]+="$ops "
        RES[$client.$c.$phase.p50]+="$p50 "
        RES[$client.$c.$phase.p99]+="$p99 "
        RES[$client.$c.$phase.cpu]+="$cpu "
    done
}

# show_run CLIENT C ROUND LOG: one line of the run's figures, and CORES (how busy each core was).
FMT_RUN='%-6s %-7s %-9s %4s  %-30s %-30s %-30s %8s\n'
show_run() {
    local client="$1" c="$2" round="$3" log="$4" phase cells=()
    for phase in "${PHASES[@]}"; do
        cells+=("$(awk -v p="$phase" '$1 == "result" && $2 == p {
            printf "%7.0f/s %7.3f %8.3f %4.0f%%", $5, $6, $7, $8 }' "$log")")
    done
    sayf "$FMT_RUN" "$round" "$ROUND_MEMBER" "$client" "$c" "${cells[@]}" "$CORES"
}

# --- preparation -----------------------------------------------------------------------------
bash scripts/setup.sh >/dev/null
[[ -x "$PYTHON" ]] || die "$PYTHON not found (scripts/setup.sh makes the venv)"
build_release zk-bench "$ZK_BENCH_BIN"
ZK_BENCH="$BUILT"

ensemble_up "(other work on it shows in the core columns)" "run '$ENSEMBLE start' or wait"
leader="$(bash "$ENSEMBLE" leader 2>/dev/null || echo '?')"
if [[ -n "$CONNECT" ]]; then
    ROUND_HOSTS=("$CONNECT")
    hosts_note="every run on $CONNECT"
else
    IFS=, read -r -a ROUND_HOSTS <<<"$(bash "$ENSEMBLE" connect-string)"
    hosts_note="one member per round for both clients, in turn: ${ROUND_HOSTS[*]}"
fi

say "== bench/zk-client.sh: the ZooKeeper client alone, pipelined, against kazoo =="
say "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:    $(commit_desc Sources bench/ZooKeeperBench Package.swift)"
say "cpu:       $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, nothing pinned: the 3 JVMs share them with the client"
say "ensemble:  ZooKeeper $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?'), 3 members on $(bash "$ENSEMBLE" connect-string), leader member $leader, forceSync=no; $ENSEMBLE_NOTE"
say "members:   $hosts_note"
say "zk-bench:  $ZK_BENCH --connections $CONNECTIONS"
[[ "$SKIP_KAZOO" == 1 ]] || say "kazoo:     $("$PYTHON" -c 'import kazoo.version as v; print(v.__version__)') (Python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])'), async API, one session)"
say "workload:  phases create, set, get of ${DURATION}s each; $VALUE_SIZE-byte values; nodes <base>/n<i>; C = $CONCURRENCY outstanding"
say "rounds:    $ROUNDS, alternating which client goes first (after a ${WARMUP}s-per-phase warm-up of each)"
say "load:      $(load_line) before the run"
say "results:   $OUT"
say ""

CLIENTS=(zk-bench)
[[ "$SKIP_KAZOO" == 1 ]] || CLIENTS+=(kazoo)

ROUND_CONNECT="${ROUND_HOSTS[0]}"
for client in "${CLIENTS[@]}"; do
    run_client "$client" 64 "$WARMUP" "$OUT/warmup-$client.txt"
done

say "(member: the client port both clients use in the round, L the leader. Each phase: ops/s,"
say " p50 ms, p99 ms, the client's CPU (100% = one core). cores: how busy the two cores were over"
say " the whole run, the JVMs and any other work included.)"
sayf "$FMT_RUN" round member client C "create" "set" "get" cores
for ((r = 1; r <= ROUNDS; r++)); do
    order=("${CLIENTS[@]}")
    if ((r % 2 == 0)) && [[ "${#CLIENTS[@]}" -eq 2 ]]; then order=(kazoo zk-bench); fi
    ROUND_CONNECT="${ROUND_HOSTS[$(((r - 1) % ${#ROUND_HOSTS[@]}))]}"
    ROUND_MEMBER="${ROUND_CONNECT##*:}"
    [[ -z "$CONNECT" && "$(((r - 1) % ${#ROUND_HOSTS[@]} + 1))" == "$leader" ]] && ROUND_MEMBER+=" L"
    for c in $CONCURRENCY; do
        for client in "${order[@]}"; do
            log="$OUT/round$r-$client-c$c.txt"
            k0="$(core_times)"
            run_client "$client" "$c" "$DURATION" "$log"
            CORES="$(core_busy "$k0" "$(core_times)" | tr ' ' '/')"
            show_run "$client" "$c" "$r" "$log"
        done
    done
done

# --- medians ---------------------------------------------------------------------------------
say ""
say "== medians of $ROUNDS rounds =="
FMT_MED='%-7s %5s  %10s %8s %8s %5s   %10s %8s %8s %5s   %7s\n'
sayf "$FMT_MED" phase C 'zk-bench/s' 'p50 ms' 'p99 ms' 'cpu%' 'kazoo/s' 'p50 ms' 'p99 ms' 'cpu%' ratio
med() { median_of "${RES[$1.$2.$3.$4]:-}"; } # med CLIENT C PHASE FIELD
for phase in "${PHASES[@]}"; do
    for c in $CONCURRENCY; do
        zo="$(med zk-bench "$c" "$phase" ops)"
        if [[ "$SKIP_KAZOO" == 1 ]]; then
            ko=nan; kp50=-; kp99=-; kcpu=-; rat=-
        else
            ko="$(med kazoo "$c" "$phase" ops)"
            kp50="$(med kazoo "$c" "$phase" p50)"; kp99="$(med kazoo "$c" "$phase" p99)"
            kcpu="$(printf '%.0f' "$(med kazoo "$c" "$phase" cpu)")"
            rat="$(ratio "$zo" "$ko")"
            ko="$(printf '%.0f' "$ko")"
        fi
        sayf "$FMT_MED" "$phase" "$c" "$(printf '%.0f' "$zo")" "$(med zk-bench "$c" "$phase" p50)" \
            "$(med zk-bench "$c" "$phase" p99)" "$(printf '%.0f' "$(med zk-bench "$c" "$phase" cpu)")" \
            "$ko" "$kp50" "$kp99" "$kcpu" "$rat"
    done
done
say "(ratio: zk-bench ops/s over kazoo's, higher is better. Each figure is a median over the rounds"
say " on its own, so the p50 and p99 of a row may come from different rounds.)"
say ""
say "load:      $(load_line) after the run"
say "raw output: $OUT"
