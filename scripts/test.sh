#!/usr/bin/env bash
# scripts/test.sh — the whole test run: setup, import check, build, unit and integration tests,
# short fuzzing.
#
# Why: CI (.ci/run) and developers run exactly the same steps, so a green local run predicts a
# green CI run. Each step has a header, and the script stops at the first failing step with a
# non-zero exit code.
#
# Steps: setup, imports (every module a target imports is declared in Package.swift:
# scripts/check-imports.sh, no build needed), build, a 3-node ZooKeeper ensemble on 127.0.0.1
# (deploy/zk-ensemble.sh), swift test (unit, end-to-end against the real binary, the client and
# conformance against the ensemble), the route tests (GatewayAPITests, on their own), fault
# tests (members killed, run alone, among them the leader killed twice in a row under two
# zkgate replicas), the chaos suite (zkgate replicas behind HAProxy killed, restarted and
# partitioned, with checkers), the ZooKeeper suites again over TLS, the OpenAPI contract
# (openapi-spec-validator, then schemathesis against a live zkgate), HTTP/2 conformance
# (scripts/h2spec.sh: h2spec --strict against a live zkgate, h2c and h2 over TLS; h2spec from
# ../shared/tools), fuzzing.
# The tests get ZKGATE_TEST_ZOOKEEPER (the ensemble's connect string) and
# ZKGATE_ZK_ENSEMBLE_SCRIPT (the script's absolute path, to kill and restart members). An
# ensemble that is already running (a developer's) is reused and left running; one this run
# started is stopped when it ends, pass or fail.
# Usage: scripts/test.sh [swift test options...]
#   scripts/test.sh                      everything
#   scripts/test.sh --filter HTTP1       extra arguments go to `swift test`
# When scripts/fuzz.sh exists it runs afterwards with a 60-second budget (FUZZ_SECONDS
# overrides it; FUZZ_SECONDS=0 skips fuzzing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
START=$SECONDS

section() {
    printf '\n==== %s ====\n' "$*"
}

ZK_ENSEMBLE="$(pwd)/deploy/zk-ensemble.sh"
ZK_STARTED_HERE=0
# Tests that start an ensemble or a topology of their own (Tests/TestSupport) make its folder
# here; whatever a test left running in one (its process died first) is stopped by pid at exit.
# (Short: a topology's HAProxy stats socket lives in it, and a socket path holds 107 bytes.)
ZKGATE_TEST_BACKGROUND_DIR="$(mktemp -d "${TMPDIR:-/tmp}/zkgate-bg.XXXXXX")"
export ZKGATE_TEST_BACKGROUND_DIR

# stop_background: every topology (HAProxy and replicas) and private ensemble left there.
stop_background() {
    local dir
    for dir in "$ZKGATE_TEST_BACKGROUND_DIR"/topology-*/; do
        [[ -d "$dir" ]] && TOPOLOGY_DIR="$dir" bash deploy/topology.sh stop >/dev/null 2>&1 || true
    done
    for dir in "$ZKGATE_TEST_BACKGROUND_DIR"/ensemble-*/zk/; do
        [[ -d "$dir" ]] && ZK_ENSEMBLE_DIR="$dir" bash "$ZK_ENSEMBLE" reset >/dev/null 2>&1 || true
    done
    rm -rf "$ZKGATE_TEST_BACKGROUND_DIR"
}

# On any failure, name the step that failed (the tool's own output is just above). Stop the
# ZooKeeper ensemble if this run started it.
STEP="startup"
on_exit() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        printf '\n==== FAILED: %s (exit %d) ====\n' "$STEP" "$rc" >&2
    fi
    stop_background
    if [[ $ZK_STARTED_HERE -eq 1 ]]; then
        bash "$ZK_ENSEMBLE" stop || true
    fi
}
trap on_exit EXIT

STEP="setup"
section "setup: Debian packages"
bash scripts/setup.sh

STEP="imports"
section "imports: every import declared in Package.swift (scripts/check-imports.sh)"
bash scripts/check-imports.sh

STEP="build"
section "build: swift build --build-tests"
swift build --build-tests

STEP="zookeeper"
section "zookeeper: 3-node ensemble on 127.0.0.1 (deploy/zk-ensemble.sh)"
# status exits 3 when no member runs: only then does this run own (and later stop) the ensemble.
zk_rc=0
bash "$ZK_ENSEMBLE" status >/dev/null || zk_rc=$?
if [[ $zk_rc -eq 3 ]]; then
    ZK_STARTED_HERE=1
fi
zk_t0=$SECONDS
bash "$ZK_ENSEMBLE" start
bash "$ZK_ENSEMBLE" wait
bash "$ZK_ENSEMBLE" status || true   # shown for the log; wait above decides
ZKGATE_TEST_ZOOKEEPER="$(bash "$ZK_ENSEMBLE" connect-string)"
ZKGATE_ZK_ENSEMBLE_SCRIPT="$ZK_ENSEMBLE"
export ZKGATE_TEST_ZOOKEEPER ZKGATE_ZK_ENSEMBLE_SCRIPT
echo "ensemble ready in $((SECONDS - zk_t0)) s ($([[ $ZK_STARTED_HERE -eq 1 ]] && echo "started here, stopped at the end" || echo "already running, left running"))"

