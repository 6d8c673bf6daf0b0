#!/usr/bin/env bash
# bench/tls.sh — HTTPS: new handshakes/s and keep-alive req/s over TLS of zkgate, against
# nginx with the same certificate and key.
#
# Why: a TLS handshake costs a server far more than an HTTP request, and the cost is
# OpenSSL's more than the server's own, so the figure worth having is zkgate against a server
# on the same OpenSSL, in the same run, on the same cores. This is a benchmark, never a timed
# test: it is not part of scripts/test.sh or CI.
#
# What it does:
#   1. Installs wrk and nginx (scripts/setup.sh --bench), builds zkgate in release mode and
#      the handshake client bench/tls/handshakes.c (cc, against the system's OpenSSL).
#   2. Makes a throwaway CA and, signed by it, a server certificate for localhost and
#      127.0.0.1 per key type in KEYS (ec: ECDSA P-256; rsa: RSA-2048), with openssl, in a
#      temporary folder that is deleted at the end.
#   3. For each key type: starts zkgate (--threads 1 --access-log off, --tls-listen with the
#      certificate) and nginx (1 worker, access_log off, server_tokens off, `listen ... ssl`
#      with the same certificate and key, ssl_protocols TLSv1.2 TLSv1.3, GET /healthz answered
#      {"status":"ok"} from the config), both pinned to CPU 0; every client runs on CPU 1.
#      Both must answer 200 with the same body over HTTPS, verified against the CA. Then a
#      warm-up and ROUNDS rounds; in each, every test runs against both servers, alternating
#      which goes first:
#        keepalive-cC  wrk -t1 -cC -dDURATION --latency https://.../healthz, for C in
#                      KA_CONNS (first key type only: after the handshake the key type no
#                      longer matters)
#        full-1.3      bench/tls/handshakes.c -c HS_CONNS -v 1.3: each connection does a full
#        full-1.2      handshake (no session offered), one GET with Connection: close, and
#                      reads to the server's close; then a new connection
#        resumed-1.3   the same, each connection offering the session its predecessor got
#                      (session tickets; first key type only)
#      Reported per run: req/s or connections/s, p50/p99 (wrk: per request; handshakes:
#      connect to the answer's last byte), the server's CPU use, its CPU time per request or
#      per connection, and how busy each core was. For the handshake tests the connections the
#      server accepted are counted too (zkgate: zkgate_http_connections_accepted_total in
#      /metrics; nginx: stub_status on a plain listener), so that one connection per request
#      is checked, not assumed.
#   4. Cross-checks, first key type only: `openssl s_time -new` (full handshakes, one at a
#      time) against handshakes.c with one connection; and wrk -H "Connection: close", whose
#      reconnects are counted by the servers, and whose sessions an extra nginx listener logs
#      ($ssl_session_reused): wrk keeps its SSL object across reconnects and so resumes.
#   5. Prints the medians and the ratios zkgate/nginx. With the client core busy the
#      connections/s are the client's limit as much as the server's; the server's CPU time per
#      connection is the figure that compares the servers.
# Raw output, server logs, the nginx config and the summary go to bench/results/tls-<time>/
# (gitignored). Every process the script starts is stopped by its pid when it exits, however
# it exits.
#
# Environment (defaults in brackets):
#   DURATION [10]       seconds per run              ROUNDS [5]        measured rounds
#   WARMUP [3]          seconds of warm-up per server and key type
#   KEYS ["ec rsa"]     key types, in this order     KA_CONNS ["1 64"] wrk connections
#   HS_CONNS [32]       concurrent handshake connections
#   XCHECK_SECONDS [3]  seconds per cross-check run  SKIP_XCHECK=1     skip the cross-checks
#   ZK_PORT [18180]     ZK_TLS_PORT [18181]          zkgate (plain: /metrics; TLS)
#   NGINX_PORT [18182]  NGINX_TLS_PORT [18183]       nginx (plain: stub_status; TLS)
#   NGINX_CHECK_PORT [18184]                         nginx TLS listener that logs sessions
#   SCRATCH_PATH [.build-bench]  build folder for `swift build --scratch-path`
#   ZKGATE_BIN          use this binary instead of building one
#
# Example: DURATION=5 ROUNDS=3 bench/tls.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
WARMUP="${WARMUP:-3}"
KEYS="${KEYS:-ec rsa}"
KA_CONNS="${KA_CONNS:-1 64}"
HS_CONNS="${HS_CONNS:-32}"
XCHECK_SECONDS="${XCHECK_SECONDS:-3}"
SKIP_XCHECK="${SKIP_XCHECK:-0}"
ZK_PORT="${ZK_PORT:-18180}"
ZK_TLS_PORT="${ZK_TLS_PORT:-18181}"
NGINX_PORT="${NGINX_PORT:-18182}"
NGINX_TLS_PORT="${NGINX_TLS_PORT:-18183}"
NGINX_CHECK_PORT="${NGINX_CHECK_PORT:-18184}"
SCRATCH_PATH="${SCRATCH_PATH:-.build-bench}"
ZKGATE_BIN="${ZKGATE_BIN:-}"
HOST=127.0.0.1
SERVER_CPU=0
CLIENT_CPU=1
BODY='{"status":"ok"}'

