#!/usr/bin/env bash
# Instructions per woken long-poll, under callgrind: what one change costs the loop for each
# request parked on it, repeatable on a noisy machine, unlike wall-clock numbers.
# Usage: bench/callgrind-wakeup.sh [WAITERS] [ROUNDS]
# Each round parks WAITERS keep-alive GETs of /v1/nodes/w?index=<current>&wait=30s, waits
# until zkgate_http_parked_requests says all are parked, then one PUT of the node wakes them
# all. Counted: the inclusive instructions of LoopState.apply, the pass on the loop that
# applies a change batch, wakes the parked requests, renders and writes their answers,
# divided by WAITERS*ROUNDS. ParkingLot.wake, inside it, is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
waiters=${1:-200}
rounds=${2:-20}
port=${PORT:-18194}
out=$(mktemp -d)
swift build -c release --product zkgate >/dev/null
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; symbols alone are enough here.
strip --strip-debug -o "$out/zkgate" .build/release/zkgate
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$out/zkgate" serve --listen "127.0.0.1:$port" \
    --threads 1 --access-log off --max-parked $((waiters * 2 + 100)) --data-dir "$out/data" >"$out/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 60); do grep -q listening "$out/log" && break; sleep 0.5; done
curl -sf -o /dev/null -X PUT --json '{"data":"start"}' "http://127.0.0.1:$port/v1/nodes/w?parents=true"
python3 - 127.0.0.1 "$port" /v1/nodes/w "$waiters" "$rounds" <<'PY'
"""Parks WAITERS keep-alive long-polls on one node, waits until the server reports them all
parked, then writes the node once so that one change wakes them all; ROUNDS times. Every
answer must carry the write's index: a long-poll that timed out instead would show the old one.

Arguments: HOST PORT PATH WAITERS ROUNDS"""
import socket
import sys
import time


def read_answer(s, buf):
    """Reads one whole answer (Content-Length framed) from s; returns (status, headers, body, rest)."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            lines = buf[:end].split(b"\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower().decode()] = value.strip().decode()
            length = int(headers.get("content-length", "0"))
            if len(buf) >= end + 4 + length:
                return status, headers, buf[end + 4:end + 4 + length], buf[end + 4 + length:]
        data = s.recv(65536)
        if not data:
            raise SystemExit("server closed a connection")
        buf += data


def connect(host, port):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def call(s, host, port, method, target, body=b""):
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    s.sendall(head.encode() + b"\r\n" + body)
    status, headers, payload, rest = read_answer(s, b"")
    if rest:
        raise SystemExit(f"unexpected bytes after the answer to {method} {target}")
    return status, headers, payload


def parked(s, host, port):
    status, _, body = call(s, host, port, "GET", "/metrics")
    if status != 200:
        raise SystemExit(f"GET /metrics answered {status}")
    for line in body.decode().splitlines():
        if line.startswith("zkgate_http_parked_requests "):
            return int(line.split()[1])
    raise SystemExit("no zkgate_http_parked_requests in GET /metrics")


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    waiters, rounds = int(sys.argv[4]), int(sys.argv[5])
    control = connect(host, port)
    status, headers, _ = call(control, host, port, "GET", path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}")
    index = int(headers["zkgate-index"])
    conns = [connect(host, port) for _ in range(waiters)]
    woken = 0
    for r in range(rounds):
        request = f"GET {path}?index={index}&wait=30s HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
        for s in conns:
            s.sendall(request)
        deadline = time.monotonic() + 25
        while (n := parked(control, host, port)) != waiters:
            if time.monotonic() > deadline:
                raise SystemExit(f"round {r}: {n} of {waiters} parked")
            time.sleep(0.05)
        body = f'{{"data":"round {r}"}}'.encode()
        status, headers, _ = call(control, host, port, "PUT", path, body)
        if status // 100 != 2:
            raise SystemExit(f"PUT {path} answered {status}")
        written = int(headers["zkgate-index"])
        for s in conns:
            status, headers, _, rest = read_answer(s, b"")
            if status != 200 or rest:
                raise SystemExit(f"round {r}: a long-poll answered {status}")
            if int(headers["zkgate-index"]) < written:
                raise SystemExit(f"round {r}: a long-poll answered index {headers['zkgate-index']} before the write's {written}")
            woken += 1
        index = written
    print(f"{woken} woken")


if __name__ == "__main__":
    main()
PY
kill -INT $pid
wait $pid || true
callgrind_annotate --inclusive=yes "$out/cg.out" >"$out/inclusive.txt" 2>/dev/null
# The first line naming the symbol is the function itself (specialisations and closures follow).
count() { awk -v pat="$1" '$0 ~ pat {gsub(",","",$1); print $1; exit}' "$out/inclusive.txt"; }
apply=$(count 'LoopStateC5applyyy12Coordination11ChangeBatchVF ')
wake=$(count 'ParkingLotC4wakeyyxFAA7WaitKeyV_Tg5 ')
woken=$((waiters * rounds))
echo "waiters: $waiters"
echo "rounds: $rounds"
echo "instructions in LoopState.apply: $apply"
echo "instructions per woken request: $((apply / woken))"
echo "instructions in ParkingLot.wake: ${wake:-?} ($(( ${wake:-0} / woken )) per woken request)"
if [ -n "${VERBOSE:-}" ]; then grep -E 'LoopState|ParkingLot' "$out/inclusive.txt" | head -40 || true; fi
