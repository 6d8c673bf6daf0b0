#!/usr/bin/env python3
"""bench/h2/parked.py — park N long-poll streams over C h2c connections on zkgate, measure the
server's memory per parked stream, then one write and the time until every stream has its
answer (fan-out latency).

Why: with HTTP/2 a waiting client costs the server a stream, not a connection; what a parked
stream costs in memory, and how fast one change reaches all of them, say how many waiters one
server carries. bench/h2.sh runs it; bench/longpoll.py is the HTTP/1.1 counterpart, and its
Workers class drives the workers here.

Usage: bench/h2/parked.py --port PORT --pid SERVER_PID --client bench/h2/streams (built)
                          [--host 127.0.0.1] [--key /fleet] [--streams 100000] [--conns 500]
                          [--procs 4] [--sources 127.0.0.2-127.0.0.9] [--wait 55s]
                          [--settle 2] [--timeout 120] [--dump DIR]

What it does:
  1. Reads the node's Zkgate-Index I (GET over HTTP/1.1) and, after --settle seconds, the
     server's VmRSS: "idle".
  2. Starts --procs workers (bench/h2/streams.c), which share the --conns connections (each
     bound to the next --sources address), each connection to carry N/C streams. Once every
     connection has exchanged SETTINGS with the server, waits --settle seconds and reads VmRSS:
     "connected".
  3. Tells the workers to send their requests, `GET /v1/nodes/KEY?index=I&wait=WAIT` on every
     stream, waits until zkgate_http_parked_requests (/metrics) has risen by exactly N, waits
     --settle seconds and reads VmRSS: "parked". Bytes per parked stream = (parked - connected)
     * 1024 / N: the streams alone, their connections already counted in "connected"; the
     figure with the connections, (parked - idle) * 1024 / N, is printed too.
  4. Sends one write (PUT /v1/nodes/KEY over HTTP/1.1, on a connection opened beforehand),
     noting the time just before sending it. Each worker notes the kernel receive timestamp
     (SO_TIMESTAMPNS) of the read that held the first byte of each stream's answer and checks
     that it is a 200 carrying the new value. Prints p50/p99/max of (receive time - send time
     of the write), and VmRSS once every answer is in.
  With --dump DIR, /proc/PID/smaps at each reading goes to DIR/smaps-<reading>.txt.
  The last line starts with "RESULT" and holds every figure as key=value, for bench/h2.sh.
Exits non-zero when a stream failed, got an early or wrong answer, or never got one.
"""

import argparse
import json
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from longpoll import (Workers, add_worker_args, http, metric, percentile, raise_nofile,  # noqa: E402  (bench/longpoll.py)
                      read_response, request_bytes, rss_kb, source_range)

GAUGE = "zkgate_http_parked_requests"


class StreamWorkers(Workers):
    """Workers whose unit is a stream: their descriptors are the connections, far fewer than
    the n streams, so the descriptor check is on those."""

    def __init__(self, args, n: int, conns_per_proc: int):
        self.name, self.args, self.n, self.gauge = "h2 parked", args, n, GAUGE
        self.procs = []
        hard = raise_nofile()
        if conns_per_proc + 64 > hard:
            sys.exit(f"h2 parked: {conns_per_proc} connections per worker exceed the descriptor limit {hard}")


def dump_smaps(args, name: str):
    if args.dump:
        shutil.copyfile(f"/proc/{args.pid}/smaps", os.path.join(args.dump, f"smaps-{name}.txt"))


def smaps_kinds(path: str) -> dict:
    """Rss (KiB) of a smaps dump by kind of mapping: the brk heap, anonymous mappings (glibc's
    arenas of the threads other than the main one, and large blocks, live there), files,
    stacks and the rest."""
    kinds, kind = {}, None
    with open(path) as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                name = fields[5] if len(fields) > 5 else ""
                kind = ("heap" if name == "[heap]" else "anonymous" if not name else
                        "stack" if name.startswith("[stack") else "other" if name.startswith("[") else "files")
            elif fields[0] == "Rss:" and kind:
                kinds[kind] = kinds.get(kind, 0) + int(fields[1])
    return kinds