OUT="bench/results/tls-$(date +%Y%m%d-%H%M%S)"
SUMMARY="$OUT/summary.txt"
TMP="$(mktemp -d -t zkgate-bench-tls.XXXXXX)"
mkdir -p "$OUT"

# shellcheck disable=SC2034  # read by bench/lib.sh
BENCH_NAME=tls.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

read -ra KEY_LIST <<<"$KEYS"
read -ra KA_LIST <<<"$KA_CONNS"
[[ ${#KEY_LIST[@]} -gt 0 ]] || die "KEYS is empty"
for key in "${KEY_LIST[@]}"; do
    [[ "$key" == ec || "$key" == rsa ]] || die "unknown key type '$key' in KEYS (ec, rsa)"
done

# --- certificates ----------------------------------------------------------------------------
# make_certs: TMP/certs/ca.pem and, per key type, TMP/certs/KEY.pem (the leaf alone, which is
# what both servers send) and KEY.key. The CA is ECDSA P-256 for both; clients here do not
# check the chain, curl does (once, to prove the certificate is what it claims).
make_certs() {
    local dir="$TMP/certs" key
    mkdir -p "$dir"
    {
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key"
        openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 2 -subj "/CN=zkgate bench CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
            -out "$dir/ca.pem"
        printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$dir/leaf.ext"
        for key in "${KEY_LIST[@]}"; do
            if [[ "$key" == ec ]]; then
                openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$key.key"
            else
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$key.key"
            fi
            openssl req -new -key "$dir/$key.key" -subj "/CN=localhost" -out "$dir/$key.csr"
            openssl x509 -req -in "$dir/$key.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
                -CAcreateserial -days 2 -sha256 -extfile "$dir/leaf.ext" -out "$dir/$key.pem"
        done
    } >"$OUT/certs.log" 2>&1 || die "openssl could not make the certificates (see $OUT/certs.log)"
}

key_desc() { if [[ "$1" == ec ]]; then echo "ECDSA P-256"; else echo "RSA-2048"; fi; }

# --- servers ---------------------------------------------------------------------------------
# wait_ready NAME PID PORT LOG: poll the plain listener's /healthz until it answers.
wait_ready() {
    local name="$1" pid="$2" port="$3" log="$4" i
    for ((i = 0; i < 100; i++)); do
        is_running "$pid" || { tail -n 20 "$log" >&2 || true; die "$name exited during startup (log: $log)"; }
        curl -fsS --max-time 1 -o /dev/null "http://$HOST:$port/healthz" 2>/dev/null && return 0
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    die "$name did not answer on port $port within 10 s (log: $log)"
}

# check_https NAME PORT: GET /healthz over HTTPS, the certificate verified against the CA for
# the name localhost, must be 200, JSON, body exactly BODY. Sets HEAD_BYTES (the answer's
# head, as curl counts it) so the summary can show how far the two answers differ.
HEAD_BYTES=""
check_https() {
    local name="$1" port="$2" body code ctype
    body="$(curl -sS --max-time 5 --cacert "$TMP/certs/ca.pem" --resolve "localhost:$port:$HOST" \
        -D "$TMP/headers" -w '\n%{size_header}' "https://localhost:$port/healthz")" \
        || die "$name: GET https://localhost:$port/healthz failed"
    HEAD_BYTES="${body##*$'\n'}"
    body="${body%$'\n'*}"
    code="$(awk 'NR==1 {print $2}' "$TMP/headers")"
    ctype="$(awk -F': *' 'tolower($1)=="content-type" {print $2}' "$TMP/headers" | tr -d '\r')"
    [[ "$code" == 200 ]] || die "$name: GET /healthz over TLS answered $code"
    [[ "$ctype" == application/json* ]] || die "$name: Content-Type is '$ctype'"
    [[ "$body" == "$BODY" ]] || die "$name: body is '$body'"
}

ZK_PID=""
start_zkgate() { # start_zkgate KEY
    local key="$1"
    port_busy "$ZK_PORT" && die "port $ZK_PORT is already in use"
    port_busy "$ZK_TLS_PORT" && die "port $ZK_TLS_PORT is already in use"
    taskset -c "$SERVER_CPU" "$ZKGATE" serve --listen "$HOST:$ZK_PORT" --tls-listen "$HOST:$ZK_TLS_PORT" \
        --tls-cert "$TMP/certs/$key.pem" --tls-key "$TMP/certs/$key.key" --data-dir "$TMP/data-$key" \
        --threads 1 --access-log off >"$OUT/zkgate-$key.log" 2>&1 &
    ZK_PID=$!
    PIDS+=("$ZK_PID")
    wait_ready zkgate "$ZK_PID" "$ZK_PORT" "$OUT/zkgate-$key.log"
    check_https zkgate "$ZK_TLS_PORT"
    ZK_HEAD="$HEAD_BYTES"
}

# write_nginx_tls_conf KEY: one worker, access log off, the certificate of KEY on
# NGINX_TLS_PORT with ssl_protocols TLSv1.2 TLSv1.3 and OpenSSL's other defaults (as zkgate
# has them: session tickets on), plain HTTP on NGINX_PORT for readiness and stub_status, and
# NGINX_CHECK_PORT, which logs whether each connection resumed a session.
write_nginx_tls_conf() {
    local key="$1" nofile
    mkdir -p "$TMP/nginx/temp"
    nofile="$(ulimit -Hn)"
    [[ "$nofile" == unlimited ]] && nofile=65536
    cat >"$TMP/nginx/nginx.conf" <<EOF
# Generated by $BENCH_NAME: nginx serving a fixed JSON answer over TLS ($(key_desc "$key")).
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $nofile;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    server_tokens off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path $TMP/nginx/temp/body;
    proxy_temp_path $TMP/nginx/temp/proxy;
    fastcgi_temp_path $TMP/nginx/temp/fastcgi;
    uwsgi_temp_path $TMP/nginx/temp/uwsgi;
    scgi_temp_path $TMP/nginx/temp/scgi;
    ssl_certificate $TMP/certs/$key.pem;
    ssl_certificate_key $TMP/certs/$key.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    log_format sessions '\$ssl_protocol \$ssl_session_reused';
    server {
        listen $HOST:$NGINX_TLS_PORT ssl;
        listen $HOST:$NGINX_PORT;
        location = /healthz {
            default_type application/json;
            return 200 '$BODY';
        }
        location = /nginx_status {
            stub_status;
        }
    }
    server {
        listen $HOST:$NGINX_CHECK_PORT ssl;
        access_log $TMP/nginx/sessions.log sessions;
        location = /healthz {
            default_type application/json;
            return 200 '$BODY';
        }
    }
}
EOF
    cp "$TMP/nginx/nginx.conf" "$OUT/nginx-$key.conf"
}

NGINX_PID=""
NGINX_PIDS=()
start_nginx() { # start_nginx KEY
    local key="$1"
    port_busy "$NGINX_TLS_PORT" && die "port $NGINX_TLS_PORT is already in use"
    port_busy "$NGINX_CHECK_PORT" && die "port $NGINX_CHECK_PORT is already in use"
    write_nginx_tls_conf "$key"
    launch_nginx "$key"
    wait_ready nginx "$NGINX_PID" "$NGINX_PORT" "$OUT/nginx-$key.log"
    check_https nginx "$NGINX_TLS_PORT"
    NG_HEAD="$HEAD_BYTES"
    mapfile -t NGINX_PIDS < <(family "$NGINX_PID")   # master and worker
}

# server_counts NAME: "accepted tls_failures" of a server so far. The query's own connection
# is counted in both readings, so a difference of two readings is one too many.
server_counts() {
    if [[ "$1" == zkgate ]]; then
        curl -fsS --max-time 5 "http://$HOST:$ZK_PORT/metrics" | awk '
            $1 == "zkgate_http_connections_accepted_total" { a = $2 }
            $1 == "zkgate_tls_failures_total" { f = $2 }
            END { print a + 0, f + 0 }'
    else
        curl -fsS --max-time 5 "http://$HOST:$NGINX_PORT/nginx_status" | awk 'NR == 3 { print $1 + 0, 0 }'
    fi
}

tls_port() { if [[ "$1" == zkgate ]]; then echo "$ZK_TLS_PORT"; else echo "$NGINX_TLS_PORT"; fi; }
measure_pids() { if [[ "$1" == zkgate ]]; then MEASURE_PIDS=("$ZK_PID"); else MEASURE_PIDS=("${NGINX_PIDS[@]}"); fi; }

# rss_kb PID...: the sum of VmRSS (KiB).
rss_kb() {
    local total=0 pid kb
    for pid in "$@"; do
        kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

# --- measurement -----------------------------------------------------------------------------
# kv KEY FILE: a value from handshakes.c's key=value line.
kv() { grep '^connections=' "$2" | tail -n 1 | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# hs_measure NAME VERSION RESUME SECONDS CONNS OUTFILE: one run of the handshake client against
# server NAME on the client CPU. Sets RPS (connections/s), P50_MS, P99_MS, CPU_PCT,
# US_PER_OP (server CPU µs per accepted connection), ACCEPTED (connections the server
# accepted during the run), FAILED (client errors, non-200 answers and timeouts), RESUMED,
# TLS_FAILURES (zkgate's count), NEGOTIATED, SERVER_CORE and CLIENT_CORE.
hs_measure() {
    local name="$1" version="$2" resume="$3" secs="$4" conns="$5" outfile="$6"
    local args=(-H "$HOST" -p "$(tls_port "$name")" -c "$conns" -d "$secs" -v "$version") pid status=0
    local a0 f0 a1 f1 t0 t1 c0 c1 k0 k1
    [[ "$resume" == 1 ]] && args+=(-r)
    measure_pids "$name"
    read -r a0 f0 < <(server_counts "$name")
    t0="$EPOCHREALTIME"; c0="$(cpu_ticks "${MEASURE_PIDS[@]}")"; k0="$(core_times)"
    taskset -c "$CLIENT_CPU" "$HS_CLIENT" "${args[@]}" >"$outfile" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    t1="$EPOCHREALTIME"; c1="$(cpu_ticks "${MEASURE_PIDS[@]}")"; k1="$(core_times)"
    forget_pid "$pid"
    read -r a1 f1 < <(server_counts "$name")
    [[ "$status" -eq 0 ]] || die "handshake client failed against $name (exit $status): $(tail -n 5 "$outfile")"
    RPS="$(kv rate "$outfile")"
    P50_MS="$(kv p50_ms "$outfile")"
    P99_MS="$(kv p99_ms "$outfile")"
    RESUMED="$(kv resumed "$outfile")"
    FAILED=$(($(kv errors "$outfile") + $(kv non200 "$outfile") + $(kv timeouts "$outfile")))
    NEGOTIATED="$(kv protocol "$outfile") $(kv cipher "$outfile") $(kv group "$outfile") $(kv sigalg "$outfile")"
    ACCEPTED=$((a1 - a0 - 1))
    TLS_FAILURES=$((f1 - f0))
    read -r SERVER_CORE CLIENT_CORE < <(core_busy "$k0" "$k1")
    read -r CPU_PCT US_PER_OP < <(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
        -v n="$ACCEPTED" 'BEGIN { cpu_s = c / hz
            printf "%.1f %.1f\n", 100 * cpu_s / (t1 - t0), (n > 0 ? cpu_s * 1e6 / n : 0) }')
    if [[ "$FAILED" -gt 0 || "$TLS_FAILURES" -gt 0 ]]; then
        say "warning: $name: $FAILED failed connections (client), $TLS_FAILURES TLS failures (server) (see $outfile)"
    fi
}

# run_test TEST NAME ROUND: one run of TEST against server NAME; appends the figures to the
# RESULTS lists and prints a line.
declare -A R_RPS R_P50 R_P99 R_US R_CPU R_CLIENT R_NEG
FMT_ROUND='%-5s %-7s %-15s %10s %8s %8s %7s %9s %10s %6s %6s\n'
run_test() {
    local test="$1" name="$2" round="$3" outfile="$OUT/$KEY-r$3-$1-$2.txt" conns per_conn="-"
    case "$test" in
        keepalive-c*)
            conns="${test#keepalive-c}"
            measure_pids "$name"
            wrk_measure "$name" "$conns" "$DURATION" "$outfile" "https://$HOST:$(tls_port "$name")/healthz"
            US_PER_OP="$(awk -v e="$REQ_PER_CPU_MS" 'BEGIN { printf "%.1f", (e > 0 ? 1000 / e : 0) }')"
            ;;
        full-1.3 | full-1.2 | resumed-1.3)
            local version="${test#*-}" resume=0
            [[ "$test" == resumed-* ]] && resume=1
            hs_measure "$name" "$version" "$resume" "$DURATION" "$HS_CONNS" "$outfile"
            per_conn="$(awk -v a="$ACCEPTED" -v r="$RPS" -v d="$DURATION" 'BEGIN {
                printf "%.2f", (r > 0 ? a / (r * d) : 0) }')"
            if [[ "$resume" == 1 ]]; then
                awk -v x="$RESUMED" -v r="$RPS" -v d="$DURATION" 'BEGIN { exit !(x < 0.9 * r * d) }' \
                    && say "warning: $name $test: only $RESUMED of $(printf '%.0f' "$(awk -v r="$RPS" -v d="$DURATION" 'BEGIN { print r * d }')") connections resumed"
            elif [[ "$RESUMED" -gt 0 ]]; then
                say "warning: $name $test: $RESUMED connections resumed a session (none should)"
            fi
            R_NEG["$KEY|$test|$name"]="$NEGOTIATED"
            ;;
        *) die "unknown test $test" ;;
    esac
    local k="$KEY|$test|$name"
    R_RPS["$k"]+="$RPS "; R_P50["$k"]+="$P50_MS "; R_P99["$k"]+="$P99_MS "
    R_US["$k"]+="$US_PER_OP "; R_CPU["$k"]+="$CPU_PCT "; R_CLIENT["$k"]+="${CLIENT_CORE%\%} "
    sayf "$FMT_ROUND" "$round" "$name" "$test" "$(printf '%.0f' "$RPS")" "$P50_MS" "$P99_MS" "$CPU_PCT%" \
        "$US_PER_OP" "$per_conn" "$SERVER_CORE" "$CLIENT_CORE"
}

