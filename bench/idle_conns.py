#!/usr/bin/env python3
"""bench/idle_conns.py — hold N idle HTTP/1.1 keep-alive connections open against a server.

Why: to measure what an idle keep-alive connection costs a server in memory (bench/http1.sh
reads the server's RSS before and while this runs). Each connection makes one request first,
so the server has set up whatever per-connection state a real client leaves behind (parser,
buffers, timers), and then the connection just sits there.

Usage: bench/idle_conns.py [--host 127.0.0.1] [--port 18080] [--conns 10000]
                           [--path /healthz] [--batch 256] [--exit-on-stdin-eof]

It opens the connections in batches (so the listen backlog never overflows), sends one
`GET PATH` on each, reads each response completely (Content-Length or chunked) and checks for
status 200. Then it prints a line starting with "ready", keeps every connection open, and waits
until it gets SIGTERM/SIGINT (or, with --exit-on-stdin-eof, until stdin is closed). It exits
non-zero if any connection failed or if the server closed one while it was being held. The
soft RLIMIT_NOFILE is raised to the hard limit first.
"""

import argparse
import asyncio
import resource
import signal
import sys
import time


def raise_nofile(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < needed:
        sys.exit(f"idle_conns: need about {needed} descriptors, the limit is {soft}")


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response completely; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            await reader.readexactly(size + 2)  # data and its CRLF
            if size == 0:
                break  # (no trailers expected on /healthz)
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    if headers.get("connection", "").lower() == "close":
        raise ConnectionError("server answered with Connection: close")
    return status


async def open_one(host: str, port: int, request: bytes):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    status = await read_response(reader)
    if status != 200:
        writer.close()
        raise ConnectionError(f"status {status}")
    return reader, writer


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--batch", type=int, default=256, help="connections opened at once")
    ap.add_argument("--exit-on-stdin-eof", action="store_true")
    args = ap.parse_args()

    raise_nofile(args.conns + 64)
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "User-Agent: zkgate-bench-idle\r\n\r\n").encode()

    started = time.monotonic()
    conns = []
    failures = 0
    first_error = None
    for begin in range(0, args.conns, args.batch):
        count = min(args.batch, args.conns - begin)
        results = await asyncio.gather(
            *(open_one(args.host, args.port, request) for _ in range(count)),
            return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                failures += 1
                first_error = first_error or repr(r)
            else:
                conns.append(r)
    elapsed = time.monotonic() - started
    if failures:
        print(f"idle_conns: {failures} of {args.conns} connections failed; first: {first_error}",
              file=sys.stderr, flush=True)
        return 1
    print(f"ready {len(conns)} connections to {args.host}:{args.port} in {elapsed:.1f} s",
          flush=True)

    # Hold. A read that completes means the server sent something or closed: note it.
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        stdin_reader = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stdin_reader), sys.stdin)

        async def watch_stdin():
            while await stdin_reader.read(4096):
                pass
            stop.set()
        asyncio.ensure_future(watch_stdin())

    closed_by_server = 0

    async def watch(reader):
        nonlocal closed_by_server
        try:
            await reader.read(1)
        except (ConnectionError, OSError):
            pass
        if not stop.is_set():
            closed_by_server += 1
    watchers = [asyncio.ensure_future(watch(r)) for r, _ in conns]

    await stop.wait()
    for w in watchers:
        w.cancel()
    for _, writer in conns:
        writer.transport.abort()
    if closed_by_server:
        print(f"idle_conns: the server closed {closed_by_server} held connections",
              file=sys.stderr, flush=True)
        return 2
    print(f"idle_conns: closed {len(conns)} connections", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
