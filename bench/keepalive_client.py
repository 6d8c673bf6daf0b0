#!/usr/bin/env python3
"""Sends a fixed number of keep-alive GETs over a few connections, one request in flight per
connection, so a run under callgrind does a known amount of work. Prints the number of answers,
then how many had each status.

usage: keepalive_client.py [-H 'NAME: VALUE']... HOST PORT PATH REQUESTS [CONNECTIONS]
  -H, --header   a header field sent with every request (repeatable), as curl's and wrk's -H"""
import argparse
import selectors
import socket


def main():
    parser = argparse.ArgumentParser(description="Fixed number of keep-alive GETs, one in flight per connection.")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("requests", type=int)
    parser.add_argument("connections", type=int, nargs="?", default=8)
    args = parser.parse_args()
    host, port, path, total, conns = args.host, args.port, args.path, args.requests, args.connections
    for field in args.header:
        name, colon, _ = field.partition(":")
        if not colon or not name.strip() or any(c in field for c in "\r\n"):
            parser.error(f"a header is 'Name: value' on one line, not {field!r}")
    fields = "".join(f"{field}\r\n" for field in args.header)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{fields}\r\n".encode()
    sel = selectors.DefaultSelector()
    sent = done = 0
    state = {}
    statuses = {}
    for _ in range(min(conns, total)):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(request)
        sent += 1
        state[s] = b""
        sel.register(s, selectors.EVENT_READ)
    while done < total:
        for key, _ in sel.select():
            s = key.fileobj
            data = s.recv(65536)
            if not data:
                raise SystemExit("server closed a connection")
            buf = state[s] + data
            # Each answer is a head with Content-Length and a body; count complete ones.
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                length = 0
                lines = buf[:end].split(b"\r\n")
                status_line = lines[0].split(b" ", 2)
                status = status_line[1].decode() if len(status_line) > 1 else "?"
                statuses[status] = statuses.get(status, 0) + 1
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(buf) < end + 4 + length:
                    break
                buf = buf[end + 4 + length:]
                done += 1
                if sent < total:
                    s.sendall(request)
                    sent += 1
            state[s] = buf
    print(f"{done} answers")
    print(", ".join(f"status {code}: {n}" for code, n in sorted(statuses.items())))


if __name__ == "__main__":
    main()