# --- cross-checks ----------------------------------------------------------------------------
# xcheck NAME: s_time -new against handshakes.c with one connection, and wrk with Connection:
# close, its connections counted by the server.
xcheck() {
    local name="$1" port n t0 t1 pid status=0 out a0 f0 a1 f1 wrk_req
    port="$(tls_port "$name")"
    out="$OUT/$KEY-xcheck-s_time-$name.txt"
    t0="$EPOCHREALTIME"
    taskset -c "$CLIENT_CPU" openssl s_time -connect "$HOST:$port" -new -time "$XCHECK_SECONDS" \
        -www /healthz >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    t1="$EPOCHREALTIME"
    forget_pid "$pid"
    [[ "$status" -eq 0 ]] || die "openssl s_time failed against $name: $(tail -n 3 "$out")"
    n="$(awk '/connections in .* real seconds/ { print $1 }' "$out")"
    # s_time runs until its whole-second clock passes the end, so its own rate is coarse; the
    # wall time of the process is the divisor here.
    sayf '%-7s openssl s_time -new: %6.0f connections/s   ' "$name" "$(awk -v n="${n:-0}" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')"
    hs_measure "$name" 1.3 0 "$XCHECK_SECONDS" 1 "$OUT/$KEY-xcheck-c1-$name.txt"
    sayf 'handshakes.c -c1: %6.0f connections/s (p50 %s ms)\n' "$RPS" "$P50_MS"

    out="$OUT/$KEY-xcheck-wrk-close-$name.txt"
    read -r a0 f0 < <(server_counts "$name")
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$HS_CONNS" -d"${XCHECK_SECONDS}s" -H "Connection: close" \
        "https://$HOST:$port/healthz" >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    status=0
    wait "$pid" || status=$?
    forget_pid "$pid"
    read -r a1 f1 < <(server_counts "$name")
    [[ "$status" -eq 0 ]] || die "wrk failed against $name: $(cat "$out")"
    wrk_req="$(awk '/ requests in / { print $1 }' "$out")"
    sayf '%-7s wrk -H "Connection: close": %6.0f req/s, %s requests, %s connections accepted\n' "$name" \
        "$(awk '/^Requests\/sec:/ { print $2 }' "$out")" "$wrk_req" "$((a1 - a0 - 1))"
}

