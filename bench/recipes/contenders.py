#!/usr/bin/env python3
"""bench/recipes/contenders.py — N HTTP contenders queue on one zkgate lock; each releases the
moment it is granted. Checks that every grant reaches its waiter and measures the hand-over:
from the previous holder's release being answered to the next grant's answer arriving.

Why: a lock is only as useful as its queue is reliable. With N waiters parked on one lock, each
release must wake exactly the next waiter (no herd, no lost wake-up, no 409 for a waiter whose
turn came), and the time a hand-over takes bounds how many turns a busy lock can give.

Usage: bench/recipes/contenders.py --port PORT [--host 127.0.0.1] [--lock NAME]
                                   [--contenders 1000] [--wait 55s] [--ttl 300000]
                                   [--settle 2] [--timeout 180]

What it does:
  1. Opens --contenders device sessions (POST /v1/sessions, TTL --ttl ms, long enough for the
     whole run, so none is renewed meanwhile).
  2. Contender 1 acquires the lock (POST /v1/locks/NAME {"session", "wait"}) and holds it.
  3. The other N-1 each open a keep-alive connection and POST their acquire with --wait; the
     script waits until GET /v1/locks/NAME lists all N-1 in the queue, then --settle seconds
     more: each joiner's request still reads the queue once it is listed, and the first
     hand-over should not wait behind those reads. Every hand-over measured has a full queue.
  4. Contender 1 releases (DELETE /v1/locks/NAME?token=T). From then on, whenever a grant (a
     200) reaches a contender, it sends its DELETE at once on the same connection.
  Times are the kernel's receive timestamps of each answer's first bytes (SO_TIMESTAMPNS), so
  this process's own scheduling does not count, and sending times are taken just before the
  send. For grant k+1 (k = 1 .. N-1):
    hand-over    = grant k+1 received - release k answered (can be slightly negative: the
                   server may wake the next waiter before the release's own answer is out)
    from release = grant k+1 received - release k sent
  It also checks: exactly N grants and N releases (204), no other answer; tokens strictly
  increasing; no grant arriving before the previous holder's release was sent (mutual
  exclusion as a client sees it); and whether grants came in the queue's order (FIFO).
The last line starts with "RESULT" and holds every figure as key=value. Exits non-zero when a
grant was missing or any check failed.
"""

import argparse
import json
import os
import selectors
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from longpoll import (SO_TIMESTAMPNS, http, kernel_ts, percentile, raise_nofile,  # noqa: E402  (bench/longpoll.py)
                      read_response, request_bytes)


class Contender:
    __slots__ = ("n", "session", "sock", "buf", "ts", "phase", "token", "grant_ts", "release_sent",
                 "release_ts", "status")

    def __init__(self, n, session):
        self.n, self.session = n, session
        self.sock, self.buf, self.ts = None, b"", 0
        self.phase = "idle"          # idle -> acquiring -> releasing -> done
        self.token = None
        self.grant_ts = self.release_sent = self.release_ts = 0
        self.status = None


