#!/usr/bin/env bash
# bench/hostile-json.sh — /healthz latency while clients send hostile 1 MiB JSON bodies.
#
# Why: a body whose parsing is expensive (many keys, deep nesting, long escaped strings) must
# cost its sender, not everyone else on the event loop. This measures GET /healthz on one
# keep-alive connection first alone (the baseline) and then while HOSTILE clients each post
# such bodies in a loop, in the same run against the same release binary, and prints the
# p50 and p99 of both and their ratio. Goal: p99 under hostile load ≤ 5 ms. A benchmark,
# never a timed test: not part of scripts/test.sh or CI.
#
# Usage: bench/hostile-json.sh [SECONDS] [HOSTILE]      (defaults: 10 s, 4 clients)
#   PORT [18194]  THREADS [2] (zkgate serve --threads)  ZKGATE_BIN: use this binary
# Every process it starts is stopped by pid when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
hostile=${2:-4}
port=${PORT:-18194}
threads=${THREADS:-2}
out=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$out"
}
trap cleanup EXIT

bin=${ZKGATE_BIN:-}
if [[ -z "$bin" ]]; then
    swift build -c release --product zkgate >/dev/null
    bin=.build/release/zkgate
fi
"$bin" serve --listen "127.0.0.1:$port" --threads "$threads" --access-log off --data-dir "$out/data" >"$out/log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do grep -q listening "$out/log" && break; sleep 0.5; done

cat >"$out/bench.py" <<'EOF'
import json, socket, statistics, sys, threading, time

host, port, seconds, hostile = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
MiB = 1 << 20

def shapes():
    """1 MiB bodies of the worst shapes, each a PUT of a service instance's payload."""
    keys = "{" + ",".join(f'"k{i}":{i}' for i in range(90_000)) + "}"
    keys = keys if len(keys) < MiB - 200 else "{" + ",".join(f'"k{i}":{i}' for i in range(70_000)) + "}"
    deep = "[" * 100_000 + "]" * 100_000
    escaped = '"' + "\\u00e9\\n" * 120_000 + '"'
    numbers = "[" + ",".join("1.5e3" for _ in range(170_000)) + "]"
    out = []
    for name, payload in [("keys", keys), ("deep", deep), ("escaped", escaped), ("numbers", numbers)]:
        body = ('{"session":"0000000000000001","address":"10.0.0.1","port":80,"payload":' + payload + "}").encode()
        out.append((name, body[: MiB - 1] if len(body) >= MiB else body))
    return out

def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return head.split(b" ")[1], rest[length:]

def latencies(duration):
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    buf, samples, end = b"", [], time.monotonic() + duration
    while time.monotonic() < end:
        t0 = time.perf_counter()
        sock.sendall(request)
        status, buf = read_response(sock, buf)
        samples.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.002)
    sock.close()
    return samples

stop = threading.Event()
sent = [0] * hostile
statuses = {}

def attacker(n, bodies):
    i = n
    while not stop.is_set():
        name, body = bodies[i % len(bodies)]
        i += 1
        try:
            sock = socket.create_connection((host, port))
            sock.sendall(f"PUT /v1/services/s/i HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            status, _ = read_response(sock, b"")
            statuses[(name, status)] = statuses.get((name, status), 0) + 1
            sock.close()
            sent[n] += 1
        except OSError:
            time.sleep(0.01)

def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]

bodies = shapes()
baseline = latencies(seconds)
threads = [threading.Thread(target=attacker, args=(n, bodies), daemon=True) for n in range(hostile)]
for t in threads:
    t.start()
time.sleep(0.5)
loaded = latencies(seconds)
stop.set()
for t in threads:
    t.join(timeout=60)
print(f"hostile clients: {hostile}, bodies sent: {sum(sent)} "
      f"({', '.join(f'{n} {s.decode()}: {c}' for (n, s), c in sorted(statuses.items()))})")
for name, s in [("alone", baseline), ("hostile", loaded)]:
    print(f"/healthz {name}: n={len(s)} p50={statistics.median(s):.3f} ms p99={pct(s, 0.99):.3f} ms max={max(s):.3f} ms")
print(f"p99 ratio hostile/alone: {pct(loaded, 0.99) / pct(baseline, 0.99):.2f}")
print(f"goal: p99 under hostile load <= 5 ms: {'met' if pct(loaded, 0.99) <= 5 else 'NOT met'} ({pct(loaded, 0.99):.3f} ms)")
EOF
python3 "$out/bench.py" 127.0.0.1 "$port" "$seconds" "$hostile"
