#!/usr/bin/env python3
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
"""churn_tool.py -- steady load across a restart or a hot upgrade.

Standard library only, so that the same file serves the scenarios under
tests/functional, the systemd test under tests/deploy and bench/.

  echo  an echo backend: TCP (bytes back as they come) on --tcp, UDP
        (each datagram back to its sender) on --udp
  tcp   through a PROXY v1 proxy at --connect: --long connections opened
        first echo a line every --interval until the end, while new
        connections arrive at --rate per second, each sending a header
        and a line and checking the echo. Counts what failed and how:
        refused (ECONNREFUSED), reset, cut (EOF before the echo), timeout
  udp   through a PROXY v2 UDP proxy at --connect: --flows clients send
        --rate datagrams per second in all; every reply is matched to its
        request; counts sent, received and lost, and the longest silence
        between two replies (max_gap_ms)

Each prints one JSON line. tcp and udp write --ready-file once their
long-lived connections (tcp) or first replies (udp) are in, so a
scenario knows when to restart or upgrade the proxy, and run --seconds,
then on until --until-file exists, so that the load outlasts a restart
however slow. Exit status 0 when
the run itself worked (failures are in the JSON), 2 on usage errors.
"""

import argparse
import asyncio
import errno
import json
import os
import selectors
import socket
import struct
import sys
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def v1_header(src, sport):
    return b"PROXY TCP4 %s 192.0.2.1 %d 443\r\n" % (src.encode(), sport)


def v2_udp_header(src, sport):
    body = (socket.inet_aton(src) + socket.inet_aton("192.0.2.1") +
            struct.pack("!HH", sport, 53))
    return V2_SIG + bytes([0x21, 0x12]) + struct.pack("!H", len(body)) + body