# wrk_sessions: which of wrk's Connection: close reconnects resumed a session, from the
# logging nginx listener.
wrk_sessions() {
    local out="$OUT/$KEY-xcheck-wrk-sessions.txt" pid status=0
    : >"$TMP/nginx/sessions.log"
    taskset -c "$CLIENT_CPU" wrk -t1 -c4 -d1s -H "Connection: close" "https://$HOST:$NGINX_CHECK_PORT/healthz" \
        >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    forget_pid "$pid"
    [[ "$status" -eq 0 ]] || die "wrk failed against nginx's check listener: $(cat "$out")"
    sleep 0.3   # nginx writes the log line after the connection ends
    cp "$TMP/nginx/sessions.log" "$OUT/$KEY-xcheck-nginx-sessions.log"
    say "wrk -H \"Connection: close\" resumes: $(awk '$2 == "r" { r++ } END { printf "%d of %d", r, NR }' \
        "$TMP/nginx/sessions.log") connections resumed a session (nginx \$ssl_session_reused)"
}

# --- preparation -----------------------------------------------------------------------------
bash scripts/setup.sh --bench

need_tools wrk nginx taskset curl openssl cc
if [[ "$(nproc)" -lt 2 ]]; then
    die "needs at least 2 CPUs (servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU)"
