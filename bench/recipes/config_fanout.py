#!/usr/bin/env python3
"""bench/recipes/config_fanout.py — N devices long-poll their effective config on zkgate, all
under one fleet layer; one write to that layer must reach every one of them.

Why: the layered config is how a fleet learns of a change. Each device asks for its own path
(`/v1/config/fleet/eu/dev-<n>`), whose answer merges the root layer, the fleet layer and any
layers of its own. What matters is that one write to the fleet layer reaches every parked
device, and how long the last of them waits for it.

Usage: bench/recipes/config_fanout.py --port PORT --pid SERVER_PID [--host 127.0.0.1]
                                      [--devices 10000] [--paths N] [--procs 4]
                                      [--sources 127.0.0.2-127.0.0.9] [--wait 55s]
                                      [--settle 2] [--timeout 120]

What it does:
  1. Writes the root layer /config ({"log": "info"}) and the fleet layer /config/fleet
     ({"release": "r0", "interval": 30}) through PUT /v1/nodes/config...?parents=true, and
     reads the server's VmRSS.
  2. Starts --procs worker processes (this file with --worker; bench/longpoll.py's layout: each
     raises RLIMIT_NOFILE to its hard limit and binds its sockets to the --sources addresses
     with IP_BIND_ADDRESS_NO_PORT). Device n (1..N) opens one keep-alive connection and does
     what a device does: GET /v1/config/fleet/eu/dev-<m> for its config and its Zkgate-Index
     I, then, on the same connection, GET /v1/config/fleet/eu/dev-<m>?index=I&wait=WAIT, which
     parks until a layer changes. m = n by default (every device its own path; --paths P
     spreads the devices over P paths instead, --paths 1 is one path for all).
  3. Waits until zkgate_http_parked_requests (/metrics) has risen by N, waits --settle seconds
     and reads VmRSS again: (after - before) / N is the memory per parked device.
  4. Writes the fleet layer once ({"release": "r<unique>", "interval": 30}) on a connection
     opened beforehand, noting the time just before sending it and the kernel's receive
     timestamp of its answer. Each worker notes the kernel receive timestamp (SO_TIMESTAMPNS)
     of every device's answer and checks that it is a 200 carrying the new release. Prints
     p50/p99/max of each answer's time after the write was sent and after the write's own
     answer arrived (negative when the server answers waiters before the writer).
The last line starts with "RESULT" and holds every figure as key=value. Exits non-zero when a
device failed, got an early or wrong answer, or never got one.
"""

import argparse
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from longpoll import (OPENING, PARKED, SO_TIMESTAMPNS, Conn, WorkerConns, Workers,  # noqa: E402  (bench/longpoll.py)
                      add_worker_args, bound_socket, http, kernel_ts, percentile, raise_nofile,
                      request_bytes, source_range)

GAUGE = "zkgate_http_parked_requests"


