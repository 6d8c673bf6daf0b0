#!/usr/bin/env bash
# The gateway's own cost per HTTP write on the ZooKeeper backend, measured two ways that are
# steadier than requests a second on this shared 2-core machine (where the ZooKeeper JVMs set
# the rate):
#
#   bench/zk-write-cost.sh perf [RUNS] [SERVE ARGS...]
#       CPU time, context switches and system calls of the gateway per request (perf stat)
#       over 4 s of creates at C = 64, RUNS times (default 3), with their medians.
#   bench/zk-write-cost.sh callgrind [SERVE ARGS...]
#       instructions per request (valgrind --tool=callgrind, all threads) over 8 s of creates
#       at C = 16; requests are counted as calls of HTTP1Connection.dispatch, and the start-up
#       (about 35M instructions) is left out.
#
# With OP=get the measured requests are first reads instead: GETs of nodes created just
# before (bench/zk-gateway.lua's getpass, one pass, so each GET goes to ZooKeeper as one
# read). Under callgrind the creates run with instrumentation off (callgrind_control -i).
#
# Each run starts a fresh `zkgate serve --zookeeper $ZOOKEEPER/<chroot>` (plus SERVE ARGS, for
# example --threads 1), warms it with 1 s of creates, measures, stops it by pid and deletes
# its chroot. The workload is bench/zk-gateway.lua's create phase (PUT If-None-Match: *, 64
# bytes, one request in flight per connection).
#
# Environment: OP [create] or get; ZOOKEEPER [127.0.0.1:2181] a running ensemble (deploy/zk-ensemble.sh start);
# ZKGATE [.build-bench/release/zkgate] the binary; PORT [18195].
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-perf}
shift || true
zookeeper=${ZOOKEEPER:-127.0.0.1:2181}
zkgate=${ZKGATE:-.build-bench/release/zkgate}
port=${PORT:-18195}
op=${OP:-create}
[[ $op == create || $op == get ]] || { echo "zk-write-cost: OP must be create or get" >&2; exit 2; }
python=.build-py/bin/python
[[ -x "$zkgate" ]] || swift build -c release --product zkgate --scratch-path .build-bench >/dev/null
[[ -x "$python" ]] || scripts/setup.sh >/dev/null
out=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -n ${KEEP:-} ]] && cp -r "$out" "$KEEP"
    rm -rf "$out"
}
trap cleanup EXIT

