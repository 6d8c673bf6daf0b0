#!/usr/bin/env bash
# Validates openapi/openapi.yaml (openapi-spec-validator) and runs schemathesis with every
# check against a live zkgate started here, twice: open (no policy), then under an access
# policy; each server is stopped by pid.
#
# /debug/defer and /debug/stream are left out of schemathesis: they wait on purpose (up to a
# minute per call at their documented bounds); the end-to-end tests cover them. The
# positive_data_acceptance check is left out: most answers here depend on state (a node or a
# session that exists or not, a version that matches or not), so a request that fits the
# schema may rightly be refused; every other check runs. Long-polls are capped at 0.2 s
# (--max-wait) so that generated waits do not stall the run.
#
# The second run (--auth-policy) sends a bearer token granted every permission but admin on
# /**: requests are authenticated and decided on every route, the sessions the run opens are
# owned by the token and used by it, and the refusals it meets are checked against the
# document: 403 forbidden for a recursive delete of the root (the internal subtrees are below
# it) and for reads of /zkgate (admin only), for /debug (admin), and for device sessions the
# token did not open (schemathesis sends random ones). It warns that some operations answered
# only 403: they are those. Fewer examples per operation
# (SCHEMATHESIS_POLICY_EXAMPLES, default 20) keep it to about half a minute.
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
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# serve NAME [serve options...]: starts zkgate on a free port with its own data folder and
# sets $address once it listens.
serve() {
    local name=$1
    shift
    "$binary" serve --listen 127.0.0.1:0 --debug-routes --access-log off --data-dir "$work/$name-data" --max-wait 0.2 \
        "$@" 2>"$work/$name.log" &
    local pid=$!
    pids+=("$pid")
    address=""
    for _ in $(seq 1 100); do
        address=$(grep -o 'address=[0-9.:]*' "$work/$name.log" | head -1 | cut -d= -f2 || true)
        [ -n "$address" ] && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$work/$name.log"; echo "zkgate exited before listening" >&2; exit 1; }
        sleep 0.1
    done
    cat "$work/$name.log"
    echo "zkgate did not start" >&2
    exit 1
}

# schemathesis_run URL EXAMPLES [schemathesis options...]
schemathesis_run() {
    local url=$1 examples=$2
    shift 2
    "$venv/bin/schemathesis" --config-file openapi/schemathesis.toml run openapi/openapi.yaml --url "$url" --checks all \
        --exclude-checks positive_data_acceptance \
        --exclude-path-regex '^/debug/(defer|stream)$' --max-examples "$examples" \
        --seed "${SCHEMATHESIS_SEED:-1}" --no-color "$@"
}

serve open
echo "== schemathesis against http://$address (no policy)"
schemathesis_run "http://$address" "${SCHEMATHESIS_EXAMPLES:-100}"

token=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
digest=$(printf '%s' "$token" | "$binary" auth hash-token)
cat >"$work/policy.json" <<EOF
{"tokens": [{"id": "check", "sha256": "$digest"}],
 "grants": [{"who": ["token:check"], "allow": ["read", "write", "lock", "elect", "register"], "paths": ["/**"]}]}
EOF
serve policy --auth-policy "$work/policy.json"
echo "== schemathesis against http://$address (--auth-policy, as token:check)"
schemathesis_run "http://$address" "${SCHEMATHESIS_POLICY_EXAMPLES:-20}" -H "Authorization: Bearer $token"
