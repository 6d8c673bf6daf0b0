#!/usr/bin/env bash
# Instructions per request of a cached node GET under an access policy, under callgrind
# (repeatable on a noisy machine, unlike wall-clock rates): instructions inclusive in
# HTTP1Connection.handleEvents (only there is anything counted) per keep-alive GET of
# /v1/nodes/bench/cfg (bench/keepalive_client.py, 8 connections, one loop, embedded store).
# Each server gets REQUESTS GETs, its counts are dumped (callgrind_control -d), then REQUESTS
# more: "first" is the first batch, with what a principal's first request costs (its rules
# compiled from the policy, a JWT verified); "steady" is the second. Three servers, one after
# the other:
#   open     no policy (the bearer token is sent and ignored)
#   token    --auth-policy of 1,000 grants (bench/authz_fixture.py), Authorization: Bearer with
#            a token of the policy (token:bench, allowed by grant 995)
#   jwt      the same policy and --auth-jwks, Authorization: Bearer with an ES256 JWT
#            (jwt:bench-device, allowed by the same grant); key and JWKS made by Python's
#            cryptography for this run only
# For each: heap allocations per steady request (calls of malloc, OpenSSL's included) and the
# calls of EVP_DigestVerify (OpenSSL's signature check, the one a JWT's verification makes)
# over all 2 × REQUESTS requests: a JWT device's requests must cost one, not one per request.
# Usage: bench/callgrind-authz.sh [REQUESTS]
# Environment: ZKGATE_BIN (use this binary instead of building one), PORT [18194],
#   VERBOSE=1 (also each policy run's steady instructions by function, per request: inclusive
#   for the access-control functions, then callgrind_annotate's exclusive list), KEEP=1 (keep
#   the callgrind files; their folder is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-20000}
port=${PORT:-18194}
out=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "callgrind files: $out"; else rm -rf "$out"; fi
}
trap cleanup EXIT
if [ -n "${ZKGATE_BIN:-}" ]; then
    bin=$ZKGATE_BIN
else
    swift build -c release --product zkgate >/dev/null
    bin=.build/release/zkgate
fi
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; symbols alone are enough here.
strip --strip-debug -o "$out/zkgate" "$bin"

# Tokens of this run only; the policy holds their digests.
bench_token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
ops_token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
python3 bench/authz_fixture.py policy "$out/policy.json" \
    "$(printf '%s' "$ops_token" | "$bin" auth hash-token)" "$(printf '%s' "$bench_token" | "$bin" auth hash-token)"
jwt=$(python3 bench/authz_fixture.py jwt "$out/jwks.json")

