#!/usr/bin/env bash
# What each way of proving identity costs: ns per SHA-256, per bearer-token lookup, per JWT
# verification (ES256, RS256, EdDSA) and per verified-token cache hit; then the instructions of
# one cache hit under callgrind (repeatable on a noisy machine, unlike the times).
# Usage: bench/credentials.sh [HITS]   (needs python3 with the cryptography package, valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
hits=${1:-200000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swift build -c release --product credentials-bench >/dev/null
.build/release/credentials-bench
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; symbols alone are enough here.
strip --strip-debug -o "$out/credentials-bench" .build/release/credentials-bench
count() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1.$2" "$out/credentials-bench" "$1" "$2" >/dev/null 2>&1
    awk '/^summary:/ {print $2; exit}' "$out/cg.$1.$2"
}
base=$(count hits 0)
hit=$(( ($(count hits "$hits") - base) / hits ))
hash=$(( ($(count hashes "$hits") - base) / hits ))
# valgrind hides the SHA extensions from OpenSSL's CPU detection, so the digest runs on the
# scalar code path here: most of a hit's instructions, where the real CPU spends far fewer.
echo "cache hit under callgrind: $hit instructions, of which SHA-256 of the token $hash ($hits hits)"
