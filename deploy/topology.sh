#!/usr/bin/env bash
# deploy/topology.sh — the load-balanced topology on one machine: HAProxy in front of three
# zkgate replicas on the 3-node ZooKeeper ensemble of deploy/zk-ensemble.sh, routing by
# /readyz. For tests, development and trying failover; a production layout is the same with
# each piece on its own host (deploy/README.md).
#
# Usage: deploy/topology.sh COMMAND
#   start            start the ensemble (unless one runs: it is shared and left running), the
#                    replicas and HAProxy; each replica with --drain-seconds DRAIN, so that on
#                    SIGTERM its /readyz fails first, HAProxy takes it out, then it drains
#   stop             stop HAProxy and the replicas (SIGTERM, SIGKILL after 20 s), and the
#                    ensemble when start started it
#   status           each process's pid and whether it is ready; exit 0 when all are
#   address          print HAProxy's address, host:port
#   rolling-restart  restart the replicas one at a time: SIGTERM, wait for it to exit, start it
#                    again, wait until HAProxy sees it up, then the next
#   kill N           kill -9 replica N (1..3)
#   start-replica N  start replica N again (after kill)
#
# Environment:
#   TOPOLOGY_DIR     the folder for pid files, logs and haproxy.cfg
#                    (default ${TMPDIR:-/tmp}/zkgate-topology)
#   HAPROXY_PORT     HAProxy's port (default 8180); replica N listens on HAPROXY_PORT+N
#   CHROOT           the replicas' chroot on the ensemble (default /zkgate-topology)
#   DRAIN            --drain-seconds of each replica (default 1.5: six health checks)
#   ZKGATE_BIN       the zkgate binary (default .build/release/zkgate, built when missing)
#   ZKGATE_ARGS      more arguments for every replica
#   ZK_BASE_PORT, ZK_ENSEMBLE_DIR  passed to deploy/zk-ensemble.sh
# Every process is started in the background with its pid in a file, and stopped by that pid.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${TOPOLOGY_DIR:-${TMPDIR:-/tmp}/zkgate-topology}"
HAPROXY_PORT="${HAPROXY_PORT:-8180}"
CHROOT="${CHROOT:-/zkgate-topology}"
DRAIN="${DRAIN:-1.5}"
ZKGATE_BIN="${ZKGATE_BIN:-$ROOT/.build/release/zkgate}"
ENSEMBLE="$ROOT/deploy/zk-ensemble.sh"
REPLICAS=(1 2 3)
HOST=127.0.0.1

