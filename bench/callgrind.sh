#!/usr/bin/env bash
# Instruction counts per request for the HTTP/1.1 hot path, under callgrind: repeatable on a
# noisy machine, unlike wall-clock numbers. Usage: bench/callgrind.sh [REQUESTS] [PATH]
# A PATH under /v1/nodes/ is created first (15 bytes of data) so the GET finds a node.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-20000}
path=${2:-/healthz}
port=${PORT:-18193}
out=$(mktemp -d)
swift build -c release --product zkgate >/dev/null
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; symbols alone are enough here.
strip --strip-debug -o "$out/zkgate" .build/release/zkgate
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$out/zkgate" serve --listen "127.0.0.1:$port" \
    --threads 1 --access-log off --data-dir "$out/data" >"$out/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 60); do grep -q listening "$out/log" && break; sleep 0.5; done
case "$path" in
/v1/nodes/*)
    curl -s -o /dev/null -X PUT --json '{"data":"{\"on\":true}ab"}' "http://127.0.0.1:$port${path}?parents=true" ;;
esac
python3 bench/keepalive_client.py 127.0.0.1 "$port" "$path" "$requests" 8 >/dev/null
kill -INT $pid
wait $pid || true
callgrind_annotate --inclusive=yes "$out/cg.out" >"$out/inclusive.txt" 2>/dev/null
handle=$(awk '/HTTP1ConnectionC12handleEvents/ {gsub(",","",$1); print $1; exit}' "$out/inclusive.txt")
echo "requests: $requests"
echo "instructions in HTTP1Connection.handleEvents: $handle"
echo "instructions per request: $((handle / requests))"
if [ -n "${VERBOSE:-}" ]; then callgrind_annotate "$out/cg.out" 2>/dev/null | head -60 || true; fi
