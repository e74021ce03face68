#!/usr/bin/env python3
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
"""
udp_tool.py -- UDP test tools for mmproxyd's -p udp scenarios.

  echo   a UDP echo server on one or more addresses: every datagram goes
         back byte-exact to its sender, and one JSON line per datagram
         (peer, local, len, sha256) goes to --log
  burst  plays several load balancers at once: --lbs sockets send
         --count datagrams for each of --clients clients without waiting,
         then every reply must come back, byte-exact, to the socket that
         sent its request; prints one JSON result line
  send   plays the load balancer: from --bind, sends datagrams that carry
         a PROXY header of --kind and a payload to --to, then checks the
         reply (--expect echo: the same bytes; none: silence); prints one
         JSON result line (--connect: on a connected socket; --stop-file:
         sends no more once that file exists)
  wait   until a UDP socket is bound to --port (or --gone: none is)

Every blocking call has a timeout. Exit status: 0 when the tool's own checks
pass, 1 otherwise, 2 on usage errors.
"""

import argparse
import hashlib
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

# Address and header helpers shared with the TCP tool beside this one.
from pp_tool import V2_SIG, addr_str, family_of, out, split_hostport
from pp_tool import v2_header as pp_v2_header


def v2_header(src, dst, cmd=1, transport=2, version=2):
    """A v2 header for src -> dst ('ip:port'); transport 1 STREAM, 2 DGRAM."""
    fam = 0x20 if ":" in split_hostport(src)[0] else 0x10
    return pp_v2_header(src, dst, cmd=cmd, version=version,
                        fam=fam | transport)


def make_header(kind, src, dst):
    if kind == "proxy":
        return v2_header(src, dst)
    if kind == "local":
        return V2_SIG + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    if kind == "stream":
        return v2_header(src, dst, transport=1)
    if kind == "badver":
        return v2_header(src, dst, version=3)
    if kind == "unspec":
        return V2_SIG + bytes([0x21, 0x00]) + struct.pack("!H", 0)
    if kind == "truncated":
        # The header says 12 address bytes; only 6 are there.
        return v2_header(src, dst)[:16 + 6]
    if kind == "v1":
        sh, sp = split_hostport(src)
        dh, dp = split_hostport(dst)
        proto = "TCP6" if ":" in sh else "TCP4"
        return ("PROXY %s %s %s %d %d\r\n" % (proto, sh, dh, sp, dp)).encode()
    if kind == "none":
        return b""
    if kind.startswith("hex:"):
        return bytes.fromhex(kind[4:])
    raise SystemExit("unknown header kind %r" % kind)


# ------------------------------------------------------------------- echo

