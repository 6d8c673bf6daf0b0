#!/usr/bin/env bash
# Validates openapi/openapi.yaml (openapi-spec-validator) and runs schemathesis with every
# check against a live zkgate started here, then stops it by pid.
#
# /debug/defer and /debug/stream are left out of schemathesis: they wait on purpose (up to a
# minute per call at their documented bounds); the end-to-end tests cover them. The
# positive_data_acceptance check is left out: most answers here depend on state (a node or a
# session that exists or not, a version that matches or not), so a request that fits the
# schema may rightly be refused; every other check runs. Long-polls are capped at 0.2 s
# (--max-wait) so that generated waits do not stall the run.
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
data=$(mktemp -d)
"$binary" serve --listen 127.0.0.1:0 --debug-routes --access-log off --data-dir "$data" --max-wait 0.2 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$log" "$data"' EXIT
address=""
for _ in $(seq 1 100); do
    address=$(grep -o 'address=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$address" ] && break
    kill -0 $pid 2>/dev/null || { cat "$log"; echo "zkgate exited before listening" >&2; exit 1; }
    sleep 0.1
done
[ -n "$address" ] || { cat "$log"; echo "zkgate did not start" >&2; exit 1; }
echo "== schemathesis against http://$address"
"$venv/bin/schemathesis" --config-file openapi/schemathesis.toml run openapi/openapi.yaml --url "http://$address" --checks all \
    --exclude-checks positive_data_acceptance \
    --exclude-path-regex '^/debug/(defer|stream)$' --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" \
    --seed "${SCHEMATHESIS_SEED:-1}" --no-color
