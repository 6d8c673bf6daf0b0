#!/usr/bin/env bash
# scripts/h2spec.sh — HTTP/2 conformance of the real binary: h2spec --strict (every MUST and
# SHOULD of RFC 9113 and RFC 7541 it knows) against h2c with prior knowledge on the plain
# listener, then h2 by ALPN on the TLS listener.
#
# Why: nghttp2 decodes the frames, but what reaches the server's own code (stream order,
# header limits, the preface, GOAWAY and closing) is checked here the way other
# implementations are judged; any failed case fails the run.
#
# zkgate runs with a temporary data folder, free ports, and a throwaway certificate made here
# with openssl, and is stopped by pid at the end. h2spec is a third-party tool kept beside the
# repository, at ../shared/tools/h2spec (H2SPEC overrides the path).
# Usage: scripts/h2spec.sh [path/to/zkgate]   (default: .build/debug/zkgate)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

h2spec=${H2SPEC:-../shared/tools/h2spec}
if [ ! -x "$h2spec" ]; then
    echo "h2spec not found at $h2spec (expected ../shared/tools/h2spec beside the repository; set H2SPEC to its path)" >&2
    exit 1
fi
binary=${1:-.build/debug/zkgate}
[ -x "$binary" ] || { echo "no zkgate binary at $binary: build it first (swift build)" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

"$binary" serve --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
    --access-log off --data-dir "$work/data" 2>"$work/log" &
pid=$!
plain=""
tls=""
for _ in $(seq 1 100); do
    plain=$(grep -o ' address=[0-9.]*:[0-9]*' "$work/log" | head -1 | sed 's/.*://' || true)
    tls=$(grep -o 'tlsAddress=[0-9.]*:[0-9]*' "$work/log" | head -1 | sed 's/.*://' || true)
    [ -n "$plain" ] && [ -n "$tls" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/log"; echo "zkgate exited before listening" >&2; exit 1; }
    sleep 0.1
done
[ -n "$plain" ] && [ -n "$tls" ] || { cat "$work/log"; echo "zkgate did not start" >&2; exit 1; }

failed=0
run() {
    local name=$1
    shift
    echo "== h2spec --strict, $name"
    if "$h2spec" --strict --timeout 2 -h 127.0.0.1 "$@" >"$work/out" 2>&1; then
        tail -1 "$work/out"
    else
        # The failures and the summary: the whole report is long.
        sed -n '/^Failures:/,$p' "$work/out"
        grep -q 'tests, ' "$work/out" || cat "$work/out"
        failed=1
    fi
}
run "h2c with prior knowledge (port $plain)" -p "$plain"
run "h2 over TLS (port $tls)" -p "$tls" -t -k
exit $failed
