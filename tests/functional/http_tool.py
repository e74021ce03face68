#!/usr/bin/env python3
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
"""http_tool.py -- HTTP clients for the -metrics scenarios: scrapes (one,
or many checked against their Content-Length), raw requests, idle
connections, connect floods, bad PROXY headers, Prometheus queries."""

import argparse
import json
import os
import socket
import sys
import time
import urllib.parse


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def exchange(addr, data, timeout, pause=0):
    """Send data, read until the server closes; (reply bytes, seconds).
    pause: seconds to wait between reads of at most 16 KiB, with a small
    receive buffer, as a scraper far away would read."""
    t0 = time.monotonic()
    host, port = split_hostport(addr)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                       socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        if pause:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.connect((host, port))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(16384 if pause else 65536)
            if not b:
                break
            chunks.append(b)
            if pause:
                time.sleep(pause)
    return b"".join(chunks), time.monotonic() - t0


def cmd_get(args):
    """GET a path; prints the status line to stderr, the body to --out."""
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: http_tool\r\n\r\n"
           % (args.path, args.connect)).encode()
    reply, secs = exchange(args.connect, req, args.timeout)
    head, _, body = reply.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode("latin-1")
    sys.stderr.write("%s (%.3f s)\n" % (status, secs))
    if args.out:
        with open(args.out, "wb") as f:
            f.write(body)
    print(json.dumps({"status": status, "secs": round(secs, 3),
                      "head": head.decode("latin-1"), "len": len(body)}))
    return 0 if status.split(" ")[1:2] == [str(args.expect)] else 1


def cmd_raw(args):
    """Send bytes (Python escapes allowed); print the reply's status line."""
    data = args.data.encode("latin-1").decode("unicode_escape")
    reply, secs = exchange(args.connect, data.encode("latin-1"),
                           args.timeout)
    status = reply.split(b"\r\n")[0].decode("latin-1")
    print(status)
    return 0


def cmd_idle(args):
    """Open count connections that send nothing; hold them secs."""
    socks = []
    for _ in range(args.count):
        socks.append(socket.create_connection(split_hostport(args.connect),
                                              timeout=5))
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")
    time.sleep(args.secs)
    closed = 0
    for s in socks:
        s.settimeout(0.1)
        try:
            if s.recv(1) == b"":
                closed += 1
        except OSError:
            closed += 1
        s.close()
    print(json.dumps({"count": args.count, "closed_by_server": closed}))
    return 0


def cmd_flood(args):
    """threads connect as fast as they can for secs (or until stop_file
    exists), each holding its last hold connections open (sending
    nothing, or --partial: half a request line)."""
    import collections
    import threading
    stop = time.monotonic() + args.secs
    counts = {"connects": 0, "errors": 0}
    lock = threading.Lock()

    def run():
        held = collections.deque()
        n = err = 0
        while time.monotonic() < stop and not (
                args.stop_file and os.path.exists(args.stop_file)):
            try:
                s = socket.create_connection(
                    split_hostport(args.connect), timeout=1,
                    source_address=(args.bind, 0) if args.bind else None)
                if args.partial:
                    s.sendall(b"GET /met")
                held.append(s)
                n += 1
            except OSError:
                err += 1
            while len(held) > args.hold:
                held.popleft().close()
        for s in held:
            s.close()
        with lock:
            counts["connects"] += n
            counts["errors"] += err

    ts = [threading.Thread(target=run) for _ in range(args.threads)]
    for t in ts:
        t.start()
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")
    for t in ts:
        t.join()
    print(json.dumps(counts))
    return 0


def cmd_scrapes(args):
    """count scrapes one after the other; each must be a 200 whose body
    is as long as its Content-Length."""
    req = ("GET /metrics HTTP/1.1\r\nHost: %s\r\n\r\n"
           % args.connect).encode()
    res = {"count": args.count, "ok": 0, "short": 0, "failed": 0,
           "max_secs": 0.0}
    for _ in range(args.count):
        try:
            reply, secs = exchange(args.connect, req, args.timeout,
                                   args.pause)
        except OSError as e:
            res["failed"] += 1
            res["error"] = str(e)
            continue
        res["max_secs"] = max(res["max_secs"], round(secs, 3))
        head, _, body = reply.partition(b"\r\n\r\n")
        want = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                want = int(v)
        if not head.startswith(b"HTTP/1.1 200 ") or want is None:
            res["failed"] += 1
            res["error"] = "answer %r" % head[:40]
        elif len(body) != want:
            res["short"] += 1
        else:
            res["ok"] += 1
    print(json.dumps(res))
    return 0 if res["ok"] == args.count else 1


