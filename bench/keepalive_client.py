#!/usr/bin/env python3
"""Sends a fixed number of keep-alive GETs over a few connections, one request in flight per
connection, so a run under callgrind does a known amount of work.

usage: keepalive_client.py HOST PORT PATH REQUESTS [CONNECTIONS]"""
import selectors
import socket
import sys


def main():
    host, port, path, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    conns = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    sent = done = 0
    state = {}
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
                for line in buf[:end].split(b"\r\n")[1:]:
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


if __name__ == "__main__":
    main()