def parse_answer(buf: bytes):
    """(status, body, rest) when buf holds one complete answer, else None."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked answers are not expected here")
    if status in (204, 304) or 100 <= status < 200:
        length = 0
    if len(rest) < length:
        return None
    return status, rest[:length], rest[length:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lock", default="bench/contended")
    ap.add_argument("--contenders", type=int, default=1000)
    ap.add_argument("--wait", default="55s")
    ap.add_argument("--ttl", type=int, default=300_000)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds between a full queue and the first release")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds for the whole run")
    args = ap.parse_args()
    host, port, n = args.host, args.port, args.contenders
    hard = raise_nofile()
    if n + 64 > hard:
        sys.exit(f"contenders: {n} connections exceed the descriptor limit {hard}")
    lock_url = f"/v1/locks/{args.lock}"
    deadline = time.monotonic() + args.timeout

    # 1. Sessions, over a few keep-alive connections at once (not timed).
    def open_sessions(count):
        s = socket.create_connection((host, port), timeout=30)
        out = []
        try:
            for _ in range(count):
                s.sendall(request_bytes("POST", host, port, "/v1/sessions",
                                        json.dumps({"ttl": args.ttl}).encode(), "application/json"))
                status, _, body = read_response(s)
                if status != 201:
                    raise RuntimeError(f"POST /v1/sessions answered {status}: {body[:200]!r}")
                out.append(json.loads(body)["id"])
        finally:
            s.close()
        return out
    t0 = time.monotonic()
    parts = [n // 16 + (1 if i < n % 16 else 0) for i in range(16)]
    with ThreadPoolExecutor(16) as pool:
        sessions = [sid for chunk in pool.map(open_sessions, [p for p in parts if p]) for sid in chunk]
    print(f"contenders: {n} sessions opened in {time.monotonic() - t0:.1f} s", flush=True)
    cs = [Contender(i + 1, sid) for i, sid in enumerate(sessions)]
    by_session = {c.session: c for c in cs}

    sel = selectors.EpollSelector()

    def connect(c):
        s = socket.create_connection((host, port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setblocking(False)
        c.sock = s
        sel.register(s, selectors.EVENT_READ, c)

    def send_acquire(c):
        body = json.dumps({"session": c.session, "wait": args.wait}).encode()
        c.phase = "acquiring"
        c.sock.send(request_bytes("POST", host, port, lock_url, body, "application/json"))

    def send_release(c):
        c.phase = "releasing"
        c.release_sent = time.time_ns()
        c.sock.send(request_bytes("DELETE", host, port, f"{lock_url}?token={c.token}"))

    grants, releases, problems = [], 0, []

    def on_answer(c, status, body, ts):
        nonlocal releases
        if c.phase == "acquiring":
            if status != 200:
                problems.append(f"contender {c.n}: acquire answered {status}: {body[:200]!r}")
                c.phase = "done"
                return False
            c.token = json.loads(body)["token"]
            c.grant_ts = ts
            grants.append(c)
            return True
        if c.phase == "releasing":
            if status != 204:
                problems.append(f"contender {c.n}: release answered {status}: {body[:200]!r}")
            c.release_ts = ts
            c.phase = "done"
            releases += 1
            return False
        problems.append(f"contender {c.n}: unexpected answer {status} in phase {c.phase}")
        return False

    def pump(timeout):
        """Reads what arrived; a granted contender releases at once."""
        for key, _ in sel.select(timeout=timeout):
            c = key.data
            try:
                data, anc, _, _ = c.sock.recvmsg(65536, socket.CMSG_SPACE(16))
            except BlockingIOError:
                continue
            except OSError as e:
                problems.append(f"contender {c.n}: recv: {e}")
                sel.unregister(c.sock)
                c.phase = "done"
                continue
            if not data:
                if c.phase != "done":
                    problems.append(f"contender {c.n}: closed by the server in phase {c.phase}")
                sel.unregister(c.sock)
                c.phase = "done"
                continue
            if not c.buf:
                c.ts = kernel_ts(anc) or time.time_ns()
            c.buf += data
            while True:
                parsed = parse_answer(c.buf)
                if parsed is None:
                    break
                status, body, c.buf = parsed
                if on_answer(c, status, body, c.ts):
                    send_release(c)
                c.ts = kernel_ts(anc) or time.time_ns()

    # 2. The first holder.
    first = cs[0]
    connect(first)
    send_acquire(first)
    while not grants and time.monotonic() < deadline and not problems:
        for key, _ in sel.select(timeout=1):
            c = key.data
            data, anc, _, _ = c.sock.recvmsg(65536, socket.CMSG_SPACE(16))
            if not c.buf:
                c.ts = kernel_ts(anc) or time.time_ns()
            c.buf += data
            parsed = parse_answer(c.buf)
            if parsed:
                status, body, c.buf = parsed
                on_answer(c, status, body, c.ts)
    if not grants:
        sys.exit(f"contenders: the first acquire failed: {problems}")

    # 3. The others queue behind it.
    t0 = time.monotonic()
    for c in cs[1:]:
        connect(c)
        send_acquire(c)
    queue = []
    while time.monotonic() < deadline:
        pump(0)
        if problems:
            break
        status, _, body = http(host, port, "GET", lock_url)
        if status == 200:
            queue = json.loads(body)["queue"]
            if len(queue) >= n - 1:
                break
        time.sleep(0.1)
    queued_s = time.monotonic() - t0
    print(f"contenders: {len(queue)} queued behind the holder in {queued_s:.1f} s", flush=True)
    if problems or len(queue) < n - 1:
        for line in problems[:5]:
            print("contenders: " + line, file=sys.stderr)
        print(f"RESULT contenders={n} queued={len(queue)} grants={len(grants)} ok=0", flush=True)
        return 1
    queue_order = [by_session.get(entry.get("session")) for entry in queue]
    settle_end = time.monotonic() + args.settle
    while time.monotonic() < settle_end and not problems:
        pump(max(0.0, settle_end - time.monotonic()))

    # 4. Release the first holder; every grant releases at once until all are done.
    t_start = time.time_ns()
    send_release(first)
    while releases < n and time.monotonic() < deadline:
        pump(1)
        if all(c.phase == "done" for c in cs):
            break
    t_end = time.time_ns()
    for c in cs:
        if c.sock is not None:
            try:
                sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            c.sock.close()

    # Checks and figures.
    missing = [c.n for c in cs if c.grant_ts == 0]
    tokens = [c.token for c in grants]
    increasing = all(a < b for a, b in zip(tokens, tokens[1:]))
    overlap = sum(1 for a, b in zip(grants, grants[1:]) if b.grant_ts < a.release_sent)
    fifo = [c for c in grants[1:]] == queue_order
    handover = sorted((b.grant_ts - a.release_ts) / 1e6 for a, b in zip(grants, grants[1:]) if a.release_ts)
    from_release = sorted((b.grant_ts - a.release_sent) / 1e6 for a, b in zip(grants, grants[1:]))
    release_ms = sorted((c.release_ts - c.release_sent) / 1e6 for c in grants if c.release_ts)
    total_s = ((grants[-1].release_ts if grants and grants[-1].release_ts else t_end) - t_start) / 1e9
    ok = not missing and not problems and len(grants) == n and releases == n and increasing and overlap == 0

    def stats(values):
        if not values:
            return "nan", "nan", "nan", "nan"
        return (f"{values[0]:.2f}", f"{percentile(values, 50):.2f}", f"{percentile(values, 99):.2f}",
                f"{values[-1]:.2f}")
    h_min, h50, h99, hmax = stats(handover)
    _, r50, r99, rmax = stats(from_release)
    _, rel50, rel99, _ = stats(release_ms)
    print(f"contenders: {len(grants)} of {n} grants, {releases} releases in {total_s:.2f} s "
          f"({(len(grants) - 1) / total_s if total_s > 0 else 0:.0f} hand-overs/s); hand-over "
          f"(release answered -> next grant) min {h_min} p50 {h50} p99 {h99} max {hmax} ms; "
          f"from release sent p50 {r50} p99 {r99} max {rmax} ms; release answer p50 {rel50} p99 {rel99} ms", flush=True)
    pairs = [((b.grant_ts - a.release_ts) / 1e6, k + 2) for k, (a, b) in enumerate(zip(grants, grants[1:])) if a.release_ts]
    slowest = ", ".join(f"grant {k}: {ms:.1f} ms" for ms, k in sorted(pairs, reverse=True)[:3])
    print(f"contenders: slowest hand-overs: {slowest}", flush=True)
    print(f"contenders: tokens strictly increasing: {'yes' if increasing else 'NO'}; grants before the "
          f"previous release was sent: {overlap}; grants in queue order (FIFO): {'yes' if fifo else 'no'}", flush=True)
    for line in problems[:5]:
        print("contenders: " + line, file=sys.stderr)
    if missing:
        print(f"contenders: no grant for {len(missing)} contender(s), e.g. {missing[:10]}", file=sys.stderr)
    print(f"RESULT contenders={n} queued={len(queue)} queue_s={queued_s:.1f} grants={len(grants)} "
          f"releases={releases} problems={len(problems)} total_s={total_s:.2f} "
          f"handover_min_ms={h_min} handover_p50_ms={h50} handover_p99_ms={h99} handover_max_ms={hmax} "
          f"from_release_p50_ms={r50} from_release_p99_ms={r99} release_p50_ms={rel50} release_p99_ms={rel99} "
          f"increasing={int(increasing)} overlap={overlap} fifo={int(fifo)} ok={int(ok)}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