def complete(buf: bytes):
    """(status, headers bytes, body) when buf holds one whole Content-Length answer, else None."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return None
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    length = int(m.group(1)) if m else 0
    if len(body) < length:
        return None
    return int(head.split(b" ", 2)[1]), head, body[:length]


class Device(Conn):
    __slots__ = ("path",)

    def __init__(self, path, sock):
        super().__init__(sock)
        self.path = path


def worker(args) -> int:
    raise_nofile()
    sources = source_range(args.sources)
    expect = args.expect.encode()
    wc = WorkerConns(args.host, args.port)

    def device(k):
        n = args.first + k
        m = (n - 1) % args.paths + 1
        return Device(f"/v1/config/fleet/eu/dev-{m}", bound_socket(sources[n % len(sources)]))

    def get(d, query=""):
        d.sock.send(request_bytes("GET", args.host, args.port, d.path + query))

    def send_first(d):
        get(d)
        return OPENING

    def opening(d):   # the first GET's answer: its Zkgate-Index is the index to wait on
        answer = complete(d.buf)
        if answer is None:
            return None
        status, head, _ = answer
        m = re.search(rb"\r\nzkgate-index:\s*(\d+)", head, re.I)
        if status != 200 or not m:
            wc.fail(d, "first GET: " + head.split(b"\r\n")[0].decode("latin-1"))
            return False
        d.buf = b""
        get(d, f"?index={int(m.group(1))}&wait={args.wait}")
        d.state = PARKED
        return True

    # Phase 1: connect, the first GET, then the long-poll with its index.
    parked = wc.park(args.count, args.timeout, device, send_first, opening,
                     closed="closed by the server before the write")
    if parked is None:
        return 3

    # Phase 2: the answers.
    def correct(buf):
        answer = complete(buf)
        return answer is not None and answer[0] == 200 and expect in answer[2]
    wc.collect(parked, lambda buf: complete(buf) is not None, correct)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--paths", type=int, default=0, help="distinct device paths (default: one per device)")
    add_worker_args(ap, timeout=120.0)
    ap.add_argument("--first", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.paths <= 0:
        args.paths = args.devices
    if args.worker:
        return worker(args)
    if args.pid is None:
        ap.error("--pid is required")

    host, port, n = args.host, args.port, args.devices
    workers = Workers("config_fanout", args, n, GAUGE)
    release = f"r{time.time_ns() % 10**14:014d}"

    # 1. The layers.
    def put_layer(path, value):
        body = json.dumps({"data": json.dumps(value)}).encode()
        status, _, answer = http(host, port, "PUT", f"/v1/nodes{path}?parents=true", body, "application/json")
        if status not in (200, 201):
            sys.exit(f"config_fanout: PUT /v1/nodes{path} answered {status}: {answer[:200]!r}")
    put_layer("/config", {"log": "info"})
    put_layer("/config/fleet", {"release": "r0", "interval": 30})
    status, _, body = http(host, port, "GET", "/v1/config/fleet/eu/dev-1")
    if status != 200 or json.loads(body)["config"].get("release") != "r0":
        sys.exit(f"config_fanout: GET /v1/config/fleet/eu/dev-1 answered {status}: {body[:200]!r}")
    rss_before = workers.measure_before()
    print(f"config: {n} devices on {args.paths} path(s) /v1/config/fleet/eu/dev-<m>, {args.procs} client "
          f"processes; RSS before {rss_before} KiB", flush=True)

    # 2. Workers.
    cmds = []
    first = 1
    for i in range(args.procs):
        count = min(workers.per_proc, n - first + 1)
        if count <= 0:
            break
        cmds.append([sys.executable, os.path.abspath(__file__), "--worker", "--host", host, "--port", str(port),
                     "--first", str(first), "--count", str(count), "--paths", str(args.paths),
                     "--expect", f'"release":"{release}"', "--sources", args.sources, "--wait", args.wait,
                     "--timeout", str(args.timeout)])
        first += count
    workers.start(cmds)
    workers.await_parked(exact=False)
    print(f"config: {n} parked in {workers.park_seconds:.1f} s ({GAUGE} +{workers.gauge_after:.0f}); RSS with "
          f"them {workers.rss_after} KiB: {workers.per_parked:.0f} bytes per parked device", flush=True)

    # 3. One write to the fleet layer.
    ws = socket.create_connection((host, port), timeout=30)
    ws.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ws.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    write = request_bytes("PUT", host, port, "/v1/nodes/config/fleet",
                          json.dumps({"data": json.dumps({"release": release, "interval": 30})}).encode(),
                          "application/json")
    t0 = time.time_ns()
    ws.sendall(write)
    data, anc, _, _ = ws.recvmsg(65536, socket.CMSG_SPACE(16))
    t1 = kernel_ts(anc) or time.time_ns()
    while complete(data) is None:
        more = ws.recv(65536)
        if not more:
            break
        data += more
    ws.close()
    answer = complete(data)
    status = answer[0] if answer else 0
    put_ms = (t1 - t0) / 1e6
    if status not in (200, 201, 204):
        workers.fail(f"the write answered {status}")
    got = workers.results()
    lat = [(ts - t0) / 1e6 for ts in got["ts"]]
    after = [(ts - t1) / 1e6 for ts in got["ts"]]
    nan = float("nan")
    p50, p99, pmax = percentile(lat, 50), percentile(lat, 99), (lat[-1] if lat else nan)
    a50, a99, amax = percentile(after, 50), percentile(after, 99), (after[-1] if after else nan)
    print(f"config: the write answered {status} in {put_ms:.2f} ms; {got['answered']} of {n} devices answered "
          f"(after the write was sent: first {lat[0] if lat else nan:.2f} p50 {p50:.2f} p99 {p99:.2f} max "
          f"{pmax:.2f} ms; after its answer: p50 {a50:.2f} p99 {a99:.2f} max {amax:.2f} ms; {got['kernel_ts']} "
          f"kernel receive timestamps)", flush=True)
    failed = workers.failed(got)
    print(f"RESULT devices={n} paths={args.paths} {workers.result_figures(got, put_ms, lat)} "
          f"after_answer_p50_ms={a50:.2f} after_answer_p99_ms={a99:.2f} after_answer_max_ms={amax:.2f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
