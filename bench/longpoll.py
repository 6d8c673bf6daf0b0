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


# --- worker processes and their coordinator (bench/recipes/config_fanout.py uses them too) -----
# OPENING: the request is sent but the connection is not parked yet (etcd: the watch's head is
# still to come; config_fanout: the first GET's answer, which gives the index to wait on).
CONNECTING, OPENING, PARKED, ANSWER, DONE = range(5)


class Conn:
    """One connection of a worker; ts is the kernel's receive time of its answer's first bytes."""
    __slots__ = ("sock", "state", "buf", "ts")

    def __init__(self, sock):
        self.sock, self.state, self.buf, self.ts = sock, CONNECTING, b"", 0


def kernel_ts(anc) -> int:
    """The SO_TIMESTAMPNS time in recvmsg's ancillary data, ns since the epoch; 0 when absent."""
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
            sec, nsec = struct.unpack("qq", value[:16])
            return sec * 1_000_000_000 + nsec
    return 0


def bound_socket(source: str) -> socket.socket:
    """A non-blocking socket bound to source, its port left to connect() (IP_BIND_ADDRESS_NO_PORT:
    the ephemeral ports are counted per destination), with receive timestamps on."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind((source, 0))
    return s


class WorkerConns:
    """A worker's connections to host:port on one epoll selector, and the failures it reports."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.sel = selectors.EpollSelector()
        self.conns = []
        self.errors, self.first_error, self.early, self.wrong = 0, "", 0, 0

    def fail(self, c, why: str):
        self.errors += 1
        self.first_error = self.first_error or why
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        c.state = DONE

    def connect(self, c) -> bool:
        """Starts c's connect; False when it failed at once."""
        self.conns.append(c)
        err = c.sock.connect_ex((self.host, self.port))
        if err not in (0, 115):   # 115: EINPROGRESS
            self.fail(c, f"connect: {os.strerror(err)}")
            return False
        self.sel.register(c.sock, selectors.EVENT_WRITE, c)
        return True

    def connected(self, c) -> bool:
        """After c's connect completed: False when it failed."""
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.fail(c, f"connect: {os.strerror(err)}")
        return not err

    def recv(self, c, closed: str):
        """What arrived on c before the write; None when c failed (closed: the reason if the
        server closed it)."""
        try:
            data = c.sock.recv(65536)
        except OSError as e:
            self.fail(c, f"recv: {e}")
            return None
        if not data:
            self.fail(c, closed)
            return None
        return data

    def early_answer(self, c):
        """c was answered while parked, before the write (the answer is in c.buf)."""
        self.early += 1
        self.fail(c, "answered before the write: " + c.buf.split(b"\r\n")[0].decode("latin-1"))

    def park(self, count: int, timeout: float, open_conn, send_first, opening,
             closed: str = "closed by the server while parking"):
        """Phase 1: opens count connections (open_conn(k) makes the k-th, k from 0), with at most
        MAX_CONNECTING not parked yet at a time. Once one is connected, send_first(c) sends its
        request and gives its next state: PARKED, or OPENING while it awaits a first answer;
        then opening(c) is called as bytes arrive in c.buf and gives True once c is parked, False
        when it failed, None while it waits. Prints the parked line; returns how many were
        parked, None when timeout passed first."""
        opened = parked = busy = 0
        deadline = time.monotonic() + timeout
        while parked + self.errors < count:
            while busy < MAX_CONNECTING and opened < count:
                c = open_conn(opened)
                opened += 1
                if self.connect(c):
                    busy += 1
            if time.monotonic() > deadline:
                print(f"worker: only {parked} of {count} parked in {timeout} s", file=sys.stderr)
                return None
            for key, _ in self.sel.select(timeout=1):
                c = key.data
                if c.state == CONNECTING:
                    if not self.connected(c):
                        busy -= 1
                        continue
                    state = send_first(c)
                    self.sel.modify(c.sock, selectors.EVENT_READ, c)
                    c.state = state
                    if state == PARKED:
                        busy -= 1
                        parked += 1
                    continue
                was_opening = c.state == OPENING
                data = self.recv(c, closed)
                if data is None:
                    busy -= was_opening
                    continue
                c.buf += data
                if not was_opening:   # parked: an answer before the write
                    self.early_answer(c)
                    continue
                done = opening(c)
                if done is not None:
                    busy -= 1
                    parked += done
        print(f"parked {parked} errors {self.errors} early {self.early}", flush=True)
        if self.errors:
            print(f"worker: first error: {self.first_error}", file=sys.stderr, flush=True)
        return parked

    def collect(self, parked: int, complete, correct):
        """Phase 2: every parked connection's answer, the kernel's receive time of its first
        bytes, whether correct(buf) holds for it once complete(buf) (or the server closed the
        connection); then the result line. stdin says when to give up ("stop" or EOF)."""
        sel = self.sel
        sel.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
        answered = 0
        waiting = parked
        anc_size = socket.CMSG_SPACE(16)
        kernel = 0
        stop = False
        while answered < waiting and not stop:
            for key, _ in sel.select():
                c = key.data
                if c is None:
                    os.read(sys.stdin.fileno(), 4096)
                    stop = True
                    continue
                try:
                    data, anc, _, _ = c.sock.recvmsg(65536, anc_size)
                except OSError as e:
                    waiting -= 1
                    self.fail(c, f"recv: {e}")
                    continue
                if c.state == PARKED and data:
                    ts = kernel_ts(anc)
                    if ts:
                        kernel += 1
                    c.ts = ts or time.time_ns()
                    c.state = ANSWER
                c.buf += data
                if not data or complete(c.buf):
                    if not data and c.state == PARKED:
                        waiting -= 1
                        self.fail(c, "closed by the server without an answer")
                        continue
                    if not correct(c.buf):
                        self.wrong += 1
                        self.first_error = self.first_error or ("wrong answer: " + c.buf[:200].decode("latin-1"))
                    answered += 1
                    sel.unregister(c.sock)
                    c.sock.close()
                    c.state = DONE
        stamps = [c.ts for c in self.conns if c.ts]
        print("result " + json.dumps({
            "answered": answered, "errors": self.errors, "early": self.early, "wrong": self.wrong,
            "kernel_ts": kernel, "first_error": self.first_error, "ts": stamps,
        }), flush=True)


