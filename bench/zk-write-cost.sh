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
#   bench/zk-write-cost.sh share [ROUNDS] [SERVE ARGS...]
#       where the CPU goes on the machine: per round (default 3), 6 s of zk-bench's creates at
#       C = 64, then 6 s of the same through a fresh gateway (wrk), each measured over its middle
#       4 s (from /proc): operations a second, the CPU of the ZooKeeper JVMs, of zk-bench or of
#       the gateway and wrk, the machine's idle CPU, and the JVMs' CPU and context switches per
#       operation. Needs ZK_ENSEMBLE_DIR (the ensemble's folder, for the JVMs' pids).
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
# ZKGATE [.build-bench/release/zkgate] the binary; PORT [18195]; for share: ZK_ENSEMBLE_DIR
# [${TMPDIR:-/tmp}/zkgate-zk-ensemble], ZK_BENCH [.build-bench/release/zk-bench].
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
share)
    rounds=${1:-3}
    shift || true
    ensemble=${ZK_ENSEMBLE_DIR:-${TMPDIR:-/tmp}/zkgate-zk-ensemble}
    zkbench=${ZK_BENCH:-.build-bench/release/zk-bench}
    [[ -x "$zkbench" ]] || swift build -c release --product zk-bench --scratch-path .build-bench >/dev/null
    jvms=()
    for f in "$ensemble"/*/zookeeper.pid; do [[ -r $f ]] && jvms+=("$(cat "$f")"); done
    ((${#jvms[@]} > 0)) || { echo "zk-write-cost: no ZooKeeper pids in $ensemble (set ZK_ENSEMBLE_DIR)" >&2; exit 2; }
    # ticks PID...: utime + stime of the processes, in clock ticks
    ticks() { local t=0 p f; for p in "$@"; do read -r -a f <"/proc/$p/stat"; t=$((t + f[13] + f[14])); done; echo "$t"; }
    # switches PID...: context switches of every thread of the processes
    switches() {
        local p n total=0
        for p in "$@"; do
            n=$(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' /proc/"$p"/task/*/status 2>/dev/null)
            total=$((total + n))
        done
        echo "$total"
    }
    idle() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
    hz=$(getconf CLK_TCK)
    # window SIDE PIDS...: samples 4 s from now into $sample: SIDE, the JVMs' ticks and context
    # switches, the ticks of PIDS (the client side), and the machine's idle and total jiffies
    window() {
        local side=$1 j0 s0 c0 i0 t0 j1 s1 c1 i1 t1
        shift
        j0=$(ticks "${jvms[@]}"); s0=$(switches "${jvms[@]}"); c0=$(ticks "$@"); read -r i0 t0 < <(idle)
        sleep 4
        j1=$(ticks "${jvms[@]}"); s1=$(switches "${jvms[@]}"); c1=$(ticks "$@"); read -r i1 t1 < <(idle)
        sample="$side $((j1 - j0)) $((s1 - s0)) $((c1 - c0)) $((i1 - i0)) $((t1 - t0))"
    }
    # row SAMPLE OPS: one line of the table
    row() {
        read -r side j s c i t <<<"$1"
        awk -v side="$side" -v ops="$2" -v j="$j" -v s="$s" -v c="$c" -v i="$i" -v t="$t" -v hz="$hz" 'BEGIN {
            printf "%-8s %8.0f %7.0f%% %9.0f%% %6.0f%% %9.0f %8.1f\n", side, ops, j * 100 / hz / 4, c * 100 / hz / 4,
                i * 200 / t, j * 1e6 / hz / 4 / ops, s / 4 / ops }' | tee -a "$out/share.txt"
    }
    printf '%-8s %8s %8s %10s %7s %9s %8s\n' side "ops/s" "JVMs" "client" idle "JVM us/op" "JVM cs/op"
    for r in $(seq 1 "$rounds"); do
        "$zkbench" --connect "${zookeeper%%,*}" --concurrency 64 --duration 6 --value-size 64 >"$out/zkb.txt" 2>&1 &
        client=$!
        pids+=("$client")
        sleep 1
        window zk-bench "$client"
        wait "$client"
        row "$sample" "$(awk '$1 == "result" && $2 == "create" { print $5 }' "$out/zkb.txt")"
        chroot=/zk-write-cost-$$-share-$r
        serve "$chroot" -- "$@"
        load 64 1 /v1/nodes/warm >/dev/null
        # wrk itself, not a subshell around it, so its CPU is counted.
        wrk -t1 -c64 -d6s -s bench/zk-gateway.lua "http://127.0.0.1:$port" -- create /v1/nodes/n 1 0 64 >"$out/wrk.txt" &
        client=$!
        pids+=("$client")
        sleep 1
        window zkgate "$gateway" "$client"
        wait "$client"
        finish "$chroot"
        row "$sample" "$(awk '/Requests\/sec/ { print $2 }' "$out/wrk.txt")"
    done
    echo "(client: zk-bench's CPU, or the gateway's and wrk's together; idle: of the machine's 200%)"
    # The rate is the JVMs' CPU over their CPU per operation, so the ratio of the two sides is
    # the product of their CPU's ratio and the inverse ratio of their cost per operation.
    awk 'function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        $1 == "zk-bench" { z++; zo[z] = $2; zj[z] = $3; zu[z] = $6; zc[z] = $7 }
        $1 == "zkgate" { g++; go[g] = $2; gj[g] = $3; gu[g] = $6; gc[g] = $7 }
        END {
            a = med(zo, z); b = med(go, g); c = med(zj, z); d = med(gj, g); e = med(zu, z); f = med(gu, g)
            printf "medians: zk-bench %.0f ops/s, JVMs %.0f%%, %.0f us and %.1f context switches per operation\n", a, c, e, med(zc, z)
            printf "         zkgate   %.0f ops/s, JVMs %.0f%%, %.0f us and %.1f context switches per operation\n", b, d, f, med(gc, g)
            printf "ratio %.2f: the JVMs CPU %.2f x their cost per operation %.2f (zk-bench/zkgate)\n", b / a, d / c, e / f
        }' "$out/share.txt"
    ;;
*)
    echo "usage: bench/zk-write-cost.sh perf [RUNS] [SERVE ARGS...] | callgrind [SERVE ARGS...] | share [ROUNDS] [SERVE ARGS...]" >&2
    exit 2
    ;;
esac