# serve CHROOT [WRAPPER...] -- SERVE ARGS: starts the gateway (under WRAPPER) and waits for /readyz.
serve() {
    local chroot=$1
    shift
    local wrapper=()
    while [[ $# -gt 0 && $1 != -- ]]; do wrapper+=("$1"); shift; done
    shift
    "${wrapper[@]}" "$zkgate" serve --listen "127.0.0.1:$port" --access-log off "$@" \
        --zookeeper "$zookeeper/${chroot#/}" >"$out/zkgate.log" 2>&1 &
    gateway=$!
    pids+=("$gateway")
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && return 0
        sleep 0.1
    done
    echo "zk-write-cost: the gateway did not become ready:" >&2
    cat "$out/zkgate.log" >&2
    exit 1
}

load() { # load C SECONDS PREFIX: creates PREFIX1, PREFIX2, ... for SECONDS at concurrency C
    wrk -t1 -c"$1" -d"$2"s -s bench/zk-gateway.lua "http://127.0.0.1:$port" -- create "$3" 1 0 64
}

# measured C SECONDS PREFIX [BEFORE [RATE]]: the measured load. For OP=get: creates PREFIX1, ...
# for 2*SECONDS (then runs BEFORE, a command), and reads each of them once at concurrency C.
# wrk waits out its whole -d even after the pass stops it, so -d is the pass's length at RATE
# (a floor on the reads per second; default 5000) plus 3 s.
measured() {
    if [[ $op == create ]]; then load "$1" "$2" "$3"; return; fi
    local created
    created=$(load 64 $(($2 * 2)) "$3" | awk '/requests in/ {print $1}')
    ${4:-true}
    # The last 64 creates may not have been answered when wrk stopped.
    wrk -t1 -c"$1" -d$((created / ${5:-5000} + 3))s -s bench/zk-gateway.lua "http://127.0.0.1:$port" -- \
        getpass "$3" 1 $((created - 64)) 64
}

finish() { # finish CHROOT: stops the gateway by pid and deletes its chroot
    kill -INT "$gateway"
    wait "$gateway" || true
    "$python" bench/zk_tree.py --connect "${zookeeper%%,*}" delete "$1" >/dev/null 2>&1 || true
}

case "$mode" in
perf)
    runs=${1:-3}
    shift || true
    events=task-clock,context-switches,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait
    printf '%-4s %9s %10s %10s %8s %8s %8s %8s\n' run "req/s" "cpu us/req" "cs/req" read write sendto epoll
    for r in $(seq 1 "$runs"); do
        chroot=/zk-write-cost-$$-$r
        serve "$chroot" -- "$@"
        load 64 1 /v1/nodes/warm >/dev/null
        [[ $op == get ]] && measured 64 1 /v1/nodes/warm-get >/dev/null
        start_stat() { perf stat -x, -e "$events" -o "$out/stat.csv" -p "$gateway" & stat=$!; sleep 0.3; }
        if [[ $op == create ]]; then start_stat; fi
        measured 64 4 /v1/nodes/n start_stat >"$out/wrk.txt"
        kill -INT "$stat"
        wait "$stat" || true
        finish "$chroot"
        if [[ $op == create ]]; then
            requests=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
            rate=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")
        else
            read -r requests rate < <(awk '/^pass/ {print $2, $2 / $5}' "$out/wrk.txt")
        fi
        awk -F, -v n="$requests" -v run="$r" -v rate="$rate" '
            $1 ~ /^[0-9.]+$/ { v[$3] = $1 }
            END {
                printf "%-4s %9.0f %10.1f %10.2f %8.2f %8.2f %8.2f %8.2f\n", run, rate,
                    v["task-clock"] * 1000 / n, v["context-switches"] / n, v["syscalls:sys_enter_read"] / n,
                    v["syscalls:sys_enter_write"] / n, v["syscalls:sys_enter_sendto"] / n,
                    v["syscalls:sys_enter_epoll_wait"] / n
            }' "$out/stat.csv" | tee -a "$out/rows.txt"
    done
    med() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    echo "median: $(awk '{print $3}' "$out/rows.txt" | med) us of gateway CPU and" \
        "$(awk '{print $4}' "$out/rows.txt" | med) context switches per request"
    ;;
callgrind)
    # valgrind 3.19 cannot read the DWARF 5 that Swift emits; symbols alone are enough here.
    strip --strip-debug -o "$out/zkgate" "$zkgate"
    zkgate="$out/zkgate"
    chroot=/zk-write-cost-$$-cg
    instr=() startup=35000000
    [[ $op == get ]] && instr=(--instr-atstart=no) startup=0
    serve "$chroot" valgrind --tool=callgrind "${instr[@]}" --callgrind-out-file="$out/cg.out" -- "$@"
    load 16 2 /v1/nodes/warm >/dev/null
    instrument() { callgrind_control -i on "$gateway" >/dev/null; }
    measured 16 8 /v1/nodes/n instrument 500 | grep -E "requests in|^pass"
    finish "$chroot"
    # shellcheck disable=SC2016  # a Python program, not shell
    callgrind_annotate --tree=caller "$out/cg.out" 2>/dev/null | "$python" -c '
import re, sys
total = requests = calls = 0
for line in sys.stdin:
    if "PROGRAM TOTALS" in line:
        total = int(line.split()[0].replace(",", ""))
    elif not line.strip():
        calls = 0
    elif (m := re.search(r" < .*\(([\d,]+)x\)", line)):
        calls += int(m.group(1).replace(",", ""))
    elif "*  ???:$s10HTTPServer15HTTP1ConnectionC8dispatchyyF " in line:
        requests = calls
startup = int(sys.argv[1])
note = " (warm-up included)" if startup else ""
print(f"{requests} requests{note}, {total:,} instructions in all: "
      f"{(total - startup) // max(requests, 1):,} per request")' "$startup"
    ;;
*)
    echo "usage: bench/zk-write-cost.sh perf [RUNS] [SERVE ARGS...] | callgrind [SERVE ARGS...]" >&2
    exit 2
    ;;
esac