def add_worker_args(ap: argparse.ArgumentParser, timeout: float):
    """The options Workers reads, and those its workers are started with."""
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, help="server pid, for VmRSS")
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--sources", default="127.0.0.2-127.0.0.9")
    ap.add_argument("--wait", default="55s", help="zkgate long-poll wait")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds before each RSS reading")
    ap.add_argument("--timeout", type=float, default=timeout, help="seconds for each phase")
    # worker-only
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--expect", help=argparse.SUPPRESS)


class Workers:
    """n connections shared by --procs worker processes (a script with --worker), on a server
    whose parked-request gauge and RSS are measured around them. Each worker prints "parked ..."
    once its share is parked and "result {...}" once the answers are in; "stop" on its stdin
    makes it report what it has. name prefixes the error messages; args holds add_worker_args'
    options."""

    def __init__(self, name: str, args, n: int, gauge: str):
        self.name, self.args, self.n, self.gauge = name, args, n, gauge
        self.procs = []
        hard = raise_nofile()
        self.per_proc = -(-n // args.procs)
        if self.per_proc + 64 > hard:
            sys.exit(f"{name}: {self.per_proc} sockets per worker exceed the descriptor limit {hard}; raise --procs")

    def measure_before(self) -> int:
        """The gauge's start and, --settle seconds later, the server's RSS (KiB)."""
        self.base = metric(self.args.host, self.args.port, self.gauge)
        time.sleep(self.args.settle)
        self.rss_before = rss_kb(self.args.pid)
        return self.rss_before

    def start(self, cmds: list):
        self.started = time.monotonic()
        self.procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE) for cmd in cmds]

    def read_lines(self, prefix: str, timeout: float) -> list:
        """One line starting with prefix from every worker (None for a worker that gave none)."""
        sel = selectors.DefaultSelector()
        bufs = {}
        for w in self.procs:
            sel.register(w.stdout, selectors.EVENT_READ, w)
            bufs[w] = b""
        lines = {}
        end = time.monotonic() + timeout
        while len(lines) < len(self.procs) and time.monotonic() < end:
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
        return [lines.get(w) for w in self.procs]

    def stop(self):
        for w in self.procs:
            if w.poll() is None:
                w.kill()
            w.wait()

    def fail(self, message: str):
        self.stop()
        sys.exit(f"{self.name}: {message}")

    def await_parked(self, exact: bool = True):
        """Until every worker has parked its share and the gauge is n above its start (at least n
        unless exact), then --settle seconds; sets park_seconds, rss_after, gauge_after (above
        the start) and per_parked (bytes of RSS per parked request). Exits when that fails."""
        n, timeout = self.n, self.args.timeout
        lines = self.read_lines("parked", timeout + 5)
        if any(line is None for line in lines):
            self.fail("a worker failed while parking (see its error above)")
        counts = [tuple(int(x) for x in line.split()[1::2]) for line in lines]
        parked = sum(c[0] for c in counts)
        bad = sum(c[1] + c[2] for c in counts)
        if bad or parked != n:
            self.fail(f"{parked} of {n} parked, {bad} failed or answered early")
        end = time.monotonic() + timeout
        while True:
            value = metric(self.args.host, self.args.port, self.gauge) - self.base
            if value == n or (not exact and value >= n):
                break
            if time.monotonic() > end:
                self.fail(f"{self.gauge} is {value:.0f} above its start, not {n}, after {timeout} s")
            time.sleep(0.1)
        self.park_seconds = time.monotonic() - self.started
        time.sleep(self.args.settle)
        self.rss_after = rss_kb(self.args.pid)
        self.gauge_after = metric(self.args.host, self.args.port, self.gauge) - self.base
        self.per_parked = (self.rss_after - self.rss_before) * 1024 / n

    def results(self) -> dict:
        """The workers' result lines merged (ts ascending, missing: never answered); the workers
        are stopped after."""
        lines = self.read_lines("result", self.args.timeout)
        if any(line is None for line in lines):
            for w in self.procs:     # give up: the workers report what they have
                try:
                    w.stdin.write(b"stop\n")
                    w.stdin.flush()
                except OSError:
                    pass
            late = self.read_lines("result", 10)
            lines = [a or b for a, b in zip(lines, late)]
        self.stop()
        results = [json.loads(line.split(" ", 1)[1]) for line in lines if line]
        got = {k: sum(r[k] for r in results) for k in ("answered", "wrong", "errors", "kernel_ts")}
        got["ts"] = sorted(ts for r in results for ts in r["ts"])
        got["first_error"] = next((r["first_error"] for r in results if r["first_error"]), "")
        got["missing"] = self.n - got["answered"]
        return got

    def failed(self, got: dict) -> bool:
        """Whether any answer was missing, wrong or failed (then says so on stderr)."""
        if not (got["missing"] or got["wrong"] or got["errors"]):
            return False
        print(f"{self.name}: {got['missing']} missing, {got['wrong']} wrong, {got['errors']} failed; "
              f"first: {got['first_error']}", file=sys.stderr, flush=True)
        return True

    def result_figures(self, got: dict, put_ms: float, lat: list) -> str:
        """The RESULT line's figures both scripts report: memory, times, answers, fan-out."""
        p50, p99, pmax = percentile(lat, 50), percentile(lat, 99), (lat[-1] if lat else float("nan"))
        return (f"rss_before_kb={self.rss_before} rss_after_kb={self.rss_after} "
                f"bytes_per_parked={self.per_parked:.0f} park_s={self.park_seconds:.1f} put_ms={put_ms:.2f} "
                f"answered={got['answered']} missing={got['missing']} wrong={got['wrong']} errors={got['errors']} "
                f"p50_ms={p50:.2f} p99_ms={p99:.2f} max_ms={pmax:.2f}")


