#!/usr/bin/env bash
# deploy/zk-ensemble.sh — a real Apache ZooKeeper 3.8 ensemble of 3 to 5 members on 127.0.0.1,
# for tests.
#
# Why: zkgate's conformance and fault tests must run against the real thing — leader election,
# session expiry, a member that crashes and rejoins — not a mock. This script runs three (or
# ZK_MEMBERS) QuorumPeerMain JVMs from Debian's `zookeeper` package (installed by scripts/setup.sh), each
# with its own config, data, logs and pid file under one folder, and stops only the processes
# it started. scripts/test.sh starts it before `swift test` and hands the tests the connect
# string (ZKGATE_TEST_ZOOKEEPER) and this script's path (ZKGATE_ZK_ENSEMBLE_SCRIPT).
#
# Usage: deploy/zk-ensemble.sh COMMAND
#   start            start every member that is not running (data is kept across restarts);
#                    with all members up and a leader elected it says so and does nothing; it
#                    warns of a running member without -Dzookeeper.forceSnapshotSync=true
#   wait [SECONDS]   wait until a leader is elected and every running member serves
#                    (default 60 s, or ZK_WAIT_TIMEOUT); exit 1 on timeout or a crashed member
#   stop             stop every member: SIGTERM, SIGKILL after 5 s; removes the pid files
#   status           each member's pid, client port and mode (leader, follower, looking, down);
#                    exit 0 with every member serving and one leader, 3 with none running,
#                    else 1
#   leader           print the number (1..N) of the current leader; exit 1 if there is none
#   connect-string   print 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 (one per member)
#   members          print the member count
#   kill N [M...]    kill -9 members N, M, ... (1..N) at once: a crash, for fault tests
#   stop-member N    stop member N gracefully (SIGTERM)
#   start-member N   start member N again; it keeps its data and rejoins the ensemble
#   4lw N WORD       print member N's answer to the four-letter word WORD (srvr, cons, wchc, ...);
#                    exit 1 when nothing listens on its client port
#   reset            stop, then delete the folder (all data, configs and logs)
#   tls              print the folder of the TLS mode's certificates (exit 1 in plaintext mode)
#
# Environment:
#   ZK_ENSEMBLE_DIR  the folder for everything (default ${TMPDIR:-/tmp}/zkgate-zk-ensemble):
#                    N/zoo.cfg, N/data (myid, snapshots, transaction logs), N/zookeeper.log
#                    (log4j, INFO), N/stdout.log (the JVM's own output), N/zookeeper.pid
#   ZK_BASE_PORT     client port of member 1 (default: the folder's, else 2181); member N
#                    listens on BASE+N-1.
#                    Quorum and election ports are 12888+N and 13888+N, shifted by the same
#                    amount as the client ports, so a second ensemble needs only this and its
#                    own ZK_ENSEMBLE_DIR (beside the default one, shift by other than 1000:
#                    ZK_BASE_PORT=3181 would put its quorum ports on the default election
#                    ports; 5181 is free of both)
#   ZK_MEMBERS       the member count, 3 to 5 (a fleet tolerates (N-1)/2 members down: one of
#                    3 or 4, two of 5). Kept in the folder (ZK_ENSEMBLE_DIR/members) when the
#                    ensemble is first started, so later commands need not repeat it; another
#                    count for an existing folder is refused (its members' data would meet
#                    a membership they never agreed to): reset first. Default 3
#   ZK_TLS           1: TLS only on the members' client ports (Netty, secureClientPort, PEM key
#                    and trust stores, x509 authentication), with certificates made for the
#                    ensemble in ZK_ENSEMBLE_DIR/tls/ on its first TLS start: ca.pem and
#                    ca-key.pem (its CA), server.pem and server-key.pem (every member's,
#                    naming localhost and 127.0.0.1), client.pem and client-key.pem (a client
#                    identity, CN=zkgate,O=zkgate; both in client-keystore.pem for Java). A
#                    client presents a certificate of that CA or none; its id for ACLs is
#                    the certificate's subject (x509 scheme). Kept in the folder like
#                    ZK_MEMBERS (and ZK_BASE_PORT); 0 switches back on a stopped ensemble.
#                    2: the same certificates, but each client port takes plaintext clients
#                    too (port unification), to compare the two on the same members
#   ZK_JAVA_OPTS     extra JVM options, appended to the defaults below (a later -D wins, so
#                    ZK_JAVA_OPTS=-Dzookeeper.forceSnapshotSync=false undoes the default: only
#                    to reproduce the data loss described under Configuration)
#
# Configuration: tickTime=1000 with minSessionTimeout=4000 and maxSessionTimeout=40000, so
# requested session timeouts negotiate to 4–40 s exactly as on a stock server (whose bounds are
# 2 and 20 ticks of 2000 ms), while expiry is checked every second rather than every two.
# Four-letter words are all enabled (srvr, mntr, wchc, wchp, cons, ...), the AdminServer is off
# (it would take port 8080), TTL nodes are on (extendedTypesEnabled, set in zoo.cfg and as a JVM
# property), and expired TTL and empty container nodes are swept every second instead of every
# minute (znode.container.checkIntervalMs=1000), so tests see them go within about a second.
# Client connections are unlimited, and fsync is off (forceSync=no: a killed JVM loses nothing,
# only a machine crash would). Each JVM starts with a 32 MiB heap that may grow to 768 MiB
# (raised from 256 MiB for the fault tests' write streams), exits on running out of memory, and
# uses the serial collector and the C1 compiler only: small and quick to start on 2 cores.
#
# Every member runs with -Dzookeeper.forceSnapshotSync=true: a member that joins the leader
# syncs from a snapshot of the whole tree, never by DIFF (replaying the transactions it
# missed). Debian's ZooKeeper is 3.8.0, which can lose committed transactions after a DIFF sync:
# the member records the new epoch before the replayed transactions are on disk, and if it is
# killed or wins the next election before they are, the others truncate committed transactions
# to match it ("Truncating log to get in sync with the leader"; ZOOKEEPER-4643, ZOOKEEPER-4646,
# ZOOKEEPER-4785, fixed in 3.8.5 and 3.9.2). Killing the leader, restarting it 8 s later and
# killing the new leader 4 s after that lost about 2,400 acknowledged writes in 2 of 5 runs
# without the flag; Tests/EndToEndTests/V1DoubleFailoverTests.swift repeats that sequence. The
# flag is read by the leader, so every member needs it; a snapshot sync costs a full copy of
# the tree per rejoining member, negligible for trees of test size. deploy/README.md has the
# versions for production.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ENSEMBLE_DIR="${ZK_ENSEMBLE_DIR:-${TMPDIR:-/tmp}/zkgate-zk-ensemble}"
ENSEMBLE_DIR="${ENSEMBLE_DIR%/}"
WAIT_TIMEOUT="${ZK_WAIT_TIMEOUT:-60}"
MARKER=".zkgate-zk-ensemble"   # marks a folder this script made (reset deletes only such a one)
MAIN_CLASS=org.apache.zookeeper.server.quorum.QuorumPeerMain
START_MARK="==== zk-ensemble start:"   # written to a member's logs each time it starts

