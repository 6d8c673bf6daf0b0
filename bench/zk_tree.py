#!/usr/bin/env python3
"""bench/zk_tree.py — list and delete benchmark subtrees on the ZooKeeper ensemble (kazoo).

Why: bench/zk-gateway.sh gives every zkgate it starts a fresh chroot (/zk-gateway-<pid>-<tag>)
and must leave nothing behind on a shared ensemble. A gateway cannot delete its own chroot
node, and tens of thousands of nodes are too slow to delete one round trip at a time, so this
deletes a subtree with CONCURRENCY deletes outstanding (kazoo's async API), deepest first.

Usage (with the repository's venv, .build-py/bin/python, made by scripts/setup.sh):
  zk_tree.py --connect HOSTS delete PATH...     delete each subtree; a missing one is fine
  zk_tree.py --connect HOSTS ls PREFIX          root children whose name starts with PREFIX
  zk_tree.py --connect HOSTS count PATH         the number of children of PATH
Prints one line per subtree deleted (nodes, seconds). Exits 1 on any other error.
"""
import argparse
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError, NotEmptyError


def subtree(zk, path):
    """Every node below path, parents before children (breadth first), path excluded."""
    out, level = [], [path]
    while level:
        nxt = []
        futures = [(p, zk.get_children_async(p)) for p in level]
        for p, f in futures:
            try:
                kids = f.get(timeout=60)
            except NoNodeError:
                continue
            base = p.rstrip("/")
            nxt.extend(base + "/" + k for k in kids)
        out.extend(nxt)
        level = nxt
    return out


def delete_all(zk, paths, concurrency):
    """Deletes paths (children listed after their parents: deleted in reverse), pipelined."""
    permits = threading.Semaphore(concurrency)
    errors = []

    def done(result):
        if not result.successful() and not isinstance(result.exception, NoNodeError):
            errors.append(result.exception)
        permits.release()

    # Deepest first, one depth at a time: a parent goes only after all its children did.
    by_depth = {}
    for p in paths:
        by_depth.setdefault(p.count("/"), []).append(p)
    for depth in sorted(by_depth, reverse=True):
        for p in by_depth[depth]:
            permits.acquire()
            zk.delete_async(p).rawlink(done)
        for _ in range(concurrency):
            permits.acquire()
        for _ in range(concurrency):
            permits.release()
        if errors:
            raise errors[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connect", required=True)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("command", choices=("delete", "ls", "count"))
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    zk = KazooClient(hosts=a.connect, timeout=10)
    zk.start(timeout=20)
    status = 0
    try:
        if a.command == "ls":
            prefix = a.paths[0]
            for name in sorted(zk.get_children("/")):
                if name.startswith(prefix):
                    print("/" + name)
        elif a.command == "count":
            print(zk.exists(a.paths[0]).numChildren)
        else:
            for path in a.paths:
                t0 = time.monotonic()
                if not zk.exists(path):
                    print("%s: absent" % path)
                    continue
                for attempt in range(3):
                    below = subtree(zk, path)
                    delete_all(zk, below, a.concurrency)
                    try:
                        zk.delete(path)
                        break
                    except NoNodeError:
                        break
                    except NotEmptyError:   # a child created meanwhile: list again
                        if attempt == 2:
                            raise
                print("%s: deleted %d nodes in %.1f s" % (path, len(below) + 1, time.monotonic() - t0))
    except Exception as e:  # noqa: BLE001 - report anything and fail
        print("zk_tree: error: %r" % (e,), file=sys.stderr)
        status = 1
    finally:
        zk.stop()
        zk.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
