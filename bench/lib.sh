#!/usr/bin/env bash
# bench/lib.sh — helpers the benchmark scripts share: output, processes stopped by pid, and
# measurements. Sourced after the script sets BENCH_NAME, SUMMARY, TMP and HOST; it installs the
# EXIT trap that stops every process in PIDS.
# shellcheck disable=SC2034  # PIDS and STOP_STATUS are read by the scripts that source this

PIDS=()
STOP_STATUS=0

say() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }

# shellcheck disable=SC2059  # sayf FORMAT ARGS...: printf with the format as given
sayf() { local fmt="$1"; shift; printf "$fmt" "$@" | tee -a "$SUMMARY"; }

die() { printf '%s: error: %s\n' "$BENCH_NAME" "$*" | tee -a "$SUMMARY" >&2; exit 1; }

# is_running PID: alive and not a zombie.
is_running() {
    local state
    state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1 || true)"
    [[ -n "$state" && "$state" != "Z" && "$state" != "X" ]]
}

stop_pid() {
    local pid="$1" timeout="${2:-15}" i
    STOP_STATUS=0
    if is_running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < timeout * 10; i++)); do
            is_running "$pid" || break
            sleep 0.1
        done
        if is_running "$pid"; then
            printf '%s: pid %s did not stop on SIGTERM in %ss; killing it\n' "$BENCH_NAME" "$pid" "$timeout" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || STOP_STATUS=$?
    forget_pid "$pid"
}

# forget_pid PID: drop a reaped process from PIDS.
forget_pid() {
    local keep=() p
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
    local p
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do
        stop_pid "$p" 5 || true
    done
    rm -rf "$TMP"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_busy PORT: something already accepts connections there.
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

stop_nginx() {
    # nginx's master stops its workers on SIGTERM (fast shutdown) before it exits.
    stop_pid "$NGINX_PID" 15
    NGINX_PID=""
}

stop_zkgate() {
    stop_pid "$ZK_PID" 15
    if [[ "$STOP_STATUS" -ne 0 ]]; then
        say "warning: zkgate exited with status $STOP_STATUS on SIGTERM (expected 0)"
    fi
    ZK_PID=""
}

# family PID: the pid and its direct children (nginx: master and worker).
family() {
    local pid="$1"
    echo "$pid"
    cat /proc/"$pid"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

# cpu_ticks PID...: user+system CPU time of the processes, in clock ticks. The comm field may
# hold spaces, so the fields are counted after its closing parenthesis.
cpu_ticks() {
    local total=0 pid t
    for pid in "$@"; do
        t="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')"
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

# core_times: "busy total" jiffies of the server's and the client's core, from /proc/stat
# (busy counts everything not idle or iowait, including steal by the hypervisor).
core_times() {
    awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" '$1 == a || $1 == b {
        total = 0; for (i = 2; i <= NF; i++) total += $i
        printf "%d %d ", total - $5 - $6, total }' /proc/stat
}

# core_busy BEFORE AFTER: percentage busy of each of the two cores between two core_times.
core_busy() {
    awk -v x="$1" -v y="$2" 'BEGIN { split(x, p); split(y, q)
        printf "%.0f%% %.0f%%\n", 100 * (q[1] - p[1]) / (q[2] - p[2] + 1e-9),
                                  100 * (q[3] - p[3]) / (q[4] - p[4] + 1e-9) }'
}

# to_ms VALUE: a wrk duration (850.00us, 1.23ms, 1.05s, 2.00m) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

# median VALUES...: the median (mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
        END { if (NR == 0) print "nan"; else if (NR % 2) printf "%.3f", a[(NR + 1) / 2];
              else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.2f", a / b }'; }