def client_addr(net, i):
    """Client i of /24 net (e.g. 198.51.100): unique address and port for
    up to 250 * 60000 clients, so no spoofed tuple is ever reused."""
    return "%s.%d" % (net, 1 + i % 250), 1024 + (i // 250) % 60000


async def paced(rate, seconds, start, tick=None, until=None):
    """Call start(i) for i = 0, 1, ... at rate per second for seconds,
    and on until the file until exists (60 s at most), catching up after
    a late wake-up; tick() between rounds. Returns how many were started
    and the seconds it took."""
    t0 = time.monotonic()
    i = 0
    while True:
        now = time.monotonic()
        if now - t0 >= seconds and (until is None or os.path.exists(until)
                                    or now - t0 >= 60):
            break
        due = int((now - t0) * rate) + 1
        while i < due:
            start(i)
            i += 1
        if tick is not None:
            tick()
        await asyncio.sleep(min(0.005, 1.0 / rate))
    return i, time.monotonic() - t0


def touch(path):
    if path:
        with open(path, "w") as f:
            f.write("ready\n")


# ------------------------------------------------------------------ echo

class UdpEcho(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def tcp_echo(r, w):
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            w.write(data)
            await w.drain()
    except OSError:
        pass
    finally:
        w.close()


async def echo(args):
    loop = asyncio.get_running_loop()
    servers = []
    if args.tcp:
        host, port = split_hostport(args.tcp)
        servers.append(await asyncio.start_server(tcp_echo, host, port,
                                                  backlog=4096))
    if args.udp:
        host, port = split_hostport(args.udp)
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                          socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((host, port))
        await loop.create_datagram_endpoint(UdpEcho, sock=s)
    await asyncio.sleep(args.lifetime)
    for srv in servers:
        srv.close()
    return {"ok": True}


# ------------------------------------------------------------------- tcp
#
# One selector loop over non-blocking sockets, no asyncio: a connection
# costs a few system calls and no task, so the client keeps its rate on a
# busy machine instead of falling behind and timing itself out.

class Tally:
    def __init__(self, t0):
        self.t0 = t0
        self.counts = {"ok": 0, "refused": 0, "reset": 0, "cut": 0,
                       "timeout": 0, "other": 0, "corrupt": 0}
        self.first_fail = None
        self.last_fail = None
        self.example = None

    def fail(self, kind, what):
        self.counts[kind] += 1
        t = round(time.monotonic() - self.t0, 3)
        if self.first_fail is None:
            self.first_fail = t
        self.last_fail = t
        if self.example is None:
            self.example = "%s: %s" % (kind, what)


def errno_kind(e):
    if e == errno.ECONNREFUSED:
        return "refused"
    if e in (errno.ECONNRESET, errno.EPIPE):
        return "reset"
    return "other"


class Conn:
    """A churn connection (header and one line, then close) or a long
    one (header, then a line every interval until told to stop)."""

    def __init__(self, loop, i, long_):
        self.loop = loop
        self.i = i
        self.long = long_
        self.pings = 0
        net = loop.args.long_net if long_ else loop.args.net
        self.hello = v1_header(*client_addr(net, i))
        self.sock = socket.socket(loop.family, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.deadline = time.monotonic() + loop.args.timeout
        self.next_ping = None
        self.line = self.next_line()
        self.got = b""
        e = self.sock.connect_ex(loop.addr)
        if e not in (0, errno.EINPROGRESS):
            self.sock.close()
            self.end(errno_kind(e), os.strerror(e))
            return
        loop.sel.register(self.sock, selectors.EVENT_WRITE, self)
        self.state = "connect"

    def next_line(self):
        if self.long:
            return b"long %d %d\n" % (self.i, self.pings)
        return b"churn %d\n" % self.i

    def end(self, kind, what=""):
        lp = self.loop
        if self.long:
            if kind == "ok":
                lp.longres["kept"] += 1
            else:
                lp.longres["failed"] += 1
                lp.longres.setdefault("example", "%s: %s" % (kind, what))
            lp.longres["echoes"] += self.pings
        elif kind == "ok":
            lp.tally.counts["ok"] += 1
        else:
            lp.tally.fail(kind, what)

    def close(self, kind, what=""):
        self.loop.sel.unregister(self.sock)
        self.sock.close()
        self.loop.live.discard(self)
        self.end(kind, what)

    def send(self, data):
        try:
            self.sock.sendall(data)     # a few bytes: the buffer takes them
        except OSError as e:
            self.close(errno_kind(e.errno), e.strerror)
            return False
        self.deadline = time.monotonic() + self.loop.args.timeout
        return True

    def ready(self, mask):
        if self.state == "connect":
            e = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e != 0:
                self.close(errno_kind(e), os.strerror(e))
                return
            if self.long:
                self.loop.longres["open"] += 1
            if not self.send(self.hello + self.line):
                return
            self.state = "echo"
            self.loop.sel.modify(self.sock, selectors.EVENT_READ, self)
            return
        try:
            data = self.sock.recv(4096)
        except OSError as e:
            self.close(errno_kind(e.errno), e.strerror)
            return
        if not data:
            self.close("cut", "EOF after %d bytes" % len(self.got))
            return
        self.got += data
        if len(self.got) < len(self.line):
            return
        if self.got != self.line:
            self.close("corrupt", repr(self.got))
            return
        if not self.long:
            self.close("ok")
            return
        self.pings += 1
        self.got = b""
        if self.loop.stopping:
            self.close("ok")
            return
        self.state = "idle"
        self.next_ping = time.monotonic() + self.loop.args.interval
        self.deadline = None

    def tick(self, now):
        if self.state == "idle" and (now >= self.next_ping or
                                     self.loop.stopping):
            if self.loop.stopping:
                self.close("ok")
                return
            self.line = self.next_line()
            if self.send(self.line):
                self.state = "echo"
        elif self.deadline is not None and now >= self.deadline:
            self.close("timeout", "no answer in %g s" %
                       self.loop.args.timeout)


class TcpLoad:
    def __init__(self, args):
        self.args = args
        host, port = split_hostport(args.connect)
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.addr = (host, port)
        self.sel = selectors.DefaultSelector()
        self.live = set()
        self.stopping = False
        self.longres = {"open": 0, "kept": 0, "failed": 0, "echoes": 0}
        self.tally = Tally(time.monotonic())

    def start(self, i, long_=False):
        c = Conn(self, i, long_)
        if getattr(c, "state", None) is not None:
            self.live.add(c)

    def turn(self, timeout):
        for key, mask in self.sel.select(timeout):
            key.data.ready(mask)
        now = time.monotonic()
        for c in list(self.live):
            c.tick(now)


def tcp(args):
    lp = TcpLoad(args)
    for i in range(args.long):
        lp.start(i, True)
    t_wait = time.monotonic() + args.timeout
    while (lp.longres["open"] + lp.longres["failed"] < args.long and
           time.monotonic() < t_wait):
        lp.turn(0.01)
    lp.tally = Tally(time.monotonic())
    touch(args.ready_file)
    t0 = time.monotonic()
    i = 0
    while True:
        now = time.monotonic()
        if now - t0 >= args.seconds and (args.until_file is None or
                                         os.path.exists(args.until_file) or
                                         now - t0 >= 60):
            break
        # Catch up to the rate after a late wake-up.
        due = int((now - t0) * args.rate) + 1
        while i < due:
            lp.start(i)
            i += 1
        lp.turn(min(0.005, 1.0 / args.rate))
    elapsed = time.monotonic() - t0
    # The long-lived connections end with the load.
    lp.stopping = True
    t_end = time.monotonic() + args.timeout + 1
    while lp.live and time.monotonic() < t_end:
        lp.turn(0.05)
    res = dict(lp.tally.counts)
    res.update({"opened": i, "secs": round(elapsed, 3),
                "cps": round(i / elapsed, 1) if elapsed else 0,
                "first_fail": lp.tally.first_fail,
                "last_fail": lp.tally.last_fail,
                "long": lp.longres})
    if lp.tally.example:
        res["example"] = lp.tally.example
    return res


# ------------------------------------------------------------------- udp

class UdpClient(asyncio.DatagramProtocol):
    def __init__(self):
        self.got = set()
        self.first = asyncio.Event()
        self.odd = 0
        self.last = None
        self.max_gap = 0.0

    def datagram_received(self, data, addr):
        if len(data) != 12:
            self.odd += 1
            return
        self.got.add(struct.unpack("!III", data)[1:])
        self.first.set()
        # The longest silence between two replies: a stalled proxy.
        now = time.monotonic()
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now


async def udp(args):
    loop = asyncio.get_running_loop()
    host, port = split_hostport(args.connect)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1" if host.startswith("127.") else "0.0.0.0", 0))
    tr, proto = await loop.create_datagram_endpoint(UdpClient, sock=s)
    run = os.getpid()
    hdrs = [v2_udp_header(*client_addr(args.net, f))
            for f in range(args.flows)]
    ready = []

    def send(i):
        f = i % args.flows
        tr.sendto(hdrs[f] + struct.pack("!III", run, f, i), (host, port))

    def tick():
        if not ready and proto.first.is_set():
            touch(args.ready_file)
            ready.append(True)

    sent, elapsed = await paced(args.rate, args.seconds, send, tick,
                                args.until_file)
    # Replies still on their way: late is not lost. Until a quiet spell
    # of --grace, ten of them at most.
    t_end = time.monotonic() + 10 * args.grace
    while len(proto.got) < sent and time.monotonic() < t_end:
        n = len(proto.got)
        await asyncio.sleep(args.grace)
        if len(proto.got) == n:
            break
    tr.close()
    got = len(proto.got)
    return {"flows": args.flows, "sent": sent, "received": got,
            "lost": sent - got,
            "loss_pct": round(100.0 * (sent - got) / sent, 3) if sent else 0,
            "odd": proto.odd, "secs": round(elapsed, 3),
            "max_gap_ms": round(proto.max_gap * 1000, 1)}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--tcp")
    e.add_argument("--udp")
    e.add_argument("--lifetime", type=float, default=3600)
    t = sub.add_parser("tcp")
    t.add_argument("--connect", required=True)
    t.add_argument("--rate", type=float, default=300)
    t.add_argument("--seconds", type=float, default=5)
    t.add_argument("--long", type=int, default=0)
    t.add_argument("--interval", type=float, default=0.1)
    t.add_argument("--timeout", type=float, default=10)
    t.add_argument("--net", default="198.51.100")
    t.add_argument("--long-net", default="203.0.113")
    t.add_argument("--ready-file")
    t.add_argument("--until-file")
    u = sub.add_parser("udp")
    u.add_argument("--connect", required=True)
    u.add_argument("--flows", type=int, default=64)
    u.add_argument("--rate", type=float, default=1000)
    u.add_argument("--seconds", type=float, default=5)
    u.add_argument("--grace", type=float, default=1)
    u.add_argument("--net", default="198.51.100")
    u.add_argument("--ready-file")
    u.add_argument("--until-file")
    args = ap.parse_args()
    if args.cmd == "tcp":
        res = tcp(args)
    else:
        res = asyncio.run({"echo": echo, "udp": udp}[args.cmd](args))
    print(json.dumps(res, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
