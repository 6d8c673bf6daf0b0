#!/usr/bin/env python3
"""bench/longpoll.py — park N long-polls on one node, measure the server's memory per parked
request, then one write and the time until every poller has its answer (fan-out latency).

Why: a coordination gateway's clients mostly wait. What a waiting client costs the server in
memory, and how fast one change reaches every waiter, decide how many clients one small server
can carry. bench/v1.sh runs this against zkgate (long-poll `GET /v1/nodes/KEY?index=I&wait=W`)
and against etcd v2 (`GET /v2/keys/KEY?wait=true&waitIndex=I`) in the same run.

Usage: bench/longpoll.py --server zkgate|etcd --port PORT --pid SERVER_PID
                         [--host 127.0.0.1] [--key /bench/watched] [--parked 15000]
                         [--procs 4] [--sources 127.0.0.2-127.0.0.9] [--wait 55s]
                         [--settle 2] [--timeout 60]

What it does:
  1. Reads the node (zkgate: its Zkgate-Index; etcd: its modifiedIndex) and the server's VmRSS.
  2. Starts --procs worker processes (this file with --worker), which share the --parked
     long-polls. Each raises RLIMIT_NOFILE to its hard limit (20,000 descriptors per process
     here, so one process could not hold them all next to the server's share) and binds its
     sockets to the --sources addresses round-robin with IP_BIND_ADDRESS_NO_PORT (24) before
     connect, so the kernel picks the port at connect time per (source, destination) and the
     ~28k ephemeral ports are available per source address. Everything is non-blocking on
     epoll (selectors), at most 256 connects in flight per worker.
  3. Waits until the server's /metrics says all N are parked (zkgate:
     zkgate_http_parked_requests; etcd: etcd_debugging_store_watchers) and every worker has
     sent its requests (etcd also answers the head of a watch at once: the workers wait for
     it), waits --settle seconds, reads VmRSS again and prints (after - before) / N.
  4. Sends one write of a new value on a connection opened beforehand, noting the time just
     before sending it. Each worker notes, for every poller, when the first byte of its answer
     (etcd: of the event body) reached the socket — the kernel's receive timestamp
     (SO_TIMESTAMPNS), so the client processes' own scheduling does not count — and checks
     that the answer is a 200 carrying the new value. Prints p50/p99/max of (receive time -
     send time of the write).
  The last line starts with "RESULT" and holds every figure as key=value, for bench/v1.sh.
Exits non-zero when a poller failed, got an early or wrong answer, or never got one.
"""

import argparse
import json
import os
import re
import resource
import selectors
import socket
import struct
import subprocess
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24   # linux/in.h
SO_TIMESTAMPNS = 35            # asm-generic/socket.h (SCM_TIMESTAMPNS has the same value)
MAX_CONNECTING = 256           # connects in flight per worker (listen backlog is 4096)


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def source_range(text: str) -> list:
    """'127.0.0.2-127.0.0.9' or '127.0.0.2,127.0.0.3' -> list of addresses."""
    if "-" in text:
        first, last = text.split("-", 1)
        a, b = (struct.unpack("!I", socket.inet_aton(x))[0] for x in (first, last))
        return [socket.inet_ntoa(struct.pack("!I", n)) for n in range(a, b + 1)]
    return [x for x in text.split(",") if x]


