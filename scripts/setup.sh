#!/usr/bin/env bash
# scripts/setup.sh — install the Debian packages that zkgate's build, tests and tools need.
#
# Why: every machine (a developer's, CI's fresh clone) starts from a base image, and anything
# installed by hand is gone on the next one. This script is the one place that knows which
# Debian packages the project needs; scripts/run.sh, scripts/test.sh, .ci/run and the
# benchmarks call it first.
#
# It is idempotent and cheap when nothing is missing: each package is checked with
# dpkg-query, and `apt-get update` plus `apt-get install` run only for what is absent, so a
# second run needs no network and takes well under a second.
#
# Usage:
#   scripts/setup.sh            packages for building and testing
#   scripts/setup.sh --run      only what building and running zkgate needs (scripts/run.sh)
#   scripts/setup.sh --bench    also the benchmark peers and load generator (wrk, nginx)
#
# Python test tools (kazoo) go into the project's venv .build-py with pip, also only when
# missing or at another version.
#
# To add a package: append it to one of the lists below (BUILD_PACKAGES to build and run,
# BASE_PACKAGES for tests,
# BENCH_PACKAGES for benchmarks, PYTHON_PACKAGES for pip). Nothing else needs to change.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Relative paths below (the Python venv) are from the repository root, wherever this is run.
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
cd "$(dirname "$SELF")/.."

# --- package lists ---------------------------------------------------------------------------
# Build (all scripts/run.sh needs): HTTP/2 (nghttp2) and TLS (OpenSSL) headers for the C
# system-library modules, and pkg-config so SwiftPM finds them.
BUILD_PACKAGES=(
    libnghttp2-dev
    libssl-dev
    pkg-config
)

# Test: curl for end-to-end checks, a real ZooKeeper 3.8 with its Java runtime for the 3-node
# test ensemble (deploy/zk-ensemble.sh), and Apache Curator 5.4 with a Java compiler for the
# interoperability peer (Tests/Interop/curator), which the tests compile on first use.
BASE_PACKAGES=(
    curl
    zookeeper                 # Debian's 3.8.0: the jars and zkCli.sh; its service is not used
    openjdk-17-jre-headless   # runs ZooKeeper and the Curator peer
    openjdk-17-jdk-headless   # javac, for the Curator peer
    libcurator-recipes-java   # InterProcessMutex, LeaderLatch (pulls curator-framework/client, guava)
    libcurator-discovery-java # ServiceDiscovery (pulls jackson-databind)
    libslf4j-java             # slf4j-nop.jar: keeps Curator's log off the peer's stdout protocol
    nghttp2-client            # nghttp and h2load: HTTP/2 clients of the end-to-end tests
    haproxy                   # the load balancer of deploy/topology.sh and its rolling-restart test
    iptables                  # cuts one replica off from the ensemble in the partition test
    openssl                   # the TLS ensemble's certificates (deploy/zk-ensemble.sh, ZK_TLS=1)
)

# Python packages for the tests, installed with pip into the project's venv (.build-py, the
# one openapi/check.sh uses for schemathesis), pinned so every machine gets the same code.
# kazoo: the Python ZooKeeper client of the cross-check tests.
PYTHON_VENV=.build-py
PYTHON_PACKAGES=(
    kazoo==2.10.0
)

# Benchmarks only (scripts/setup.sh --bench): the load generator and the HTTP peer.
BENCH_PACKAGES=(
    wrk
    nginx-light
    etcd-server   # bench/v1.sh: etcd's v2 HTTP API, the long-poll and GET peer
    nghttp2-server # nghttpd: the HTTP/2 peer
)

# --- helpers ---------------------------------------------------------------------------------
log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"
}

# is_installed PKG: true when dpkg knows PKG as fully installed.
is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

# MISSING collects every requested package that is not installed yet.
MISSING=()
# want PKG...: request packages; only the absent ones are queued for installation.
want() {
    local pkg
    for pkg in "$@"; do
        if ! is_installed "$pkg"; then
            MISSING+=("$pkg")
        fi
    done
}