# calls FUNCTION CALLER_TREE: how many times FUNCTION was called, from callgrind_annotate
# --tree=caller: the "(Nx)" of each caller line ("<") above the function's own line ("*"), summed.
calls() {
    awk -v f="$1" '
        / < / { if (match($0, /\(([0-9,]+)x\)/)) { n = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", n); pending += n }; next }
        / \* / { split($0, parts, " \\* +"); name = parts[2]; sub(/ .*/, "", name); sub(/^.*:/, "", name); if (name == f) total += pending }
        { pending = 0 }
        END { print total + 0 }' "$2"
}

# handle_events FILE: instructions inclusive in HTTP1Connection.handleEvents.
handle_events() {
    callgrind_annotate --threshold=100 --inclusive=yes "$1" 2>/dev/null \
        | awk '/HTTP1ConnectionC12handleEvents/ && !found {gsub(",","",$1); print $1; found = 1}'
}

# get NAME TOKEN: REQUESTS GETs with TOKEN, every answer a 200.
get() {
    python3 bench/keepalive_client.py -H "Authorization: Bearer $2" 127.0.0.1 "$port" \
        /v1/nodes/bench/cfg "$requests" 8 >"$out/client.$1"
    grep -qx "status 200: $requests" "$out/client.$1" \
        || { echo "$1: not every answer was 200: $(tail -n 1 "$out/client.$1")" >&2; exit 1; }
}

# run CASE TOKEN [serve args...]: one server under callgrind; sets FIRST and STEADY
# (instructions per request), MALLOCS (per steady request) and VERIFICATIONS (in all).
run() {
    local name=$1 token=$2 auth=()
    shift 2
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$name" \
        --toggle-collect='$s10HTTPServer15HTTP1ConnectionC12handleEvents*' "$out/zkgate" serve \
        --listen "127.0.0.1:$port" --threads 1 --access-log off --data-dir "$out/data-$name" "$@" \
        >"$out/log.$name" 2>&1 &
    pid=$!
    for _ in $(seq 1 120); do grep -qs listening "$out/log.$name" && break; sleep 0.5; done
    grep -qs listening "$out/log.$name" || { cat "$out/log.$name" >&2; echo "$name: the server did not start" >&2; exit 1; }
    [ "$name" = open ] || auth=(-H "Authorization: Bearer $ops_token")
    curl -sS -o /dev/null --fail -X PUT "${auth[@]}" --json '{"data":"{\"on\":true}ab"}' \
        "http://127.0.0.1:$port/v1/nodes/bench/cfg?parents=true"
    get "$name" "$token"
    callgrind_control -d "$pid" >/dev/null 2>&1   # the first batch goes to cg.NAME.1
    get "$name" "$token"
    kill -INT "$pid"
    wait "$pid" || true
    pid=""
    FIRST=$(($(handle_events "$out/cg.$name.1") / requests))
    STEADY=$(($(handle_events "$out/cg.$name") / requests))
    callgrind_annotate --threshold=100 --tree=caller "$out/cg.$name.1" >"$out/callers.$name.1" 2>/dev/null
    callgrind_annotate --threshold=100 --tree=caller "$out/cg.$name" >"$out/callers.$name" 2>/dev/null
    VERIFICATIONS=$(($(calls EVP_DigestVerify "$out/callers.$name.1") + $(calls EVP_DigestVerify "$out/callers.$name")))
    MALLOCS=$(awk -v n="$(calls malloc "$out/callers.$name")" -v r="$requests" 'BEGIN { printf "%.1f", n / r }')
}

row_format='%-38s %14s %8s %13s %11s %18s\n'
row() { # row LABEL: the last run's figures, against the open server's steady count
    printf "$row_format" "$1" "$STEADY" "$(awk -v a="$STEADY" -v b="$open" 'BEGIN { printf "%.3f", a / b }')" \
        "$FIRST" "$MALLOCS" "$VERIFICATIONS"
}
echo "requests: 2 x $requests GETs of /v1/nodes/bench/cfg, 8 keep-alive connections, one loop"
echo "policy: 1,000 grants, 202 tokens; the GET allowed by grant 995"
printf "$row_format" case 'steady instr/req' 'vs open' 'first instr/req' 'malloc/req' 'EVP_DigestVerify'
run open "$bench_token"
open=$STEADY
row 'open (no policy)'
run token "$bench_token" --auth-policy "$out/policy.json"
row 'policy, bearer token (token:bench)'
run jwt "$jwt" --auth-policy "$out/policy.json" --auth-jwks "$out/jwks.json"
row 'policy, ES256 JWT (jwt:bench-device)'
callgrind_annotate --threshold=100 --inclusive=yes "$out/cg.jwt.1" >"$out/inclusive.jwt.1" 2>/dev/null
verify_cost=$(awk '/:EVP_DigestVerify / && !found {gsub(",","",$1); print $1; found = 1}' "$out/inclusive.jwt.1")
echo "signature verifications for $((2 * requests)) requests with one JWT: $VERIFICATIONS (goal: 1), ${verify_cost:-?} instructions"

if [ -n "${VERBOSE:-}" ]; then
    for name in token jwt; do
        echo
        echo "== $name: access control, steady inclusive instructions per request =="
        callgrind_annotate --threshold=100 --inclusive=yes "$out/cg.$name" 2>/dev/null | swift demangle --simplified \
            | awk -v n="$requests" '
            /Gateway\.admit|authenticate|bearerToken|looksLikeJWT|BearerTokens\.identify|SHA256\.hash|VerifiedTokenCache|LoopAccess|Gateway\.refusal|PrincipalRules\.decide|Principal\.init|Principal\.description|Route\.paths|internalRefusal|namedSessions|Hasher|swift_allocObject|malloc / {
                count = $1; gsub(",", "", count); if (count / n < 5) next
                line = $0; sub(/^ *[0-9,]+ +\([^)]*\) +/, "", line); sub(/^ *[0-9,]+ +/, "", line)
                printf "%8.0f  %s\n", count / n, substr(line, 1, 150) }' | head -40
        # Frames active when the counts were dumped show at 100%: left out.
        echo "== $name: steady exclusive instructions per request (callgrind_annotate) =="
        callgrind_annotate --threshold=100 "$out/cg.$name" 2>/dev/null | sed -n '/^Ir  *file:function/,$p' \
            | grep '%)' | grep -v '(100.0%)' | swift demangle --simplified | awk -v n="$requests" '{
                count = $1; gsub(",", "", count)
                line = $0; sub(/^ *[0-9,]+ +\([^)]*\) +/, "", line)
                printf "%8.0f  %s\n", count / n, substr(line, 1, 150) }' | head -40
    done
fi