# Debian's zookeeper.jar names its dependencies in its manifest's Class-Path (commons-cli,
# jackson, jetty9, netty, metrics, slf4j-api, snappy, zookeeper-jute, ...), so it alone is
# enough to run, except for logging: the manifest has no SLF4J binding, and without one the
# server logs nothing at all. Debian builds 3.8 against log4j 1.2 (upstream moved to logback),
# so the binding is slf4j-log4j12 plus log4j-1.2, both pulled in by libzookeeper-java.
ZK_JAR=/usr/share/java/zookeeper.jar
LOG_JARS=(/usr/share/java/slf4j-log4j12.jar /usr/share/java/log4j-1.2.jar)
# The manifest also leaves out two Netty jars the Netty connection factory needs (codec and
# resolver; without them TLS mode fails with NoClassDefFoundError ByteToMessageDecoder). Both
# come with libnetty-java, a dependency of the zookeeper package.
NETTY_JARS=(/usr/share/java/netty-codec.jar /usr/share/java/netty-resolver.jar)

# --- helpers ---------------------------------------------------------------------------------
log() { printf 'zk-ensemble: %s\n' "$*"; }
die() { printf 'zk-ensemble: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"
}

[[ "$WAIT_TIMEOUT" =~ ^[0-9]+$ ]] || die "ZK_WAIT_TIMEOUT must be a number of seconds (got '$WAIT_TIMEOUT')"
[[ "$ENSEMBLE_DIR" == /* ]] || ENSEMBLE_DIR="$(pwd)/$ENSEMBLE_DIR"

# The ports: ZK_BASE_PORT, or the folder's (kept at start, like the member count), or 2181.
PORT_FILE="$ENSEMBLE_DIR/base-port"
RECORDED_PORT=""
[[ -f "$PORT_FILE" ]] && read -r RECORDED_PORT <"$PORT_FILE" || true
BASE_PORT="${ZK_BASE_PORT:-${RECORDED_PORT:-2181}}"
if ! [[ "$BASE_PORT" =~ ^[0-9]+$ ]] || (( BASE_PORT < 1024 || BASE_PORT > 50000 )); then
    die "ZK_BASE_PORT must be a port number between 1024 and 50000 (got '$BASE_PORT')"
fi
MEMBERS_FILE="$ENSEMBLE_DIR/members"

# The member count: ZK_MEMBERS, or the folder's, or 3. A folder keeps the count it was made
# with: a member's data holds the votes of the membership it served in.
RECORDED_COUNT=""
[[ -f "$MEMBERS_FILE" ]] && read -r RECORDED_COUNT <"$MEMBERS_FILE" || true
COUNT="${ZK_MEMBERS:-${RECORDED_COUNT:-3}}"
[[ "$COUNT" =~ ^[345]$ ]] || die "ZK_MEMBERS must be 3, 4 or 5 (got '$COUNT')"
if [[ -n "$RECORDED_COUNT" && "$RECORDED_COUNT" != "$COUNT" && "${1:-}" != reset ]]; then
    die "$ENSEMBLE_DIR holds a $RECORDED_COUNT-member ensemble, not $COUNT: run with ZK_MEMBERS=$RECORDED_COUNT, or reset it first"
fi
mapfile -t MEMBERS < <(seq 1 "$COUNT")

# TLS mode: ZK_TLS, or the folder's, or off.
TLS_FILE="$ENSEMBLE_DIR/tls-mode"
TLS_DIR="$ENSEMBLE_DIR/tls"
RECORDED_TLS=0
[[ -f "$TLS_FILE" ]] && read -r RECORDED_TLS <"$TLS_FILE" || true
TLS="${ZK_TLS:-$RECORDED_TLS}"
[[ "$TLS" =~ ^[012]$ ]] || die "ZK_TLS must be 0, 1 or 2 (got '$TLS')"

PORT_SHIFT=$(( BASE_PORT - 2181 ))
client_port()   { echo $(( BASE_PORT + $1 - 1 )); }
quorum_port()   { echo $(( 12888 + PORT_SHIFT + $1 )); }
election_port() { echo $(( 13888 + PORT_SHIFT + $1 )); }

member_dir() { echo "$ENSEMBLE_DIR/$1"; }
member_cfg() { echo "$ENSEMBLE_DIR/$1/zoo.cfg"; }
pid_file()   { echo "$ENSEMBLE_DIR/$1/zookeeper.pid"; }

connect_string() {
    local n out=()
    for n in "${MEMBERS[@]}"; do out+=("127.0.0.1:$(client_port "$n")"); done
    (IFS=,; echo "${out[*]}")
}

# check_member N: N must be a member's number, 1..COUNT.
check_member() {
    [[ "${1:-}" =~ ^[1-9]$ ]] && (( $1 <= COUNT )) || die "member must be a number from 1 to $COUNT (got '${1:-}')"
}

# is_member_pid PID N: true when PID is alive (not a zombie) and is member N's JVM, i.e. its
# command line runs QuorumPeerMain with member N's zoo.cfg. Nothing else is ever signalled.
is_member_pid() {
    local pid=$1 n=$2 cfg state args=()
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    cfg="$(member_cfg "$n")"
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
    mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null || return 1
    local a has_main=0 has_cfg=0
    for a in "${args[@]}"; do
        [[ "$a" == "$MAIN_CLASS" ]] && has_main=1
        [[ "$a" == "$cfg" ]] && has_cfg=1
    done
    (( has_main && has_cfg ))
}

# member_pid N: print member N's pid and succeed when it runs. The pid file is the record; a
# JVM whose pid file was lost (a folder cleaned under a running ensemble) is found by its
# exact zoo.cfg path on the command line.
member_pid() {
    local n=$1 pid="" f cfg
    f="$(pid_file "$n")"
    if [[ -f "$f" ]]; then
        read -r pid <"$f" || true
        if is_member_pid "$pid" "$n"; then echo "$pid"; return 0; fi
    fi
    cfg="$(member_cfg "$n")"
    for f in $(grep -lzxsF -- "$cfg" /proc/[0-9]*/cmdline 2>/dev/null || true); do
        pid="${f#/proc/}"; pid="${pid%/cmdline}"
        if is_member_pid "$pid" "$n"; then echo "$pid"; return 0; fi
    done
    return 1
}