die() { echo "topology: $*" >&2; exit 1; }
pid_of() { [[ -f "$DIR/$1.pid" ]] && cat "$DIR/$1.pid" || true; }
running() { local pid; pid="$(pid_of "$1")"; [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }
replica_port() { echo $((HAPROXY_PORT + $1)); }
ready() { [[ "$(curl -fsS --max-time 1 "http://$HOST:$1/readyz" 2>/dev/null || true)" == *ready* ]]; }

# stop_pid NAME SECONDS: SIGTERM, then SIGKILL after SECONDS; removes the pid file.
stop_pid() {
    local name="$1" secs="$2" pid i
    pid="$(pid_of "$name")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/$name.pid"
}

start_replica() {
    local n="$1" port i
    port="$(replica_port "$n")"
    running "replica$n" && { echo "replica $n already runs (pid $(pid_of "replica$n"))"; return 0; }
    # shellcheck disable=SC2086  # ZKGATE_ARGS is a list of arguments
    setsid "$ZKGATE_BIN" serve --listen "$HOST:$port" --zookeeper "$(bash "$ENSEMBLE" connect-string)$CHROOT" \
        --drain-seconds "$DRAIN" --access-log "$DIR/replica$n.access.log" ${ZKGATE_ARGS:-} \
        >>"$DIR/replica$n.log" 2>&1 </dev/null &
    echo $! >"$DIR/replica$n.pid"
    for ((i = 0; i < 300; i++)); do
        ready "$port" && { echo "replica $n ready on $HOST:$port (pid $(pid_of "replica$n"))"; return 0; }
        running "replica$n" || { tail -n 20 "$DIR/replica$n.log" >&2; die "replica $n exited during start-up"; }
        sleep 0.1
    done
    die "replica $n not ready within 30 s (log: $DIR/replica$n.log)"
}

write_haproxy_config() {
    {
        cat <<EOF
# Written by deploy/topology.sh. HAProxy checks each replica's /readyz every 250 ms and takes
# it out after one failure (a replica that drains fails it at once), back after two passes.
# maxconn: each client connection takes two descriptors (client, replica), under the
# machine's 20,000.
# Only what cannot have reached a replica is retried elsewhere: a refused connection, or, for
# GET and HEAD, a connection closed before any answer. A write whose replica died under it may
# or may not have been applied, so it is not sent again: its client gets 503 with Retry-After,
# as zkgate answers a write whose outcome is unknown (errorfiles below), or, as HAProxy 2.6
# does for some requests in flight when their server dies, its connection closed unanswered;
# either way the client decides.
global
    maxconn 9000
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 90s
    timeout server 90s
    timeout http-keep-alive 10s
    timeout queue 5s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    errorfile 502 $DIR/unavailable.http
    errorfile 503 $DIR/unavailable.http
    errorfile 504 $DIR/unavailable.http
frontend zkgate
    bind $HOST:$HAPROXY_PORT
    default_backend replicas
backend replicas
    balance roundrobin
    http-request disable-l7-retry unless { method GET HEAD }
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 250ms fall 1 rise 2
EOF
        for n in "${REPLICAS[@]}"; do echo "    server replica$n $HOST:$(replica_port "$n") check"; done
    } >"$DIR/haproxy.cfg"
    local body='{"type":"urn:zkgate:problem:connection-loss","title":"Service Unavailable","status":503,"detail":"The replica went away before answering: a write may or may not have been applied. Retry after the delay."}'
    printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "${#body}" "$body" >"$DIR/unavailable.http"
}

# haproxy_state N: replica N's operational state in HAProxy (2 up, 0 down), from its stats socket.
haproxy_state() {
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show servers state replicas\n")
print(s.makefile().read())' "$DIR/haproxy.sock" 2>/dev/null | awk -v n="replica$1" '$4 == n { print $6 }'
}

start_haproxy() {
    running haproxy && { echo "haproxy already runs (pid $(pid_of haproxy))"; return 0; }
    write_haproxy_config
    # A Unix socket's path holds at most 107 bytes (sun_path); HAProxy refuses a longer one.
    (( ${#DIR} + 13 <= 107 )) || die "TOPOLOGY_DIR is too long for HAProxy's stats socket ($DIR/haproxy.sock is over 107 bytes): choose a shorter folder"
    sed -i "s|^global$|global\n    stats socket $DIR/haproxy.sock mode 600 level admin|" "$DIR/haproxy.cfg"
    haproxy -c -q -f "$DIR/haproxy.cfg" >"$DIR/haproxy-check.log" 2>&1 || { cat "$DIR/haproxy-check.log" >&2; die "haproxy rejects $DIR/haproxy.cfg (above)"; }
    setsid haproxy -db -f "$DIR/haproxy.cfg" >>"$DIR/haproxy.log" 2>&1 </dev/null &
    echo $! >"$DIR/haproxy.pid"
    local i
    for ((i = 0; i < 100; i++)); do
        ready "$HAPROXY_PORT" && { echo "haproxy on $HOST:$HAPROXY_PORT (pid $(pid_of haproxy))"; return 0; }
        sleep 0.1
    done
    die "haproxy does not answer /readyz on $HOST:$HAPROXY_PORT (log: $DIR/haproxy.log)"
}

# wait_state N STATE: until HAProxy has replica N in STATE (2 up, 0 down).
wait_state() {
    local n="$1" want="$2" i
    for ((i = 0; i < 200; i++)); do
        [[ "$(haproxy_state "$n")" == "$want" ]] && return 0
        sleep 0.05
    done
    die "HAProxy did not see replica $n reach state $want within 10 s"
}

cmd="${1:-}"
case "$cmd" in
start)
    mkdir -p "$DIR"
    command -v haproxy >/dev/null || die "haproxy is not installed (scripts/setup.sh installs it)"
    if [[ ! -x "$ZKGATE_BIN" ]]; then (cd "$ROOT" && swift build -c release --product zkgate); fi
    status=0
    bash "$ENSEMBLE" status >/dev/null 2>&1 || status=$?
    if [[ "$status" -eq 3 ]]; then
        bash "$ENSEMBLE" start
        touch "$DIR/ensemble-started-here"
    fi
    bash "$ENSEMBLE" wait
    for n in "${REPLICAS[@]}"; do start_replica "$n"; done
    start_haproxy
    for n in "${REPLICAS[@]}"; do wait_state "$n" 2; done
    echo "topology ready: http://$HOST:$HAPROXY_PORT"
    ;;
stop)
    stop_pid haproxy 5
    for n in "${REPLICAS[@]}"; do stop_pid "replica$n" 20; done
    if [[ -f "$DIR/ensemble-started-here" ]]; then
        bash "$ENSEMBLE" stop
        rm -f "$DIR/ensemble-started-here"
    fi
    ;;
status)
    rc=0
    for name in haproxy replica1 replica2 replica3; do
        if running "$name"; then echo "$name: pid $(pid_of "$name")"; else echo "$name: down"; rc=1; fi
    done
    for n in "${REPLICAS[@]}"; do echo "replica$n in haproxy: state $(haproxy_state "$n") (2 up, 0 down)"; done
    exit "$rc"
    ;;
address)
    echo "$HOST:$HAPROXY_PORT"
    ;;
rolling-restart)
    for n in "${REPLICAS[@]}"; do
        t0=$(date +%s%3N)
        stop_pid "replica$n" 30
        start_replica "$n" >/dev/null
        wait_state "$n" 2
        echo "replica $n restarted in $(($(date +%s%3N) - t0)) ms"
    done
    ;;
kill)
    [[ "${2:-}" =~ ^[123]$ ]] || die "usage: $0 kill 1|2|3"
    pid="$(pid_of "replica$2")"
    [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DIR/replica$2.pid"
    ;;
start-replica)
    [[ "${2:-}" =~ ^[123]$ ]] || die "usage: $0 start-replica 1|2|3"
    start_replica "$2"
    ;;
*)
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
    [[ -z "$cmd" || "$cmd" == help || "$cmd" == -h ]] || exit 2
    ;;
esac