fi

build_release zkgate "$ZKGATE_BIN"
ZKGATE="$BUILT"
HS_CLIENT="$TMP/handshakes"
cc -O2 -Wall -Wextra -o "$HS_CLIENT" bench/tls/handshakes.c -lssl -lcrypto \
    || die "cannot build bench/tls/handshakes.c (needs libssl-dev)"
make_certs

ulimit -n "$(ulimit -Hn)"

TESTS_FIRST=()
for c in "${KA_LIST[@]}"; do TESTS_FIRST+=("keepalive-c$c"); done
TESTS_FIRST+=(full-1.3 full-1.2 resumed-1.3)
TESTS_OTHER=(full-1.3 full-1.2)

say "== bench/tls.sh: zkgate vs nginx over TLS, GET /healthz =="
say "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "commit:   $(commit_desc Sources Package.swift)"
say "cpu:      $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores"
say "openssl:  $(openssl version) (the servers, handshakes.c, wrk and s_time share the library)"
say "zkgate:   $ZKGATE (--threads 1 --access-log off --tls-listen), CPU $SERVER_CPU"
say "nginx:    $(nginx -v 2>&1 | sed 's/^nginx version: //') (1 worker, access_log off, listen ssl, TLSv1.2 TLSv1.3), CPU $SERVER_CPU"
say "clients:  wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t1 -cC -d${DURATION}s --latency (C: $KA_CONNS); bench/tls/handshakes.c -c$HS_CONNS -d$DURATION; CPU $CLIENT_CPU"
say "keys:     $(for k in "${KEY_LIST[@]}"; do printf '%s; ' "$(key_desc "$k")"; done)CA ECDSA P-256; certificate for localhost, 127.0.0.1"
say "rounds:   $ROUNDS (after ${WARMUP}s warm-up per server and key type), alternating which server goes first"
load_sample
say "load:     $LOAD_LINE before the run"
if (( ${BUSY_SERVER%\%} > 10 || ${BUSY_CLIENT%\%} > 10 )); then
    say "warning:  the machine is busy with other work; expect noisy results"