# --- small blocking HTTP/1.1 client for the coordinator ---------------------------------------
def read_response(sock: socket.socket) -> tuple:
    """One complete response (Content-Length or chunked): (status, headers, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed before the response head")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while not rest.endswith(b"0\r\n\r\n"):
            data = sock.recv(65536)
            if not data:
                break
            rest += data
        body, out = rest, b""
        while body:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out, body = out + body[:size], body[size + 2:]
        rest = out
    else:
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed inside the response body")
            rest += data
    return status, headers, rest


def request_bytes(method: str, host: str, port: int, target: str, body: bytes = b"",
                  content_type: str = "") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: zkgate-bench-longpoll\r\n"
    if body or method in ("PUT", "POST"):
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def http(host: str, port: int, method: str, target: str, body: bytes = b"", content_type: str = ""):
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(request_bytes(method, host, port, target, body, content_type))
        return read_response(s)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def metric(host: str, port: int, name: str) -> float:
    status, _, body = http(host, port, "GET", "/metrics")
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    m = re.search(rb"^" + re.escape(name.encode()) + rb"(?:\{[^}]*\})? ([0-9.e+-]+)$", body, re.M)
    if not m:
        raise RuntimeError(f"/metrics has no {name}")
    return float(m.group(1))


def percentile(sorted_values: list, p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))   # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


# --- worker: holds its share of the long-polls -------------------------------------------------
CONNECTING, HEAD, PARKED, ANSWER, DONE = range(5)


class Poller:
    __slots__ = ("sock", "state", "buf", "ts")

    def __init__(self, sock):
        self.sock, self.state, self.buf, self.ts = sock, CONNECTING, b"", 0


def answer_complete(buf: bytes, chunked: bool) -> bool:
    if chunked:
        return buf.endswith(b"0\r\n\r\n")
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    return m is not None and len(body) >= int(m.group(1))


def worker(args) -> int:
    raise_nofile()
    sources = source_range(args.sources)
    request = request_bytes("GET", args.host, args.port, args.target)
    etcd = args.server == "etcd"
    expect = args.expect.encode()
    sel = selectors.EpollSelector()
    out = sys.stdout
    errors, first_error = 0, ""
    early = wrong = 0
    pollers = []

    def fail(p, why):
        nonlocal errors, first_error
        errors += 1
        first_error = first_error or why
        try:
            sel.unregister(p.sock)
        except (KeyError, ValueError):
            pass
        p.sock.close()
        p.state = DONE

    # Phase 1: connect, send, (etcd) read the watch's head. PARKED when done.
    opened = parked = connecting = 0
    deadline = time.monotonic() + args.timeout
    while parked + errors < args.count:
        while connecting < MAX_CONNECTING and opened < args.count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.bind((sources[(args.offset + opened) % len(sources)], 0))
            p = Poller(s)
            pollers.append(p)
            opened += 1
            connecting += 1
            err = s.connect_ex((args.host, args.port))
            if err not in (0, 115):   # 115: EINPROGRESS
                connecting -= 1
                fail(p, f"connect: {os.strerror(err)}")
                continue
            sel.register(s, selectors.EVENT_WRITE, p)
        if time.monotonic() > deadline:
            print(f"worker: only {parked} of {args.count} parked in {args.timeout} s", file=sys.stderr)
            return 3
        for key, _ in sel.select(timeout=1):
            p = key.data
            if p.state == CONNECTING:
                err = p.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                connecting -= 1
                if err:
                    fail(p, f"connect: {os.strerror(err)}")
                    continue
                p.sock.send(request)   # ~120 bytes: the socket buffer takes it whole
                sel.modify(p.sock, selectors.EVENT_READ, p)
                if etcd:
                    p.state = HEAD
                    connecting += 1    # not parked until etcd answers the head
                else:
                    p.state = PARKED
                    parked += 1
                continue
            try:
                data = p.sock.recv(65536)
            except OSError as e:
                if p.state == HEAD:
                    connecting -= 1
                fail(p, f"recv: {e}")
                continue
            if not data:
                if p.state == HEAD:
                    connecting -= 1
                fail(p, "closed by the server while parking")
                continue
            if p.state == HEAD:
                p.buf += data
                if b"\r\n\r\n" in p.buf:
                    connecting -= 1
                    head, _, p.buf = p.buf.partition(b"\r\n\r\n")
                    if not head.startswith(b"HTTP/1.1 200"):
                        fail(p, "watch head: " + head.split(b"\r\n")[0].decode("latin-1"))
                        continue
                    p.state = PARKED
                    parked += 1
                    if p.buf:   # an event before the write
                        early += 1
                        fail(p, "event before the write: " + p.buf[:80].decode("latin-1"))
            else:   # PARKED: an answer before the write
                early += 1
                p.buf += data
                fail(p, "answered before the write: " + p.buf.split(b"\r\n")[0].decode("latin-1"))
    print(f"parked {parked} errors {errors} early {early}", file=out, flush=True)
    if errors:
        print(f"worker: first error: {first_error}", file=sys.stderr, flush=True)

    # Phase 2: wait for the answers; stdin says when to give up ("stop" or EOF).
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    answered = 0
    waiting = parked
    anc_size = socket.CMSG_SPACE(16)
    kernel_ts = 0
    stop = False
    while answered < waiting and not stop:
        for key, _ in sel.select():
            p = key.data
            if p is None:
                os.read(sys.stdin.fileno(), 4096)   # "stop" or EOF: give up
                stop = True
                continue
            try:
                data, anc, _, _ = p.sock.recvmsg(65536, anc_size)
            except OSError as e:
                waiting -= 1
                fail(p, f"recv: {e}")
                continue
            if p.state == PARKED and data:
                ts = 0
                for level, kind, value in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                        sec, nsec = struct.unpack("qq", value[:16])
                        ts = sec * 1_000_000_000 + nsec
                if ts:
                    kernel_ts += 1
                else:
                    ts = time.time_ns()
                p.ts = ts
                p.state = ANSWER
            p.buf += data
            if not data or answer_complete(p.buf, etcd):
                if not data and p.state == PARKED:
                    waiting -= 1
                    fail(p, "closed by the server without an answer")
                    continue
                ok = (p.buf.startswith(b"HTTP/1.1 200") if not etcd else True) and expect in p.buf
                if not ok:
                    wrong += 1
                    first_error = first_error or ("wrong answer: " + p.buf[:200].decode("latin-1"))
                answered += 1
                sel.unregister(p.sock)
                p.sock.close()
                p.state = DONE
    stamps = [p.ts for p in pollers if p.ts]
    print("result " + json.dumps({
        "answered": answered, "errors": errors, "early": early, "wrong": wrong,
        "kernel_ts": kernel_ts, "first_error": first_error, "ts": stamps,
    }), file=out, flush=True)
    return 0


# --- coordinator --------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", choices=("zkgate", "etcd"), required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, help="server pid, for VmRSS")
    ap.add_argument("--key", default="/bench/watched")
    ap.add_argument("--parked", type=int, default=15000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--sources", default="127.0.0.2-127.0.0.9")
    ap.add_argument("--wait", default="55s", help="zkgate long-poll wait")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds before the second RSS reading")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds for each phase")
    # worker-only
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--expect", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if args.pid is None:
        ap.error("--pid is required")

    hard = raise_nofile()
    sources = source_range(args.sources)
    host, port, n = args.host, args.port, args.parked
    new_value = f"v{time.time_ns() % 10**14:014d}"   # 15 bytes, unique to this run
    per_proc = -(-n // args.procs)
    if per_proc + 64 > hard:
        sys.exit(f"longpoll: {per_proc} sockets per worker exceed the descriptor limit {hard}; raise --procs")

    # 1. The node, its index, the server's RSS.
    if args.server == "zkgate":
        status, headers, _ = http(host, port, "GET", f"/v1/nodes{args.key}")
        if status != 200:
            sys.exit(f"longpoll: GET /v1/nodes{args.key} answered {status}")
        index = int(headers["zkgate-index"])
        target = f"/v1/nodes{args.key}?index={index}&wait={args.wait}"
        gauge = "zkgate_http_parked_requests"
        write = request_bytes("PUT", host, port, f"/v1/nodes{args.key}",
                              json.dumps({"data": new_value}).encode(), "application/json")
    else:
        status, _, body = http(host, port, "GET", f"/v2/keys{args.key}")
        if status != 200:
            sys.exit(f"longpoll: GET /v2/keys{args.key} answered {status}")
        index = json.loads(body)["node"]["modifiedIndex"] + 1
        target = f"/v2/keys{args.key}?wait=true&waitIndex={index}"
        gauge = "etcd_debugging_store_watchers"
        write = request_bytes("PUT", host, port, f"/v2/keys{args.key}",
                              f"value={new_value}".encode(), "application/x-www-form-urlencoded")
    before_gauge = metric(host, port, gauge)
    time.sleep(args.settle)
    rss_before = rss_kb(args.pid)
    print(f"{args.server}: {n} long-polls on {args.key} ({target}), {args.procs} client processes, "
          f"sources {sources[0]}..{sources[-1]}; RSS before {rss_before} KiB", flush=True)

    # 2. Workers.
    started = time.monotonic()
    workers = []
    remaining = n
    for i in range(args.procs):
        count = min(per_proc, remaining)
        remaining -= count
        if count <= 0:
            break
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--server", args.server,
               "--host", host, "--port", str(port), "--count", str(count),
               "--offset", str(i), "--target", target, "--expect", new_value,
               "--sources", args.sources, "--timeout", str(args.timeout)]
        workers.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE))

    def read_lines(prefix: str, timeout: float) -> list:
        """One line starting with prefix from every worker (None for a worker that gave none)."""
        sel = selectors.DefaultSelector()
        bufs = {}
        for w in workers:
            sel.register(w.stdout, selectors.EVENT_READ, w)
            bufs[w] = b""
        lines = {}
        end = time.monotonic() + timeout
        while len(lines) < len(workers) and time.monotonic() < end:
            for key, _ in sel.select(timeout=max(0.0, end - time.monotonic())):
                w = key.data
                data = os.read(w.stdout.fileno(), 1 << 20)
                if not data:
                    sel.unregister(w.stdout)
                    lines.setdefault(w, None)
                    continue
                bufs[w] += data
                while b"\n" in bufs[w] and w not in lines:
                    line, _, bufs[w] = bufs[w].partition(b"\n")
                    if line.startswith(prefix.encode()):
                        lines[w] = line.decode()
                        sel.unregister(w.stdout)
        sel.close()
        return [lines.get(w) for w in workers]

    def stop_workers():
        for w in workers:
            if w.poll() is None:
                w.kill()
            w.wait()

    parked_lines = read_lines("parked", args.timeout + 5)
    if any(line is None for line in parked_lines):
        stop_workers()
        sys.exit("longpoll: a worker failed while parking (see its error above)")
    counts = [tuple(int(x) for x in line.split()[1::2]) for line in parked_lines]
    parked = sum(c[0] for c in counts)
    bad = sum(c[1] + c[2] for c in counts)
    if bad or parked != n:
        stop_workers()
        sys.exit(f"longpoll: {parked} of {n} parked, {bad} failed or answered early")
    end = time.monotonic() + args.timeout
    while True:
        value = metric(host, port, gauge) - before_gauge
        if value == n:
            break
        if time.monotonic() > end:
            stop_workers()
            sys.exit(f"longpoll: {gauge} is {value:.0f} above its start, not {n}, after {args.timeout} s")
        time.sleep(0.1)
    park_seconds = time.monotonic() - started
    time.sleep(args.settle)
    rss_after = rss_kb(args.pid)
    gauge_after = metric(host, port, gauge) - before_gauge
    per_parked = (rss_after - rss_before) * 1024 / n
    print(f"{args.server}: {n} parked in {park_seconds:.1f} s ({gauge} = {gauge_after:.0f}); "
          f"RSS with them {rss_after} KiB: {per_parked:.0f} bytes per parked request", flush=True)
    if gauge_after != n:
        print(f"longpoll: warning: {gauge} fell to {gauge_after:.0f} before the write", file=sys.stderr)

    # 3. One write; every poller's answer time from the moment it was sent.
    ws = socket.create_connection((host, port), timeout=30)
    ws.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.time_ns()
    ws.sendall(write)
    status, _, _ = read_response(ws)
    put_ms = (time.time_ns() - t0) / 1e6
    ws.close()
    if status not in (200, 201, 204):
        stop_workers()
        sys.exit(f"longpoll: the write answered {status}")
    result_lines = read_lines("result", args.timeout)
    if any(line is None for line in result_lines):
        for w in workers:     # give up: the workers report what they have
            try:
                w.stdin.write(b"stop\n")
                w.stdin.flush()
            except OSError:
                pass
        late = read_lines("result", 10)
        result_lines = [a or b for a, b in zip(result_lines, late)]
    stop_workers()
    results = [json.loads(line.split(" ", 1)[1]) for line in result_lines if line]
    stamps = sorted(ts for r in results for ts in r["ts"])
    lat = [(ts - t0) / 1e6 for ts in stamps]
    answered = sum(r["answered"] for r in results)
    wrong = sum(r["wrong"] for r in results)
    errors = sum(r["errors"] for r in results)
    kernel = sum(r["kernel_ts"] for r in results)
    first_error = next((r["first_error"] for r in results if r["first_error"]), "")
    missing = n - answered
    p50, p99, pmax = percentile(lat, 50), percentile(lat, 99), (lat[-1] if lat else float("nan"))
    print(f"{args.server}: write answered {status} in {put_ms:.2f} ms; {answered} of {n} answers "
          f"(first {lat[0] if lat else float('nan'):.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {pmax:.2f} ms after the write was sent; {kernel} kernel receive timestamps)", flush=True)
    if missing or wrong or errors:
        print(f"longpoll: {missing} missing, {wrong} wrong, {errors} failed; first: {first_error}",
              file=sys.stderr, flush=True)
    print(f"RESULT server={args.server} parked={n} rss_before_kb={rss_before} rss_after_kb={rss_after} "
          f"bytes_per_parked={per_parked:.0f} park_s={park_seconds:.1f} put_ms={put_ms:.2f} "
          f"answered={answered} missing={missing} wrong={wrong} errors={errors} "
          f"p50_ms={p50:.2f} p99_ms={p99:.2f} max_ms={pmax:.2f}", flush=True)
    return 1 if (missing or wrong or errors) else 0


if __name__ == "__main__":
    sys.exit(main())