# four_letter PORT WORD: send a four-letter word to 127.0.0.1:PORT and print the answer (bash's
# /dev/tcp, so neither nc nor python is needed). Fails when nothing listens; gives up on a
# member that accepts but does not answer within 2 s.
four_letter() {
    local port=$1 word=$2
    if (( TLS )); then
        # The secure port speaks TLS only; s_client prints the answer and ends when the
        # member closes, as it does after a four-letter word.
        printf '%s' "$word" | timeout 3 openssl s_client -quiet -connect "127.0.0.1:$port" \
            -CAfile "$TLS_DIR/ca.pem" -cert "$TLS_DIR/client.pem" -key "$TLS_DIR/client-key.pem" 2>/dev/null
        return
    fi
    (
        exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf '%s' "$word" >&3
        local line
        while IFS= read -r -t 2 -u 3 line || [[ -n "$line" ]]; do
            printf '%s\n' "$line"
            line=""
        done
    ) 2>/dev/null
}

# runs_with N OPTION: true when member N's JVM (running) has OPTION on its command line, as the
# last of its -D options for that property (a later -D wins).
runs_with() {
    local n=$1 option=$2 pid a last="" args=()
    pid="$(member_pid "$n")" || return 1
    mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null || return 1
    for a in "${args[@]}"; do [[ "$a" == "${option%%=*}="* ]] && last="$a"; done
    [[ "$last" == "$option" ]]
}

