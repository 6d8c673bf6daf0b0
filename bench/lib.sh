#!/usr/bin/env bash
# bench/lib.sh — helpers the benchmark scripts share. Sourced after the script sets BENCH_NAME,
# SUMMARY, OUT, TMP and HOST (and SERVER_CPU, CLIENT_CPU for the core figures); it installs the
# EXIT trap that stops every process in PIDS. It provides:
#   output       say, sayf, die
#   processes    PIDS, is_running, wait_gone, stop_pid, forget_pid, cleanup (the EXIT trap)
#   servers      need_tools, build_release, port_busy, curl_ok, stop_zkgate; nginx:
#                write_nginx_conf, launch_nginx, stop_nginx; gateways on either backend:
#                start_gateway, stop_gateway, wait_readyz
#   ensemble     the ZooKeeper test ensemble of deploy/zk-ensemble.sh (ENSEMBLE): ensemble_up
#                (start one or share a healthy one), ensemble_down (stop it if ensemble_up
#                started it), private_ensemble and private_ensemble_down (one on other ports,
#                in a folder of the run's own), ensemble_4lw (a member's answer to a
#                four-letter word)
#   measurement  family, cpu_ticks, CLK_TCK, core_times, core_busy, load_sample, load_line,
#                wrk_measure (one wrk run against a pinned server), to_ms
#   summary      median, median_of, ratio, goal, commit_desc
# shellcheck disable=SC2034  # the variables set here are read by the scripts that source this

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

# wait_gone PID TENTHS: until PID has exited or TENTHS tenths of a second have passed; fails
# when it still runs.
wait_gone() {
    local i
    for ((i = 0; i < $2; i++)); do
        is_running "$1" || break
        sleep 0.1
    done
    ! is_running "$1"
}

# stop_pid PID [TIMEOUT]: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL. Reaps the child and
# sets STOP_STATUS to its exit status.
stop_pid() {
    local pid="$1" timeout="${2:-15}"
    STOP_STATUS=0
    if is_running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" $((timeout * 10)); then
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

# need_tools TOOL...: dies naming the first one that is not on PATH.
need_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
    done
}

# port_busy PORT: something already accepts connections there.
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# curl_ok NAME EXPECTED_CODES CURL_ARGS...: run curl (at most CURL_MAX_TIME seconds), fail unless
# the status is one of the space-separated EXPECTED_CODES; the body goes to stdout.
CURL_MAX_TIME=10
curl_ok() {
    local name="$1" codes="$2" code; shift 2
    code="$(curl -sS --max-time "$CURL_MAX_TIME" -o "$TMP/curl-body" -w '%{http_code}' "$@")" \
        || die "$name: curl $* failed"
    [[ " $codes " == *" $code "* ]] || die "$name: curl $* answered $code: $(head -c 300 "$TMP/curl-body")"
    cat "$TMP/curl-body"
}

# build_release PRODUCT GIVEN: sets BUILT to the path of PRODUCT's release binary: GIVEN when it
# is set (a *_BIN variable), else what `swift build -c release --product PRODUCT` makes (with
# --scratch-path SCRATCH_PATH when that is set). Dies unless it is executable.
build_release() {
    local product="$1" given="$2" args=(-c release --product "$1")
    if [[ -n "$given" ]]; then
        BUILT="$given"
    else
        [[ -n "$SCRATCH_PATH" ]] && args+=(--scratch-path "$SCRATCH_PATH")
        echo "building: swift build ${args[*]}"
        swift build "${args[@]}"
        BUILT="$(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"} --show-bin-path)/$product"
    fi
    [[ -x "$BUILT" ]] || die "$product binary not found at $BUILT"
}

# write_nginx_conf WORKER_CONNECTIONS ANSWER PATH...: the fastest nginx setup for a fixed JSON
# answer: one worker, access log off, each PATH answering ANSWER straight from the config.
write_nginx_conf() {
    local wc="$1" answer="$2" nofile path locations=""
    shift 2
    mkdir -p "$TMP/nginx/temp"
    # The hard descriptor limit is the ceiling: each connection is one descriptor in the worker.
    nofile="$(ulimit -Hn)"
    [[ "$nofile" == unlimited ]] && nofile=$((wc + 1024))
    for path in "$@"; do
        locations+="        location = $path {
            default_type application/json;
            return 200 '$answer';
        }
"
    done
    cat >"$TMP/nginx/nginx.conf" <<EOF