# --- worker: holds its share of the long-polls -------------------------------------------------
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
    wc = WorkerConns(args.host, args.port)

    def send_first(p):
        p.sock.send(request)   # ~120 bytes: the socket buffer takes it whole
        return OPENING if etcd else PARKED   # etcd: not parked until it answers the head

    def opening(p):   # etcd's watch head
        if b"\r\n\r\n" not in p.buf:
            return None
        head, _, p.buf = p.buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            wc.fail(p, "watch head: " + head.split(b"\r\n")[0].decode("latin-1"))
            return False
        p.state = PARKED
        if p.buf:   # an event before the write
            wc.early += 1
            wc.fail(p, "event before the write: " + p.buf[:80].decode("latin-1"))
        return True

    # Phase 1: connect, send, (etcd) read the watch's head.
    parked = wc.park(args.count, args.timeout,
                     lambda k: Conn(bound_socket(sources[(args.offset + k) % len(sources)])),
                     send_first, opening)
    if parked is None:
        return 3

    # Phase 2: the answers.
    wc.collect(parked, lambda buf: answer_complete(buf, etcd),
               lambda buf: (buf.startswith(b"HTTP/1.1 200") if not etcd else True) and expect in buf)
    return 0


# --- coordinator --------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", choices=("zkgate", "etcd"), required=True)
    ap.add_argument("--key", default="/bench/watched")
    ap.add_argument("--parked", type=int, default=15000)
    add_worker_args(ap, timeout=60.0)
    ap.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if args.pid is None:
        ap.error("--pid is required")

    sources = source_range(args.sources)
    host, port, n = args.host, args.port, args.parked
    new_value = f"v{time.time_ns() % 10**14:014d}"   # 15 bytes, unique to this run
    gauge = "zkgate_http_parked_requests" if args.server == "zkgate" else "etcd_debugging_store_watchers"
    workers = Workers("longpoll", args, n, gauge)

    # 1. The node, its index, the server's RSS.
    if args.server == "zkgate":
        status, headers, _ = http(host, port, "GET", f"/v1/nodes{args.key}")
        if status != 200:
            sys.exit(f"longpoll: GET /v1/nodes{args.key} answered {status}")
        index = int(headers["zkgate-index"])
        target = f"/v1/nodes{args.key}?index={index}&wait={args.wait}"
        write = request_bytes("PUT", host, port, f"/v1/nodes{args.key}",
                              json.dumps({"data": new_value}).encode(), "application/json")
    else:
        status, _, body = http(host, port, "GET", f"/v2/keys{args.key}")
        if status != 200:
            sys.exit(f"longpoll: GET /v2/keys{args.key} answered {status}")
        index = json.loads(body)["node"]["modifiedIndex"] + 1
        target = f"/v2/keys{args.key}?wait=true&waitIndex={index}"
        write = request_bytes("PUT", host, port, f"/v2/keys{args.key}",
                              f"value={new_value}".encode(), "application/x-www-form-urlencoded")
    rss_before = workers.measure_before()
    print(f"{args.server}: {n} long-polls on {args.key} ({target}), {args.procs} client processes, "
          f"sources {sources[0]}..{sources[-1]}; RSS before {rss_before} KiB", flush=True)

    # 2. Workers.
    cmds = []
    remaining = n
    for i in range(args.procs):
        count = min(workers.per_proc, remaining)
        remaining -= count
        if count <= 0:
            break
        cmds.append([sys.executable, os.path.abspath(__file__), "--worker", "--server", args.server,
                     "--host", host, "--port", str(port), "--count", str(count),
                     "--offset", str(i), "--target", target, "--expect", new_value,
                     "--sources", args.sources, "--timeout", str(args.timeout)])
    workers.start(cmds)
    workers.await_parked()
    print(f"{args.server}: {n} parked in {workers.park_seconds:.1f} s ({gauge} = {workers.gauge_after:.0f}); "
          f"RSS with them {workers.rss_after} KiB: {workers.per_parked:.0f} bytes per parked request", flush=True)
    if workers.gauge_after != n:
        print(f"longpoll: warning: {gauge} fell to {workers.gauge_after:.0f} before the write", file=sys.stderr)

    # 3. One write; every poller's answer time from the moment it was sent.
    ws = socket.create_connection((host, port), timeout=30)
    ws.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.time_ns()
    ws.sendall(write)
    status, _, _ = read_response(ws)
    put_ms = (time.time_ns() - t0) / 1e6
    ws.close()
    if status not in (200, 201, 204):
        workers.fail(f"the write answered {status}")
    got = workers.results()
    lat = [(ts - t0) / 1e6 for ts in got["ts"]]
    p50, p99, pmax = percentile(lat, 50), percentile(lat, 99), (lat[-1] if lat else float("nan"))
    print(f"{args.server}: write answered {status} in {put_ms:.2f} ms; {got['answered']} of {n} answers "
          f"(first {lat[0] if lat else float('nan'):.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {pmax:.2f} ms after the write was sent; {got['kernel_ts']} kernel receive timestamps)", flush=True)
    failed = workers.failed(got)
    print(f"RESULT server={args.server} parked={n} {workers.result_figures(got, put_ms, lat)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