fi
say "results:  $OUT"

# --- the runs --------------------------------------------------------------------------------
first=1
for KEY in "${KEY_LIST[@]}"; do
    if [[ "$first" == 1 ]]; then TESTS=("${TESTS_FIRST[@]}"); else TESTS=("${TESTS_OTHER[@]}"); fi
    say ""
    say "== $(key_desc "$KEY") =="
    start_zkgate "$KEY"
    start_nginx "$KEY"
    say "answer heads over TLS (curl's size_header; both bodies are 15 bytes): zkgate $ZK_HEAD, nginx $NG_HEAD bytes"

    for name in zkgate nginx; do
        measure_pids "$name"
        if [[ "$first" == 1 ]]; then
            wrk_measure "$name" 64 "$WARMUP" "$OUT/$KEY-warmup-keepalive-$name.txt" "https://$HOST:$(tls_port "$name")/healthz"
        fi
        hs_measure "$name" 1.3 0 "$WARMUP" "$HS_CONNS" "$OUT/$KEY-warmup-full-$name.txt"
    done

    if [[ "$first" == 1 && "$SKIP_XCHECK" != 1 ]]; then
        say ""
        say "cross-checks (${XCHECK_SECONDS}s each, TLS 1.3):"
        xcheck zkgate
        xcheck nginx
        wrk_sessions
    fi

    say ""
    sayf "$FMT_ROUND" round server test 'req|conn/s' 'p50 ms' 'p99 ms' 'CPU' 'CPU us/op' 'accept/conn' "core$SERVER_CPU" "core$CLIENT_CPU"
    for ((r = 1; r <= ROUNDS; r++)); do
        if ((r % 2)); then order=(zkgate nginx); else order=(nginx zkgate); fi
        for test in "${TESTS[@]}"; do
            for name in "${order[@]}"; do
                run_test "$test" "$name" "$r"
            done
        done
    done
    say "(CPU: the server's use of its core, 100% = one core; CPU us/op: server CPU time per"
    say " request (keep-alive) or per accepted connection (handshakes); accept/conn: connections"
    say " the server accepted per connection the client completed, ~1.0 when each request had its"
    say " own connection; core N: all use of that core, other processes included)"
    for test in full-1.3 full-1.2 resumed-1.3; do
        [[ -n "${R_NEG["$KEY|$test|zkgate"]:-}" ]] || continue
        if [[ "${R_NEG["$KEY|$test|zkgate"]}" == "${R_NEG["$KEY|$test|nginx"]}" ]]; then
            say "negotiated ($test): ${R_NEG["$KEY|$test|zkgate"]} (both)"
        else
            say "warning: negotiated ($test) differs: zkgate ${R_NEG["$KEY|$test|zkgate"]}, nginx ${R_NEG["$KEY|$test|nginx"]}"
        fi
    done
    say "RSS after the runs: zkgate $(rss_kb "$ZK_PID") KiB, nginx $(rss_kb "${NGINX_PIDS[@]}") KiB (master + worker)"

    stop_zkgate
    stop_nginx
    first=0
