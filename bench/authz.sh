#!/usr/bin/env bash
# PrincipalRules.decide on a 1,000-grant policy (bench/AuthzBench): ns/decision from a release
# build, and, when valgrind is installed, instructions per decision under callgrind (repeatable
# on a noisy machine): the difference between runs of N and 2N decisions, divided by N, so the
# policy's parsing and compilation cancel out. Usage: bench/authz.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
swift build -c release --product authz-bench >/dev/null
.build/release/authz-bench
command -v valgrind >/dev/null || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; symbols alone are enough here.
strip --strip-debug -o "$out/authz-bench" .build/release/authz-bench
count() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" "$out/authz-bench" "$1" >/dev/null 2>"$out/log.$1"
    awk '/Collected/ {print $NF}' "$out/log.$1"
}
one=$(count "$n")
two=$(count $((2 * n)))
echo "instructions per decision: $(((two - one) / n))"
