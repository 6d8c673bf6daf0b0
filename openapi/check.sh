#!/usr/bin/env bash
# Validates openapi/openapi.yaml (openapi-spec-validator) and runs schemathesis with every
# check against a live zkgate started here, then stops it by pid.
#
# /debug/defer and /debug/stream are left out of schemathesis: they wait on purpose (up to a
# minute per call at their documented bounds); the end-to-end tests cover them.
# Usage: openapi/check.sh [path/to/zkgate]   (default: builds and uses .build/debug/zkgate)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-py
if [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    echo "== installing openapi-spec-validator and schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7' 'schemathesis>=4,<5'
fi
echo "== openapi-spec-validator"
"$venv/bin/openapi-spec-validator" openapi/openapi.yaml

binary=${1:-}
if [ -z "$binary" ]; then
    swift build --product zkgate >/dev/null
    binary=.build/debug/zkgate
fi
log=$(mktemp)
"$binary" serve --listen 127.0.0.1:0 --debug-routes --access-log off 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
address=""
for _ in $(seq 1 100); do
    address=$(grep -o 'address=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$address" ] && break
    kill -0 $pid 2>/dev/null || { cat "$log"; echo "zkgate exited before listening" >&2; exit 1; }
    sleep 0.1
done
[ -n "$address" ] || { cat "$log"; echo "zkgate did not start" >&2; exit 1; }
echo "== schemathesis against http://$address"
"$venv/bin/schemathesis" run openapi/openapi.yaml --url "http://$address" --checks all \
    --exclude-path-regex '^/debug/(defer|stream)$' --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" \
    --seed "${SCHEMATHESIS_SEED:-1}" --no-color