done

# --- summary ---------------------------------------------------------------------------------
# round_ratios LIST_A LIST_B: each round's A/B (the two servers ran back to back in a round).
round_ratios() {
    local a b i out=""
    read -ra a <<<"$1"
    read -ra b <<<"$2"
    for ((i = 0; i < ${#a[@]} && i < ${#b[@]}; i++)); do out+="$(ratio "${a[$i]}" "${b[$i]}") "; done
    echo "${out% }"
}

say ""
say "== medians of $ROUNDS rounds (ratio: zkgate/nginx; rate: higher is better, latency and CPU per op: lower) =="
FMT_MED='%-6s %-15s %-7s %11s %9s %9s %11s %6s %6s  %s\n'
sayf "$FMT_MED" key test server 'req|conn/s' 'p50 ms' 'p99 ms' 'CPU us/op' 'CPU' "core$CLIENT_CPU" 'per round (req|conn/s; CPU us/op)'
first=1
for KEY in "${KEY_LIST[@]}"; do
    if [[ "$first" == 1 ]]; then TESTS=("${TESTS_FIRST[@]}"); else TESTS=("${TESTS_OTHER[@]}"); fi
    for test in "${TESTS[@]}"; do
        declare -A med=()
        for name in zkgate nginx; do
            k="$KEY|$test|$name"
            med[$name-rps]="$(median_of "${R_RPS[$k]}")"; med[$name-p50]="$(median_of "${R_P50[$k]}")"
            med[$name-p99]="$(median_of "${R_P99[$k]}")"; med[$name-us]="$(median_of "${R_US[$k]}")"
            med[$name-cpu]="$(median_of "${R_CPU[$k]}")"; med[$name-client]="$(median_of "${R_CLIENT[$k]}")"
            sayf "$FMT_MED" "$KEY" "$test" "$name" "$(printf '%.0f' "${med[$name-rps]}")" "${med[$name-p50]}" \
                "${med[$name-p99]}" "$(printf '%.1f' "${med[$name-us]}")" "$(printf '%.0f%%' "${med[$name-cpu]}")" \
                "$(printf '%.0f%%' "${med[$name-client]}")" ""
        done
        sayf "$FMT_MED" "$KEY" "$test" ratio "$(ratio "${med[zkgate-rps]}" "${med[nginx-rps]}")" \
            "$(ratio "${med[zkgate-p50]}" "${med[nginx-p50]}")" "$(ratio "${med[zkgate-p99]}" "${med[nginx-p99]}")" \
            "$(ratio "${med[zkgate-us]}" "${med[nginx-us]}")" "" "" \
            "$(round_ratios "${R_RPS["$KEY|$test|zkgate"]}" "${R_RPS["$KEY|$test|nginx"]}"); $(round_ratios \
                "${R_US["$KEY|$test|zkgate"]}" "${R_US["$KEY|$test|nginx"]}")"
        unset med
    done
    first=0
done
say "(With core $CLIENT_CPU near 100% in a handshake test the client was the limit and"
say " connections/s say little about the server; CPU us/op is then the figure to compare.)"
say ""
say "raw output: $OUT"
