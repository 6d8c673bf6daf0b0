#!/usr/bin/env python3
"""bench/topology_load.py — a closed loop of writes and reads through HAProxy, for
bench/topology-kill.sh: WRITERS threads, each on a keep-alive connection, set their own node to
1, 2, 3, ... and read it back with the write's Zkgate-Index, for SECONDS seconds.

Prints one JSON line: requests answered 2xx, writes of unknown outcome (503 + Retry-After, or a
connection closed unanswered under a write), other failures, and the latency percentiles
(p50, p99, max, in ms) of every request, answered or not.

Usage: topology_load.py PORT SECONDS [WRITERS]
"""
import http.client
import json
import sys
import threading
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
writers = int(sys.argv[3]) if len(sys.argv) > 3 else 6
stop = threading.Event()
lock = threading.Lock()
latencies = []
counts = {"ok": 0, "unknown": 0, "failed": 0}


def record(started, outcome):
    with lock:
        latencies.append(time.monotonic() - started)
        counts[outcome] += 1


def worker(i):
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        phase = "write"
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("PUT", f"/v1/nodes/bench-topology/w{i}?parents=true",
                         body=json.dumps({"data": str(n)}), headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status == 503 and r.getheader("Retry-After"):
                record(started, "unknown")
                conn = None
                continue
            if r.status not in (200, 201):
                record(started, "failed")
                continue
            record(started, "ok")
            index = r.getheader("Zkgate-Index") or "0"
            started = time.monotonic()
            phase = "read"
            conn.request("GET", f"/v1/nodes/bench-topology/w{i}", headers={"Zkgate-Index": index})
            r = conn.getresponse()
            r.read()
            record(started, "ok" if r.status == 200 else "failed")
        except (http.client.RemoteDisconnected, ConnectionResetError):
            # A write cut off unanswered may or may not have been applied; a read must not be.
            record(started, "unknown" if phase == "write" else "failed")
            conn = None
        except Exception:
            record(started, "failed")
            conn = None


threads = [threading.Thread(target=worker, args=(i,)) for i in range(writers)]
for t in threads:
    t.start()
time.sleep(seconds)
stop.set()
for t in threads:
    t.join()
latencies.sort()


def pct(p):
    return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2) if latencies else None


print(json.dumps({**counts, "p50": pct(0.50), "p99": pct(0.99), "max": round(1000 * latencies[-1], 2) if latencies else None}))