def smaps_growth(args, before: str, after: str) -> str:
    """'heap +X KiB, anonymous +Y KiB, ...' between two dumps; empty without --dump."""
    if not args.dump:
        return ""
    a = smaps_kinds(os.path.join(args.dump, f"smaps-{before}.txt"))
    b = smaps_kinds(os.path.join(args.dump, f"smaps-{after}.txt"))
    return ", ".join(f"{k} {b.get(k, 0) - a.get(k, 0):+d} KiB" for k in ("heap", "anonymous", "files", "stack", "other"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--key", default="/fleet")
    ap.add_argument("--streams", type=int, default=100_000)
    ap.add_argument("--conns", type=int, default=500)
    ap.add_argument("--client", required=True, help="the built bench/h2/streams.c")
    ap.add_argument("--dump", help="folder for /proc/PID/smaps at each reading")
    add_worker_args(ap, timeout=120.0)
    args = ap.parse_args()
    if args.pid is None:
        ap.error("--pid is required")
    n, conns = args.streams, args.conns
    if n % conns:
        ap.error(f"--streams {n} is not a multiple of --conns {conns}")
    per_conn = n // conns
    sources = source_range(args.sources)
    host, port = args.host, args.port
    new_value = f"v{time.time_ns() % 10**14:014d}"   # unique to this run

    # 1. The node's index; the server idle.
    status, headers, _ = http(host, port, "GET", f"/v1/nodes{args.key}")
    if status != 200:
        sys.exit(f"h2 parked: GET /v1/nodes{args.key} answered {status}")
    index = int(headers["zkgate-index"])
    target = f"/v1/nodes{args.key}?index={index}&wait={args.wait}"
    procs = min(args.procs, conns)
    workers = StreamWorkers(args, n, -(-conns // procs))
    rss_idle = workers.measure_before()
    dump_smaps(args, "idle")
    print(f"zkgate: {n} streams on {conns} h2c connections ({per_conn} each) of `GET {target}`, "
          f"{procs} client processes, sources {sources[0]}..{sources[-1]}; RSS idle {rss_idle} KiB", flush=True)

    # 2. Connections, no streams yet.
    cmds, remaining = [], conns
    for i in range(procs):
        count = remaining // (procs - i)
        remaining -= count
        cmds.append([args.client, "-H", host, "-p", str(port), "-c", str(count), "-m", str(per_conn),
                     "-t", target, "-e", new_value, "-s", args.sources, "-o", str(i),
                     "-T", str(int(args.timeout))])
    workers.start(cmds)
    lines = workers.read_lines("connected", args.timeout + 5)
    if any(line is None for line in lines):
        workers.fail("a worker failed while connecting (see its error above)")
    opened = sum(int(line.split()[1]) for line in lines)
    failed = sum(int(line.split()[3]) for line in lines)
    if opened != conns or failed:
        workers.fail(f"{opened} of {conns} connections open, {failed} failed")
    time.sleep(args.settle)
    rss_conn = rss_kb(args.pid)
    dump_smaps(args, "connected")
    open_gauge = metric(host, port, "zkgate_http_connections_open")
    print(f"zkgate: {conns} h2c connections open (zkgate_http_connections_open = {open_gauge:.0f}, "
          f"this query's included); RSS {rss_conn} KiB: {(rss_conn - rss_idle) * 1024 / conns:.0f} bytes per connection",
          flush=True)

    # 3. The streams.
    workers.rss_before = rss_conn
    workers.started = time.monotonic()
    for w in workers.procs:
        w.stdin.write(b"go\n")
        w.stdin.flush()
    workers.await_parked()
    dump_smaps(args, "parked")
    with_conns = (workers.rss_after - rss_idle) * 1024 / n
    print(f"zkgate: {n} parked in {workers.park_seconds:.1f} s ({GAUGE} = {workers.gauge_after:.0f}); "
          f"RSS with them {workers.rss_after} KiB: {workers.per_parked:.0f} bytes per parked stream "
          f"({with_conns:.0f} with its share of the connections)", flush=True)
    growth = smaps_growth(args, "connected", "parked")
    if growth:
        print(f"zkgate: RSS growth from connected to parked by mapping (smaps): {growth}", flush=True)
    if workers.gauge_after != n:
        print(f"h2 parked: warning: {GAUGE} fell to {workers.gauge_after:.0f} before the write", file=sys.stderr)
    waited = time.monotonic() - workers.started
    wait_s = float(args.wait.rstrip("s"))
    if waited > wait_s - 5:
        workers.fail(f"the first streams have waited {waited:.0f} s of their {wait_s:.0f}: too late for the write")

    # 4. One write; every stream's answer time from the moment it was sent.
    ws = socket.create_connection((host, port), timeout=60)
    ws.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    write = request_bytes("PUT", host, port, f"/v1/nodes{args.key}", json.dumps({"data": new_value}).encode(),
                          "application/json")
    t0 = time.time_ns()
    ws.sendall(write)
    status, _, _ = read_response(ws)
    put_ms = (time.time_ns() - t0) / 1e6
    ws.close()
    if status not in (200, 201, 204):
        workers.fail(f"the write answered {status}")
    got = workers.results()
    time.sleep(args.settle)
    rss_answered = rss_kb(args.pid)
    dump_smaps(args, "answered")
    lat = [(ts - t0) / 1e6 for ts in got["ts"]]
    p50, p99, pmax = percentile(lat, 50), percentile(lat, 99), (lat[-1] if lat else float("nan"))
    print(f"zkgate: write answered {status} in {put_ms:.2f} ms; {got['answered']} of {n} answers "
          f"(first {lat[0] if lat else float('nan'):.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {pmax:.2f} ms after the write was sent; {got['kernel_ts']} kernel receive timestamps); "
          f"RSS after the answers {rss_answered} KiB", flush=True)
    failed = workers.failed(got)
    print(f"RESULT server=zkgate streams={n} conns={conns} rss_idle_kb={rss_idle} "
          f"bytes_per_conn={(rss_conn - rss_idle) * 1024 / conns:.0f} bytes_with_conns={with_conns:.0f} "
          f"rss_answered_kb={rss_answered} kernel_ts={got['kernel_ts']} first_ms={lat[0] if lat else float('nan'):.2f} "
          f"{workers.result_figures(got, put_ms, lat)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