def cmd_echo(args):
    socks = []
    for a in args.listen:
        host, port = split_hostport(a)
        s = socket.socket(family_of(host), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ":" in host:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Room for a held burst: nothing may drop here.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((host, port))
        socks.append(s)
    held = []
    log = open(args.log, "a", buffering=1)
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        r, _, _ = select.select(socks, [], [], 1.0)
        for s in r:
            try:
                data, peer = s.recvfrom(65536)
            except OSError:
                continue
            local = s.getsockname()
            log.write(json.dumps({
                "peer": addr_str(peer), "peer_ip": peer[0],
                "local": addr_str(local), "len": len(data),
                "sha256": hashlib.sha256(data).hexdigest()},
                sort_keys=True) + "\n")
            if args.silent:
                continue
            held.append((s, data, peer))
            if len(held) >= args.hold:
                answer(held)
        if not r:
            answer(held)      # a quiet second lets a short hold go
    return 0


def answer(held):
    """Echo what is held, all at once, so that many flows get a reply
    in the same instant (and one flow gets several)."""
    for s, data, peer in held:
        try:
            s.sendto(data, peer)
        except OSError as e:
            sys.stderr.write("echo: sendto %s: %s\n" % (peer, e))
    del held[:]


# ------------------------------------------------------------------- send

def payload_for(args, i):
    if args.kind == "truncated":
        return b""      # else the payload would complete the header
    if args.payload is not None:
        return args.payload.encode()
    return random.Random(args.seed * 1000003 + i).randbytes(args.bytes)


def cmd_send(args):
    th, tp = split_hostport(args.to)
    fam = family_of(th)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if args.bind:
        bh, bp = split_hostport(args.bind)
        s.bind((bh, bp))
    if args.connect:
        # The kernel now drops any reply that is not from --to.
        s.connect((th, tp))
    sh, sp = split_hostport(args.src)
    res = {"sent": 0, "echoed": 0, "bad": 0, "silent": 0,
           "local": addr_str(s.getsockname()) if args.bind else None}
    ok = True
    for i in range(args.count * args.clients):
        if args.stop_file and os.path.exists(args.stop_file):
            break
        # --clients N: N clients at consecutive ports, --count each.
        src = addr_str((sh, sp + i // args.count))
        hdr = make_header(args.kind, src, args.dst)
        data = payload_for(args, i)
        s.sendto(hdr + data, (th, tp))
        res["sent"] += 1
        deadline = time.monotonic() + args.timeout
        got = None
        while got is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            try:
                rx, peer = s.recvfrom(65536)
            except ConnectionRefusedError:
                continue
            if (peer[0], peer[1]) != (th, tp):
                res.setdefault("strangers", []).append(addr_str(peer))
                continue
            got = rx
        if args.expect == "echo":
            if got == data:
                res["echoed"] += 1
            elif got is None:
                res["silent"] += 1
                ok = False
            else:
                res["bad"] += 1
                res["bad_len"] = len(got)
                ok = False
        else:
            if got is None:
                res["silent"] += 1
            else:
                res["bad"] += 1
                ok = False
        if args.interval:
            time.sleep(args.interval)
    res["ok"] = ok
    out(res)
    return 0 if ok else 1


# ------------------------------------------------------------------ burst

def cmd_burst(args):
    th, tp = split_hostport(args.to)
    fam = family_of(th)
    bh = args.bind.strip("[]")
    socks = []
    for _ in range(args.lbs):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((bh, 0))
        socks.append(s)
    sh, sp = split_hostport(args.src)
    rnd = random.Random(args.seed)
    expect = {}         # payload -> index of the socket that sent it
    for c in range(args.clients):
        lb = c % args.lbs
        hdr = make_header("proxy", addr_str((sh, sp + c)), args.dst)
        for i in range(args.count):
            data = b"%d/%d/%d " % (lb, c, i) + rnd.randbytes(args.bytes)
            expect[data] = lb
            socks[lb].sendto(hdr + data, (th, tp))
    res = {"sent": len(expect), "echoed": 0, "misrouted": 0, "unknown": 0}
    deadline = time.monotonic() + args.timeout
    while expect and time.monotonic() < deadline:
        r, _, _ = select.select(socks, [], [], deadline - time.monotonic())
        for s in r:
            data, peer = s.recvfrom(65536)
            if (peer[0], peer[1]) != (th, tp):
                res["unknown"] += 1
            elif data not in expect:
                res["unknown"] += 1     # never sent, or a duplicate
            elif socks[expect.pop(data)] is not s:
                res["misrouted"] += 1
            else:
                res["echoed"] += 1
    res["missing"] = len(expect)
    res["ok"] = (res["echoed"] == res["sent"] and not res["misrouted"] and
                 not res["unknown"])
    out(res)
    return 0 if res["ok"] else 1


# ------------------------------------------------------------------- wait

def udp_bound(port, addr=None):
    """Whether some UDP socket is bound to (addr:)port, per ss."""
    filt = "sport = :%d" % port
    p = subprocess.run(["ss", "-Hnua", filt], capture_output=True, text=True,
                       timeout=10)
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        if addr is None:
            return True
        h, _ = split_hostport(f[3])
        # A dual-stack listener's reply sockets bind IPv4 in mapped form.
        if h.strip("[]").removeprefix("::ffff:") == addr:
            return True
    return False


def cmd_wait(args):
    host = None
    if args.addr:
        host = args.addr
    deadline = time.monotonic() + args.timeout
    while True:
        if udp_bound(args.port, host) != args.gone:
            return 0
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    sys.stderr.write("wait: port %d still %s after %.1fs\n" % (
        args.port, "bound" if args.gone else "unbound", args.timeout))
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    e = sub.add_parser("echo")
    e.add_argument("--listen", action="append", required=True)
    e.add_argument("--log", required=True)
    e.add_argument("--silent", action="store_true",
                   help="record but do not answer")
    e.add_argument("--lifetime", type=float, default=600)
    e.add_argument("--hold", type=int, default=1,
                   help="answer in bursts of this many datagrams")

    b = sub.add_parser("burst")
    b.add_argument("--to", required=True)
    b.add_argument("--bind", required=True,
                   help="the load balancers' address (ports are picked)")
    b.add_argument("--lbs", type=int, default=4)
    b.add_argument("--src", default="192.0.2.1:5000")
    b.add_argument("--dst", default="198.51.100.1:53")
    b.add_argument("--clients", type=int, default=16)
    b.add_argument("--count", type=int, default=10)
    b.add_argument("--bytes", type=int, default=64)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--timeout", type=float, default=10)

    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--bind", help="the load balancer's address:port")
    s.add_argument("--connect", action="store_true",
                   help="connect to --to, as a load balancer reading "
                   "replies on a connected socket does")
    s.add_argument("--kind", default="proxy",
                   help="proxy local stream badver unspec truncated v1 none "
                   "hex:...")
    s.add_argument("--src", default="192.0.2.1:5000")
    s.add_argument("--dst", default="198.51.100.1:53")
    s.add_argument("--payload")
    s.add_argument("--bytes", type=int, default=100)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--clients", type=int, default=1)
    s.add_argument("--interval", type=float, default=0)
    s.add_argument("--stop-file",
                   help="send no more once this file exists")
    s.add_argument("--expect", choices=["echo", "none"], default="echo")
    s.add_argument("--timeout", type=float, default=2)

    w = sub.add_parser("wait")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--addr")
    w.add_argument("--gone", action="store_true")
    w.add_argument("--timeout", type=float, default=10)

    args = ap.parse_args()
    return {"echo": cmd_echo, "send": cmd_send, "burst": cmd_burst,
            "wait": cmd_wait}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