# member_mode N: leader, follower, observer, standalone, looking (up, no quorum), or down.
member_mode() {
    local out
    out="$(four_letter "$(client_port "$1")" srvr)" || { echo down; return; }
    if [[ "$out" =~ Mode:\ ([a-z]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    elif [[ "$out" == *"not currently serving"* ]]; then
        echo looking
    elif [[ -z "$out" ]]; then
        echo down
    else
        echo unknown
    fi
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

require_package() {
    command -v java >/dev/null 2>&1 || die "java not found: run scripts/setup.sh (openjdk-17-jre-headless)"
    local jar
    for jar in "$ZK_JAR" "${LOG_JARS[@]}" "${NETTY_JARS[@]}"; do
        [[ -f "$jar" ]] || die "$jar not found: zookeeper package missing: run scripts/setup.sh"
    done
}

# prepare_dir: create the folder (with its marker) or check that it is usable.
prepare_dir() {
    if [[ -d "$ENSEMBLE_DIR" && ! -f "$ENSEMBLE_DIR/$MARKER" ]] && [[ -n "$(ls -A "$ENSEMBLE_DIR")" ]]; then
        die "$ENSEMBLE_DIR exists and was not made by this script: set ZK_ENSEMBLE_DIR to another folder"
    fi
    mkdir -p "$ENSEMBLE_DIR" 2>/dev/null || die "cannot create $ENSEMBLE_DIR: set ZK_ENSEMBLE_DIR to a writable folder"
    [[ -w "$ENSEMBLE_DIR" ]] || die "$ENSEMBLE_DIR is not writable (another user's ensemble?): set ZK_ENSEMBLE_DIR"
    : >"$ENSEMBLE_DIR/$MARKER"
    echo "$COUNT" >"$MEMBERS_FILE"
    echo "$TLS" >"$TLS_FILE"
    echo "$BASE_PORT" >"$PORT_FILE"
    if (( TLS )); then make_certificates; fi
}

# make_certificates: the TLS mode's CA, server and client certificates (RSA 2048, valid 30
# days), made once per folder; reset deletes them with it. Keys are readable by this user only.
make_certificates() {
    [[ -f "$TLS_DIR/ca.pem" && -f "$TLS_DIR/server-keystore.pem" && -f "$TLS_DIR/client-keystore.pem" ]] && return 0
    command -v openssl >/dev/null 2>&1 || die "openssl not found: run scripts/setup.sh"
    mkdir -p "$TLS_DIR"
    chmod 700 "$TLS_DIR"
    (
        cd "$TLS_DIR"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 30 \
            -subj "/O=zkgate/CN=zk-ensemble test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
        # sign NAME SUBJECT EXTENSIONS: NAME-key.pem and NAME.pem, signed by the CA.
        sign() {
            openssl req -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.csr" -subj "$2"
            printf '%s\n' "$3" >"$1.ext"
            openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
                -extfile "$1.ext" -out "$1.pem"
            rm -f "$1.csr" "$1.ext"
        }
        sign server "/O=zkgate/CN=localhost" \
            "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
        sign client "/O=zkgate/CN=zkgate" \
            "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
        # ZooKeeper's PEM key stores: the private key and its certificate in one file (the
        # client's, for Java clients such as Curator).
        cat server-key.pem server.pem >server-keystore.pem
        cat client-key.pem client.pem >client-keystore.pem
        chmod 644 ca.pem server.pem client.pem
    ) >"$ENSEMBLE_DIR/tls.log" 2>&1 || { cat "$ENSEMBLE_DIR/tls.log" >&2; die "making the TLS certificates failed (above)"; }
    log "TLS certificates made in $TLS_DIR"
}

# write_config N: member N's zoo.cfg, log4j.properties and myid. Written on every start, so a
# change here applies on the next start; the data folder is kept.
write_config() {
    local n=$1 dir m
    dir="$(member_dir "$n")"
    mkdir -p "$dir/data"
    echo "$n" >"$dir/data/myid"
    {
        echo "# Written by deploy/zk-ensemble.sh on every start; edits here are overwritten."
        echo "tickTime=1000"
        echo "minSessionTimeout=4000"
        echo "maxSessionTimeout=40000"
        echo "initLimit=10"
        echo "syncLimit=5"
        echo "dataDir=$dir/data"
        if (( TLS == 1 )); then
            # TLS only: Netty serves the secure port, and no plaintext port is opened.
            echo "secureClientPortAddress=127.0.0.1"
            echo "secureClientPort=$(client_port "$n")"
        elif (( TLS == 2 )); then
            # Port unification: the one client port takes TLS and plaintext clients alike.
            echo "clientPortAddress=127.0.0.1"
            echo "clientPort=$(client_port "$n")"
            echo "client.portUnification=true"
        fi
        if (( TLS )); then
            echo "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory"
            echo "ssl.keyStore.location=$TLS_DIR/server-keystore.pem"
            echo "ssl.keyStore.type=PEM"
            echo "ssl.trustStore.location=$TLS_DIR/ca.pem"
            echo "ssl.trustStore.type=PEM"
            echo "ssl.clientAuth=want"
            echo "authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider"
        else
            echo "clientPortAddress=127.0.0.1"
            echo "clientPort=$(client_port "$n")"
        fi
        echo "maxClientCnxns=0"
        echo "maxCnxns=0"
        echo "4lw.commands.whitelist=*"
        echo "admin.enableServer=false"
        echo "extendedTypesEnabled=true"
        echo "forceSync=no"
        echo "preAllocSize=4096"
        echo "autopurge.snapRetainCount=3"
        echo "autopurge.purgeInterval=1"
        for m in "${MEMBERS[@]}"; do
            echo "server.$m=127.0.0.1:$(quorum_port "$m"):$(election_port "$m")"
        done
    } >"$dir/zoo.cfg"
    cat >"$dir/log4j.properties" <<EOF
# Written by deploy/zk-ensemble.sh: INFO to $dir/zookeeper.log, rolled at 10 MB.
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.RollingFileAppender
log4j.appender.FILE.File=$dir/zookeeper.log
log4j.appender.FILE.MaxFileSize=10MB
log4j.appender.FILE.MaxBackupIndex=3
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} [myid:$n] - %-5p [%t:%C{1}@%L] - %m%n
EOF
}

# check_ports N...: every port of the members about to start must be free, checked before any
# of them starts, so a busy port leaves nothing half started.
check_ports() {
    local n port
    for n in "$@"; do
        for port in "$(client_port "$n")" "$(quorum_port "$n")" "$(election_port "$n")"; do
            if port_in_use "$port"; then
                die "port $port (member $n) is busy: another ZooKeeper? see \`ss -ltnp | grep :$port\`; or set ZK_BASE_PORT"
            fi
        done
    done
}

# launch N: start member N's JVM in its own session, detached from this shell and its
# terminal. The wrapper writes its own pid and then execs java, so the pid file holds the JVM's
# pid whether or not setsid had to fork.
launch() {
    local n=$1 dir cfg
    dir="$(member_dir "$n")"
    cfg="$(member_cfg "$n")"
    write_config "$n"
    local cp
    cp="$ZK_JAR$(printf ':%s' "${LOG_JARS[@]}" "${NETTY_JARS[@]}")"
    # shellcheck disable=SC2206 # ZK_JAVA_OPTS is a list of options split on spaces
    local java_opts=(
        -Xms32m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData
        -XX:+ExitOnOutOfMemoryError -Djava.net.preferIPv4Stack=true
        -Dzookeeper.extendedTypesEnabled=true -Dznode.container.checkIntervalMs=1000
        -Dzookeeper.forceSnapshotSync=true
        -Dlog4j.configuration="file:$dir/log4j.properties"
        -Dzookeeper.log.dir="$dir"
        ${ZK_JAVA_OPTS:-}
    )
    rm -f "$(pid_file "$n")"
    # A marker in both logs, so that tail_logs shows only this run's lines.
    local mark
    mark="$START_MARK $(date '+%Y-%m-%d %H:%M:%S') member $n"
    echo "$mark" >>"$dir/stdout.log"
    echo "$mark" >>"$dir/zookeeper.log"
    # shellcheck disable=SC2016 # $$, $1 and $@ are the wrapper's, expanded there
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' zk-ensemble-launch "$(pid_file "$n")" \
        java -cp "$cp" "${java_opts[@]}" "$MAIN_CLASS" "$cfg" \
        >>"$dir/stdout.log" 2>&1 </dev/null &
    for _ in $(seq 1 50); do
        [[ -s "$(pid_file "$n")" ]] && break
        sleep 0.1
    done
    [[ -s "$(pid_file "$n")" ]] || die "member $n did not start (see $dir/stdout.log)"
    log "member $n: started, pid $(<"$(pid_file "$n")"), client port $(client_port "$n")"
}

# tail_logs N: the last lines of member N's logs since its last start, for a member that died
# or does not join.
tail_logs() {
    local dir f
    dir="$(member_dir "$1")"
    for f in "$dir/stdout.log" "$dir/zookeeper.log"; do
        [[ -f "$f" ]] || continue
        echo "---- $f (this run's last 15 lines)"
        awk -v mark="$START_MARK" 'index($0, mark) == 1 { n = 0 } { line[n++] = $0 }
            END { for (i = (n > 15 ? n - 15 : 0); i < n; i++) print line[i] }' "$f"
    done >&2
}

# stop_member N SIGNAL: signal member N, wait until it is gone (SIGKILL after 5 s), remove
# its pid file. Returns 1 when it was not running.
stop_member() {
    local n=$1 sig=$2 pid
    if ! pid="$(member_pid "$n")"; then
        rm -f "$(pid_file "$n")"
        return 1
    fi
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        is_member_pid "$pid" "$n" || break
        sleep 0.1
    done
    if is_member_pid "$pid" "$n"; then
        log "member $n (pid $pid) still running 5 s after SIG$sig; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            is_member_pid "$pid" "$n" || break
            sleep 0.1
        done
        is_member_pid "$pid" "$n" && die "member $n (pid $pid) survived SIGKILL"
    fi
    rm -f "$(pid_file "$n")"
    return 0
}

# leader_number: print the member that reports Mode: leader; fail when none does.
leader_number() {
    local n
    for n in "${MEMBERS[@]}"; do
        if [[ "$(member_mode "$n")" == leader ]]; then echo "$n"; return 0; fi
    done
    return 1
}

# --- commands --------------------------------------------------------------------------------
cmd_start() {
    local n running=0 to_start=()
    for n in "${MEMBERS[@]}"; do
        if member_pid "$n" >/dev/null; then running=$((running + 1)); else to_start+=("$n"); fi
    done
    if (( running > 0 && TLS != RECORDED_TLS )); then
        die "members run with ZK_TLS=$RECORDED_TLS: stop the ensemble before switching to ZK_TLS=$TLS"
    fi
    if (( running > 0 )) && [[ -n "$RECORDED_PORT" && "$BASE_PORT" != "$RECORDED_PORT" ]]; then
        die "members run on ports from $RECORDED_PORT: stop the ensemble before moving it to ZK_BASE_PORT=$BASE_PORT"
    fi
    for n in "${MEMBERS[@]}"; do
        if member_pid "$n" >/dev/null && ! runs_with "$n" -Dzookeeper.forceSnapshotSync=true; then
            log "warning: member $n runs without -Dzookeeper.forceSnapshotSync=true (started before this script passed it, or ZK_JAVA_OPTS undid it): run $SELF stop, then start"
        fi
    done
    if (( ${#to_start[@]} == 0 )); then
        local leader
        if leader="$(leader_number)"; then
            log "already running: $COUNT members, leader is member $leader ($(connect_string))"
        else
            log "already running: $COUNT members, no leader yet (run: $SELF wait)"
        fi
        return 0
    fi
    require_package
    prepare_dir
    check_ports "${to_start[@]}"
    for n in "${to_start[@]}"; do
        launch "$n"
    done
}

cmd_stop() {
    local n stopped=0
    for n in "${MEMBERS[@]}"; do
        if stop_member "$n" TERM; then
            log "member $n: stopped"
            stopped=$((stopped + 1))
        fi
    done
    (( stopped > 0 )) || log "not running"
}

cmd_status() {
    local n pid mode running=0 serving=0 leaders=0
    echo "ensemble: $ENSEMBLE_DIR ($(connect_string))"
    for n in "${MEMBERS[@]}"; do
        if pid="$(member_pid "$n")"; then
            running=$((running + 1))
            mode="$(member_mode "$n")"
        else
            pid="-"
            mode=down
        fi
        [[ "$mode" == leader || "$mode" == follower ]] && serving=$((serving + 1))
        [[ "$mode" == leader ]] && leaders=$((leaders + 1))
        printf 'member %s: pid %-8s port %-6s %s\n' "$n" "$pid" "$(client_port "$n")" "$mode"
    done
    (( running == 0 )) && return 3
    (( serving == COUNT && leaders == 1 )) && return 0
    return 1
}

cmd_wait() {
    local timeout=${1:-$WAIT_TIMEOUT}
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "wait: timeout must be a number of seconds (got '$timeout')"
    local deadline=$((SECONDS + timeout)) n mode leaders serving running last="" unready=()
    while :; do
        leaders=0; serving=0; running=0; last=""; unready=()
        for n in "${MEMBERS[@]}"; do
            if ! member_pid "$n" >/dev/null; then
                if [[ -f "$(pid_file "$n")" ]]; then
                    # A pid file without its process: the member died on its own.
                    tail_logs "$n"
                    die "member $n exited (pid file left behind); its logs are above"
                fi
                last+=" $n=down"
                continue
            fi
            running=$((running + 1))
            mode="$(member_mode "$n")"
            last+=" $n=$mode"
            [[ "$mode" == leader ]] && leaders=$((leaders + 1))
            if [[ "$mode" == leader || "$mode" == follower || "$mode" == observer ]]; then
                serving=$((serving + 1))
            else
                unready+=("$n")
            fi
        done
        (( running > 0 )) || die "no member is running: run $SELF start"
        if (( leaders == 1 && serving == running )); then
            log "ready in the ensemble's view:$last"
            return 0
        fi
        if (( SECONDS >= deadline )); then
            for n in "${unready[@]}"; do tail_logs "$n"; done
            die "no leader with every running member serving after ${timeout} s:$last${unready[*]:+ (logs of the unready above)}"
        fi
        sleep 0.2
    done
}

cmd_leader() {
    leader_number || { echo "zk-ensemble: no leader" >&2; return 1; }
}

# cmd_kill N...: SIGKILL to every named member first, then wait for each to be gone, so that
# two members die within microseconds of each other, not one stop apart.
cmd_kill() {
    (( $# > 0 )) || die "kill: name at least one member"
    local n pids=()
    for n in "$@"; do
        check_member "$n"
        pids+=("$(member_pid "$n")") || die "member $n is not running"
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for n in "$@"; do stop_member "$n" KILL || true; done
    log "killed (SIGKILL): $(for i in "${!pids[@]}"; do printf 'member %s pid %s; ' "${@:i+1:1}" "${pids[i]}"; done)"
}

cmd_start_member() {
    local n=$1
    check_member "$n"
    if pid="$(member_pid "$n")"; then
        log "member $n: already running, pid $pid"
        return 0
    fi
    require_package
    prepare_dir
    check_ports "$n"
    launch "$n"
}

cmd_stop_member() {
    local n=$1
    check_member "$n"
    if stop_member "$n" TERM; then log "member $n: stopped"; else log "member $n: not running"; fi
}

cmd_4lw() {
    local n=$1 word=$2
    check_member "$n"
    [[ "$word" =~ ^[a-z]{4}$ ]] || die "4lw: WORD must be four lowercase letters (got '$word')"
    four_letter "$(client_port "$n")" "$word"
}

cmd_reset() {
    cmd_stop
    if [[ -d "$ENSEMBLE_DIR" ]]; then
        if [[ ! -f "$ENSEMBLE_DIR/$MARKER" && -n "$(ls -A "$ENSEMBLE_DIR")" ]]; then
            die "refusing to delete $ENSEMBLE_DIR: it was not made by this script"
        fi
        rm -rf -- "$ENSEMBLE_DIR"
        log "deleted $ENSEMBLE_DIR"
    fi
}

# --- main ------------------------------------------------------------------------------------
cmd="${1:-}"
case "$cmd" in
    start)          cmd_start ;;
    stop)           cmd_stop ;;
    status)         cmd_status ;;
    wait)           cmd_wait "${2:-}" ;;
    leader)         cmd_leader ;;
    connect-string) connect_string ;;
    kill)           shift; cmd_kill "$@" ;;
    members)        echo "$COUNT" ;;
    start-member)   cmd_start_member "${2:-}" ;;
    stop-member)    cmd_stop_member "${2:-}" ;;
    4lw)            cmd_4lw "${2:-}" "${3:-}" ;;
    tls)            (( TLS )) || { echo "zk-ensemble: plaintext mode (ZK_TLS=1 start for TLS)" >&2; exit 1; }
                    echo "$TLS_DIR" ;;
    reset)          cmd_reset ;;
    -h|--help|help) usage ;;
    "")             usage >&2; exit 2 ;;
    *)              die "unknown command: $cmd (try --help)" ;;
esac