# Commands that need root: run directly as root, through sudo otherwise (non-interactively
# when there is no terminal, so CI fails fast instead of waiting for a password).
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        if [[ -t 0 ]]; then SUDO=(sudo); else SUDO=(sudo -n); fi
    fi
fi

# as_root CMD...: run a command with root rights, its output going to $APT_LOG.
as_root() {
    "${SUDO[@]}" "$@" >>"$APT_LOG" 2>&1
}

install_missing() {
    if [[ "$(id -u)" -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
        die "need root to install: ${MISSING[*]} (not root, and sudo is not available)"
    fi
    APT_LOG="$(mktemp -t zkgate-setup.XXXXXX.log)"
    # Wait for another apt/dpkg run (another script, another engineer) instead of failing.
    local apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
    log "installing: ${MISSING[*]}"
    if ! as_root apt-get "${apt_opts[@]}" -qq update; then
        tail -n 30 "$APT_LOG" >&2 || true
        die "apt-get update failed (full log: $APT_LOG)"
    fi
    if ! as_root apt-get "${apt_opts[@]}" -qq -y --no-install-recommends install "${MISSING[@]}"; then
        tail -n 30 "$APT_LOG" >&2 || true
        die "apt-get install ${MISSING[*]} failed (full log: $APT_LOG)"
    fi
    # Confirm, rather than trust apt's exit code.
    local pkg
    for pkg in "${MISSING[@]}"; do
        is_installed "$pkg" || die "$pkg is still not installed after apt-get (log: $APT_LOG)"
    done
    rm -f "$APT_LOG"
    log "installed ${#MISSING[@]} package(s)"
}

# --- main ------------------------------------------------------------------------------------
BENCH=0
RUN_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --bench) BENCH=1 ;;
        --run) RUN_ONLY=1 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $arg (try --help)" ;;
    esac
done

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script expects Debian (12, bookworm)"

want "${BUILD_PACKAGES[@]}"
if [[ "$RUN_ONLY" -eq 0 ]]; then
    want "${BASE_PACKAGES[@]}"
    # python3 -m venv needs ensurepip, which Debian ships separately in python3-venv; a python3
    # that has it already (e.g. a pyenv build) needs nothing.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        want python3 python3-venv
    fi
fi
if [[ "$BENCH" -eq 1 ]]; then
    want "${BENCH_PACKAGES[@]}"
fi

if [[ ${#MISSING[@]} -eq 0 ]]; then
    log "all required packages are installed; nothing to do"
else
    install_missing
fi

# Python packages: each NAME==VERSION is checked against the venv's installed metadata, and pip
# runs only when one is missing or at another version (so a second run needs no network).
PY_MISSING=()
if [[ "$RUN_ONLY" -eq 1 ]]; then
    :   # the test tools are not needed to run zkgate
elif [[ -x "$PYTHON_VENV/bin/python" ]]; then
    for spec in "${PYTHON_PACKAGES[@]}"; do
        if ! "$PYTHON_VENV/bin/python" -c 'import importlib.metadata as m, sys
name, version = sys.argv[1].split("==")
sys.exit(0 if m.version(name) == version else 1)' "$spec" >/dev/null 2>&1; then
            PY_MISSING+=("$spec")
        fi
    done
else
    PY_MISSING=("${PYTHON_PACKAGES[@]}")
fi
if [[ ${#PY_MISSING[@]} -gt 0 ]]; then
    log "installing into $PYTHON_VENV: ${PY_MISSING[*]}"
    python3 -m venv "$PYTHON_VENV" || die "python3 -m venv $PYTHON_VENV failed"
    PIP_LOG="$(mktemp -t zkgate-setup-pip.XXXXXX.log)"
    if ! "$PYTHON_VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_MISSING[@]}" >"$PIP_LOG" 2>&1; then
        tail -n 30 "$PIP_LOG" >&2 || true
        die "pip install ${PY_MISSING[*]} failed (full log: $PIP_LOG)"
    fi
    rm -f "$PIP_LOG"
fi

# The Swift toolchain does not come from apt; say so clearly if it is absent.
if ! command -v swift >/dev/null 2>&1; then
    die "swift not found on PATH: install a Swift 6 toolchain (this project expects /opt/swift)"
fi