STEP="test"
if [[ $# -gt 0 ]]; then
    section "test: swift test $*"
    swift test "$@"
else
    # The route suite runs both backends' route tests at once, with short session timeouts;
    # beside every other suite on two cores its timing-bound checks (and the conformance
    # suite's) could miss their deadlines, so it runs on its own after the rest.
    section "test: swift test, every suite but the routes"
    swift test --skip GatewayAPITests
    STEP="routes"
    section "routes: swift test --filter GatewayAPITests (routes without sockets, both backends)"
    swift test --skip-build --filter GatewayAPITests
fi

# run_alone LABEL SUITE...: each suite on its own, fault tests enabled, and the ensemble
# waited for after it (a suite may leave a member restarting).
run_alone() {
    local label="$1" suite suite_t0
    shift
    for suite in "$@"; do
        suite_t0=$SECONDS
        ZKGATE_FAULT_TESTS=1 swift test --skip-build --filter "$suite"
        bash "$ZK_ENSEMBLE" wait
        echo "$label: $suite in $((SECONDS - suite_t0)) s"
    done
}

# Fault tests kill and restart ensemble members, which would disturb every other suite's
# clients, so they run alone, after the rest (and only in a full run).
if [[ $# -eq 0 ]]; then
    STEP="faults"
    section "faults: ensemble members killed under the client and under zkgate, one suite at a time"
    # One suite at a time: suites run in parallel, and two suites killing members at once
    # would each see the other's faults. V1DoubleFailoverTests kills the leader twice in a
    # row, three times over, under two zkgate replicas (45–60 s). V1ZooKeeperTLSTests runs a
    # TLS-only ensemble of its own per test (ports 9181-9183) and kills its members (60 s).
    run_alone faults EnsembleFaultTests V1ZooKeeperFaultTests V1DoubleFailoverTests V1ZooKeeperTLSTests

    # The chaos suite: zkgate replicas (behind HAProxy, deploy/topology.sh) killed, stopped,
    # frozen and cut off from the ensemble, with checkers that count what was acknowledged and
    # what survived. V1ReplicaAdoptionTests: replicas killed and stopped under a device, its
    # state adopted (about 90 s). V1TopologyTests: a rolling restart and a kill under load
    # (45 s). V1ChaosTests: replicas and members killed under devices holding a fenced lock
    # while a Curator client lists a registration; the compare-and-set counter through a double
    # leader failover and a replica kill; both at once on a 5-member ensemble of its own (ports
    # 7181-7185), two members killed at once, twice (110 s). V1PartitionTests: one replica cut
    # off with iptables (as root; 7 s).
    STEP="chaos"
    section "chaos: zkgate replicas killed, stopped, frozen and partitioned, one suite at a time"
    run_alone chaos V1ReplicaAdoptionTests V1TopologyTests V1ChaosTests V1PartitionTests
fi

# The ZooKeeper-facing suites again, on an ensemble that serves TLS only (deploy/zk-ensemble.sh
# with ZK_TLS=1, its own folder and ports 2281-2283): every client the tests make (zkgate, the
# stores and clients in process, kazoo, Curator) goes through TLS with the ensemble's client
# identity (Tests/TestSupport/EnsembleTLS.swift), so zkgate's nodes carry its ACLs; then the
# member faults under zkgate over TLS.
if [[ $# -eq 0 ]]; then
    STEP="tls"
    section "tls: the conformance and ZooKeeper suites again over TLS, then member faults"
    (
        export ZK_ENSEMBLE_DIR="$ZKGATE_TEST_BACKGROUND_DIR/ensemble-tls/zk" ZK_BASE_PORT=2281 ZK_TLS=1
        bash "$ZK_ENSEMBLE" start
        bash "$ZK_ENSEMBLE" wait
        ZKGATE_TEST_ZOOKEEPER="$(bash "$ZK_ENSEMBLE" connect-string)"
        ZKGATE_TEST_ZOOKEEPER_TLS="$(bash "$ZK_ENSEMBLE" tls)"
        export ZKGATE_TEST_ZOOKEEPER ZKGATE_TEST_ZOOKEEPER_TLS
        suite_t0=$SECONDS
        swift test --skip-build --filter "ConformanceTests|V1ZooKeeperTests|V1CuratorInteropTests"
        echo "tls: suites in $((SECONDS - suite_t0)) s"
        run_alone tls V1ZooKeeperFaultTests
        bash "$ZK_ENSEMBLE" stop
    )
fi

STEP="openapi"
section "openapi: validate the contract, schemathesis against a live zkgate"
bash openapi/check.sh .build/debug/zkgate

STEP="h2spec"
section "h2spec: HTTP/2 conformance, --strict, h2c and h2 over TLS against a live zkgate (scripts/h2spec.sh)"
bash scripts/h2spec.sh .build/debug/zkgate

if [[ -f scripts/fuzz.sh && "$FUZZ_SECONDS" != "0" ]]; then
    STEP="fuzz"
    section "fuzz: scripts/fuzz.sh $FUZZ_SECONDS"
    bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi

section "all steps passed in $((SECONDS - START)) s"