# Generated by $BENCH_NAME: the fastest nginx setup for a fixed JSON answer.
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $nofile;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events {
    worker_connections $wc;
}
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path $TMP/nginx/temp/body;
    proxy_temp_path $TMP/nginx/temp/proxy;
    fastcgi_temp_path $TMP/nginx/temp/fastcgi;
    uwsgi_temp_path $TMP/nginx/temp/uwsgi;
    scgi_temp_path $TMP/nginx/temp/scgi;
    server {
        listen $HOST:$NGINX_PORT;
$locations    }
}
EOF
    cp "$TMP/nginx/nginx.conf" "$OUT/nginx.conf"
}

# launch_nginx TAG: starts nginx from write_nginx_conf's config on SERVER_CPU, logging to
# OUT/nginx-TAG.log; the caller waits for it to answer.
launch_nginx() {
    local tag="$1"
    port_busy "$NGINX_PORT" && die "port $NGINX_PORT is already in use"
    # -e: the error log before the config is read (the default path may not be writable).
    taskset -c "$SERVER_CPU" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" \
        -e "$TMP/nginx/error.log" >"$OUT/nginx-$tag.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
}

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

# --- gateways on either backend (bench/zk-gateway.sh, bench/recipes.sh) ------------------------
# wait_readyz NAME PID PORT LOG SECONDS: until /readyz answers ready: a ZooKeeper-backed gateway
# is alive (/healthz) before its backend serves.
wait_readyz() {
    local name="$1" pid="$2" port="$3" log="$4" secs="$5" i
    for ((i = 0; i < secs * 10; i++)); do
        is_running "$pid" || { tail -n 20 "$log" >&2; die "$name exited during startup (log: $log)"; }
        [[ "$(curl -fsS --max-time 1 "http://$HOST:$port/readyz" 2>/dev/null || true)" == *ready* ]] && return 0
        sleep 0.1
    done
    tail -n 20 "$log" >&2
    die "$name did not become ready on port $port within $secs s (log: $log)"
}

# start_gateway TAG PORT BACKEND [PIN [THREADS]]: a zkgate (ZKGATE) with the access log off,
# long-polls of up to 55 s and, when GATEWAY_MAX_PARKED is set, that many of them; its output in
# OUT/zkgate-TAG.log; waited for until ready (GATEWAY_READY_SECONDS). BACKEND is
# "zk:CONNECT/CHROOT" or "embedded" (a --data-dir in TMP). Sets GW_PID. A zk: backend's chroot
# goes into CHROOTS before the gateway starts, so that a script deleting its chroots at the end
# has it even when the start fails. GATEWAY_ARGS (an array) adds arguments.
GW_PID=""
CHROOTS=()
GATEWAY_ARGS=()
GATEWAY_MAX_PARKED=""
GATEWAY_READY_SECONDS=20
start_gateway() {
    local tag="$1" port="$2" backend="$3" pin="${4:-}" threads="${5:-}" args cmd=()
    port_busy "$port" && die "port $port is already in use"
    args=(serve --listen "$HOST:$port" --access-log off --max-wait 55)
    [[ -n "$GATEWAY_MAX_PARKED" ]] && args+=(--max-parked "$GATEWAY_MAX_PARKED")
    [[ -n "$threads" ]] && args+=(--threads "$threads")
    if [[ "$backend" == embedded ]]; then
        args+=(--data-dir "$TMP/data-$tag")
    else
        args+=(--zookeeper "${backend#zk:}")
        CHROOTS+=("/${backend#*/}")
    fi
    args+=("${GATEWAY_ARGS[@]+"${GATEWAY_ARGS[@]}"}")
    [[ -n "$pin" ]] && cmd=(taskset -c "$pin")
    "${cmd[@]}" "$ZKGATE" "${args[@]}" >"$OUT/zkgate-$tag.log" 2>&1 &
    GW_PID=$!
    PIDS+=("$GW_PID")
    wait_readyz "zkgate ($tag)" "$GW_PID" "$port" "$OUT/zkgate-$tag.log" "$GATEWAY_READY_SECONDS"
}

# stop_gateway PID: a gateway that start_gateway started; a clean stop exits 0.
stop_gateway() {
    stop_pid "$1" 20
    [[ "$STOP_STATUS" -eq 0 ]] || say "warning: zkgate $1 exited with status $STOP_STATUS on SIGTERM (expected 0)"
}

# --- the ZooKeeper test ensemble (deploy/zk-ensemble.sh) --------------------------------------
# ZK_BASE_PORT and ZK_ENSEMBLE_DIR in the environment pass on to it: a private ensemble.
ENSEMBLE=deploy/zk-ensemble.sh   # relative to the repository root, where the scripts run
STARTED_ENSEMBLE=0

# ensemble_up SHARED_NOTE [HINT]: makes sure the ensemble runs, its output in OUT/ensemble.log.
# If none runs, starts one and waits for it (STARTED_ENSEMBLE=1: ensemble_down stops it). A
# running one is shared and left running, and it must be healthy (three members serving, one
# leader; a member down may be someone's fault test): otherwise dies, HINT appended to the
# message. Sets ENSEMBLE_NOTE for the summary: "started by this script, stopped at the end" or
# "already running, shared SHARED_NOTE".
ensemble_up() {
    local shared="$1" hint="${2:-}" status=0
    bash "$ENSEMBLE" status >"$OUT/ensemble.log" 2>&1 || status=$?
    if [[ "$status" -eq 3 ]]; then
        STARTED_ENSEMBLE=1
        bash "$ENSEMBLE" start >>"$OUT/ensemble.log" 2>&1 || die "cannot start the ensemble (see $OUT/ensemble.log)"
        bash "$ENSEMBLE" wait >>"$OUT/ensemble.log" 2>&1 || die "the ensemble did not come up (see $OUT/ensemble.log)"
        ENSEMBLE_NOTE="started by this script, stopped at the end"
        return 0
    fi
    if [[ "$status" -ne 0 ]]; then
        bash "$ENSEMBLE" wait >>"$OUT/ensemble.log" 2>&1 || true
        bash "$ENSEMBLE" status >>"$OUT/ensemble.log" 2>&1 \
            || die "the ensemble runs but is not healthy (a member down, or no leader); not touching it: $(tail -n 3 "$OUT/ensemble.log" | tr '\n' ';')${hint:+ $hint}"
    fi
    ENSEMBLE_NOTE="already running, shared $shared"
}

# ensemble_down: stops the ensemble if ensemble_up started it (for the EXIT trap).
ensemble_down() {
    if [[ "$STARTED_ENSEMBLE" == 1 ]]; then
        bash "$ENSEMBLE" stop >>"$OUT/ensemble.log" 2>&1 || true
    fi
}

# private_ensemble TAG: exports ZK_BASE_PORT (default 5181, clear of the test ensemble's ports)
# and ZK_ENSEMBLE_DIR (default ${TMPDIR:-/tmp}/zkgate-TAG.<pid>, this run's own folder:
# OWN_ENSEMBLE_DIR=1) for a benchmark that kills or crowds the members.
OWN_ENSEMBLE_DIR=0
private_ensemble() {
    export ZK_BASE_PORT="${ZK_BASE_PORT:-5181}"
    if [[ -z "${ZK_ENSEMBLE_DIR:-}" ]]; then
        export ZK_ENSEMBLE_DIR="${TMPDIR:-/tmp}/zkgate-$1.$$"
        OWN_ENSEMBLE_DIR=1
    fi
}

# private_ensemble_down: ensemble_down, then the folder removed when it was this run's own and
# this run started the ensemble in it.
private_ensemble_down() {
    ensemble_down
    if [[ "$OWN_ENSEMBLE_DIR" == 1 && "$STARTED_ENSEMBLE" == 1 ]]; then rm -rf "$ZK_ENSEMBLE_DIR"; fi
    return 0
}

# ensemble_4lw N WORD: member N's answer to the four-letter word WORD (srvr, cons, wchc, ...);
# fails when nothing listens on its client port.
ensemble_4lw() { bash "$ENSEMBLE" 4lw "$1" "$2"; }

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

# load_sample: how busy the machine is: sets BUSY_SERVER and BUSY_CLIENT (each core over one
# second, "12%") and LOAD_LINE (the load average and both).
load_sample() {
    local k0
    k0="$(core_times)"; sleep 1; read -r BUSY_SERVER BUSY_CLIENT < <(core_busy "$k0" "$(core_times)")
    LOAD_LINE="$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min); core $SERVER_CPU $BUSY_SERVER busy, core $CLIENT_CPU $BUSY_CLIENT busy"
}

# load_line: load_sample's LOAD_LINE, printed.
load_line() { load_sample; echo "$LOAD_LINE"; }

CLK_TCK="$(getconf CLK_TCK)"

# wrk_measure NAME CONNS SECONDS OUTFILE URL [SCRIPT [SCRIPT_ARGS...]]: one wrk run on the client
# CPU, the server's processes in MEASURE_PIDS. Sets RPS, REQUESTS, P50_MS, P99_MS, CPU_PCT (the
# server's CPU use during the run, 100 = one core) and REQ_PER_CPU_MS (requests per millisecond
# of server CPU time). The last two show whether the server had its core to itself: on a shared
# machine req/s swings with other load, requests per CPU millisecond much less. SERVER_CORE and
# CLIENT_CORE give how busy each core was in all (other processes included): a client core near
# 100% means wrk was the limit. Each field of WRK_HEADERS ("Name: value") goes with every request
# (wrk -H).
MEASURE_PIDS=()
WRK_HEADERS=()
RPS=""; REQUESTS=""; P50_MS=""; P99_MS=""; CPU_PCT=""; REQ_PER_CPU_MS=""; SERVER_CORE=""; CLIENT_CORE=""
wrk_measure() {
    local name="$1" conns="$2" secs="$3" outfile="$4" url="$5"; shift 5
    local args=(-t1 -c"$conns" -d"${secs}s" --latency) p50 p99 errors wrk_pid status=0 t0 t1 c0 c1 k0 k1 field
    for field in "${WRK_HEADERS[@]+"${WRK_HEADERS[@]}"}"; do args+=(-H "$field"); done
    if [[ $# -gt 0 ]]; then
        args+=(-s "$1" "$url"); shift
        [[ $# -gt 0 ]] && args+=(-- "$@")
    else
        args+=("$url")
    fi
    t0="$EPOCHREALTIME"; c0="$(cpu_ticks "${MEASURE_PIDS[@]}")"; k0="$(core_times)"
    # In the background and waited for, so that Ctrl-C or SIGTERM stops the run at once.
    taskset -c "$CLIENT_CPU" wrk "${args[@]}" >"$outfile" 2>&1 &
    wrk_pid=$!
    PIDS+=("$wrk_pid")
    wait "$wrk_pid" || status=$?
    t1="$EPOCHREALTIME"; c1="$(cpu_ticks "${MEASURE_PIDS[@]}")"; k1="$(core_times)"
    forget_pid "$wrk_pid"
    [[ "$status" -eq 0 ]] || die "wrk failed against $name (exit $status): $(cat "$outfile")"
    RPS="$(awk '/^Requests\/sec:/ {print $2}' "$outfile")"
    REQUESTS="$(awk '/ requests in / {print $1}' "$outfile")"
    p50="$(awk '$1 == "50%" {print $2}' "$outfile")"
    p99="$(awk '$1 == "99%" {print $2}' "$outfile")"
    [[ -n "$RPS" && -n "$p50" && -n "$p99" ]] || die "could not parse wrk output: $outfile"
    P50_MS="$(to_ms "$p50")"
    P99_MS="$(to_ms "$p99")"
    read -r SERVER_CORE CLIENT_CORE < <(core_busy "$k0" "$k1")
    read -r CPU_PCT REQ_PER_CPU_MS < <(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" \
        -v t1="$t1" -v rps="$RPS" 'BEGIN {
            cpu_s = c / hz; wall = t1 - t0
            printf "%.1f %.1f\n", 100 * cpu_s / wall, (cpu_s > 0 ? rps * wall / (cpu_s * 1000) : 0) }')
    errors="$(grep -E 'Socket errors|Non-2xx' "$outfile" | tr -s ' ' | tr '\n' ';' || true)"
    if [[ -n "$errors" ]]; then
        say "warning: $name: ${errors%;} (see $outfile)"
    fi
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

# median_of LIST: the median of a space-separated list of numbers; nan when it is empty.
median_of() {
    local values
    read -ra values <<<"${1:-}"
    if [[ ${#values[@]} -gt 0 ]]; then median "${values[@]}"; else echo nan; fi
}

# ratio A B: A / B to two places; nan when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.2f", a / b }'; }

# goal VALUE OP TARGET: "met", GOAL_MISSED when missed (OP is >= or <=), "unknown" for a VALUE
# that is nan or empty.
GOAL_MISSED=MISSED
goal() {
    awk -v v="$1" -v op="$2" -v t="$3" -v missed="$GOAL_MISSED" 'BEGIN {
        if (v == "nan" || v == "") { print "unknown"; exit }
        ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0); print ok ? "met" : missed }'
}

# commit_desc PATH...: the short commit, with " (with local changes)" when any PATH differs from it.
commit_desc() {
    echo "$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- "$@" 2>/dev/null || echo ' (with local changes)')"
}
