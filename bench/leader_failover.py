#!/usr/bin/env python3
"""bench/leader_failover.py — for bench/leader-failover.sh: how long after the ZooKeeper leader
is killed writes through zkgate work again, against how long the ensemble itself takes to
elect a new leader, in the same run.

A writer thread PUTs /v1/nodes/bench-failover/n one request after another over keep-alive
connections (a new one after any error), logging each request's start, end and status. Each
round kills the leader (deploy/zk-ensemble.sh kill N) and polls the surviving members' `srvr`
every 20 ms until one says it leads: the election time. The writes' resume time is the end of
the first request started after the kill that succeeded. Then the killed member is started
again and the ensemble waited for before the next round.

Prints one line per round (election ms, resume ms, their difference, writes failed meanwhile
and with which statuses), then a JSON line with the medians.

Usage: leader_failover.py PORT ENSEMBLE_SCRIPT ROUNDS
"""
import collections
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time

port, script, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
log = []  # (started, ended, status)
lock = threading.Lock()
stop = threading.Event()


def ensemble(*args):
    return subprocess.run(["bash", script, *args], capture_output=True, text=True)


def writer():
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request("PUT", "/v1/nodes/bench-failover/n?parents=true",
                         body=json.dumps({"data": str(n)}), headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            status = r.status
        except Exception as e:
            status = type(e).__name__
            conn = None
        with lock:
            log.append((started, time.monotonic(), status))
        if status not in (200, 201):
            time.sleep(0.005)


thread = threading.Thread(target=writer)
thread.start()
time.sleep(2)
elections, resumes, gaps = [], [], []
try:
    for rnd in range(1, rounds + 1):
        leader = ensemble("leader").stdout.strip()
        if not leader.isdigit():
            sys.exit(f"no leader before round {rnd}")
        others = [m for m in ("1", "2", "3") if m != leader]
        # Timed from the kill's return: the script waits until the process is gone, and a
        # write before that may rightly succeed.
        ensemble("kill", leader)
        killed = time.monotonic()
        elected = None
        while elected is None and time.monotonic() - killed < 60:
            for m in others:
                if "Mode: leader" in ensemble("4lw", m, "srvr").stdout:
                    elected = time.monotonic()
                    break
            else:
                time.sleep(0.02)
        resumed = None
        while resumed is None and time.monotonic() - killed < 60:
            with lock:
                done = [e for s, e, st in log if s >= killed and st in (200, 201)]
            if done:
                resumed = min(done)
            else:
                time.sleep(0.02)
        with lock:
            failed = collections.Counter(str(st) for s, e, st in log if killed <= s <= (resumed or s) and st not in (200, 201))
        election_ms = round(1000 * (elected - killed)) if elected else None
        resume_ms = round(1000 * (resumed - killed)) if resumed else None
        gap = resume_ms - election_ms if election_ms is not None and resume_ms is not None else None
        print(f"{rnd:<6} {leader:>7} {election_ms!s:>12} {resume_ms!s:>10} {gap!s:>8}   {dict(failed)}", flush=True)
        if election_ms is not None:
            elections.append(election_ms)
        if resume_ms is not None:
            resumes.append(resume_ms)
        if gap is not None:
            gaps.append(gap)
        ensemble("start-member", leader)
        ensemble("wait")
        time.sleep(2)
finally:
    stop.set()
    thread.join()
print(json.dumps({
    "election_ms": statistics.median(elections) if elections else None,
    "resume_ms": statistics.median(resumes) if resumes else None,
    "gap_ms": statistics.median(gaps) if gaps else None,
    "gap_max_ms": max(gaps) if gaps else None,
    "rounds": len(gaps),
}))