def cmd_badpp(args):
    """count connections with no PROXY header, each closed by the server."""
    bad = 0
    for _ in range(args.count):
        reply, _ = exchange(args.connect, b"GET / HTTP/1.0\r\n\r\n",
                            args.timeout)
        if reply:
            bad += 1
    print(json.dumps({"count": args.count, "answered": bad}))
    return 0 if bad == 0 else 1


def cmd_promq(args):
    """An instant query; prints the first sample's value, or "none"."""
    import urllib.request
    url = "http://%s/api/v1/query?%s" % (
        args.connect, urllib.parse.urlencode({"query": args.query}))
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as r:
            res = json.loads(r.read())["data"]["result"]
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("promq: %s\n" % e)
        print("none")
        return 1
    print(res[0]["value"][1] if res else "none")
    return 0


def cmd_rules(args):
    """Rules loaded in group: "COUNT HEALTH..." (e.g. "2 ok ok")."""
    import urllib.request
    url = "http://%s/api/v1/rules" % args.connect
    with urllib.request.urlopen(url, timeout=args.timeout) as r:
        groups = json.loads(r.read())["data"]["groups"]
    rules = [r for g in groups if g["name"] == args.group
             for r in g["rules"]]
    print(" ".join([str(len(rules))] + [r["health"] for r in rules]))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("get")
    g.add_argument("--connect", required=True)
    g.add_argument("--path", default="/metrics")
    g.add_argument("--expect", type=int, default=200)
    g.add_argument("--out")
    g.add_argument("--timeout", type=float, default=5)
    g.set_defaults(fn=cmd_get)
    r = sub.add_parser("raw")
    r.add_argument("--connect", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--timeout", type=float, default=5)
    r.set_defaults(fn=cmd_raw)
    i = sub.add_parser("idle")
    i.add_argument("--connect", required=True)
    i.add_argument("--count", type=int, default=1)
    i.add_argument("--secs", type=float, default=5)
    i.add_argument("--ready-file")
    i.set_defaults(fn=cmd_idle)
    f = sub.add_parser("flood")
    f.add_argument("--connect", required=True)
    f.add_argument("--secs", type=float, default=5)
    f.add_argument("--threads", type=int, default=4)
    f.add_argument("--hold", type=int, default=16)
    f.add_argument("--partial", action="store_true")
    f.add_argument("--bind", help="source address (a flood uses up the "
                   "ports of one)")
    f.add_argument("--ready-file")
    f.add_argument("--stop-file", help="stop early once it exists")
    f.set_defaults(fn=cmd_flood)
    c = sub.add_parser("scrapes")
    c.add_argument("--connect", required=True)
    c.add_argument("--count", type=int, default=10)
    c.add_argument("--timeout", type=float, default=5)
    c.add_argument("--pause", type=float, default=0,
                   help="between reads, with a small receive buffer")
    c.set_defaults(fn=cmd_scrapes)
    b = sub.add_parser("badpp")
    b.add_argument("--connect", required=True)
    b.add_argument("--count", type=int, default=1)
    b.add_argument("--timeout", type=float, default=10)
    b.set_defaults(fn=cmd_badpp)
    q = sub.add_parser("promq")
    q.add_argument("--connect", required=True)
    q.add_argument("--query", required=True)
    q.add_argument("--timeout", type=float, default=5)
    q.set_defaults(fn=cmd_promq)
    r = sub.add_parser("rules")
    r.add_argument("--connect", required=True)
    r.add_argument("--group", required=True)
    r.add_argument("--timeout", type=float, default=5)
    r.set_defaults(fn=cmd_rules)
    args = p.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
