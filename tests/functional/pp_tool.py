#!/usr/bin/env python3
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
"""
pp_tool.py -- test tools for mmproxyd's functional scenarios.

  backend   a threaded TCP server that logs one JSON line per accept and per
            finished connection (peer, local, bytes and sha256 each way)
  client    connects, sends a PROXY header (v1, v2, raw hex, or none) and a
            payload, then behaves as --mode says; prints one JSON result line
  garbage   many connections in a row that send junk and must be closed
  malformed one connection per malformed header kind; each must be closed
  header    prints a header as hex (for shell use)

Every blocking call has a timeout. Exit status: 0 when the tool's own checks
pass, 1 otherwise, 2 on usage errors.
"""

import argparse
import errno
import hashlib
import ipaddress
import json
import random
import select
import socket
import struct
import sys
import threading
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
CHUNK = 65536
URGENT = b"!"


# ---------------------------------------------------------------- helpers

def split_hostport(s):
    """'1.2.3.4:80' or '[::1]:80' -> (host, port)."""
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        return host, int(rest.lstrip(":"))
    host, _, port = s.rpartition(":")
    return host, int(port)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def crc32c(data, crc=0xFFFFFFFF):
    tbl = _crc_table()
    for b in data:
        crc = tbl[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_TABLE = []


def _crc_table():
    if not _TABLE:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _TABLE.append(c)
    return _TABLE


def tlv(t, value):
    return struct.pack("!BH", t, len(value)) + value


def v1_header(src, dst):
    sh, sp = split_hostport(src)
    dh, dp = split_hostport(dst)
    proto = "TCP6" if ":" in sh else "TCP4"
    return ("PROXY %s %s %s %d %d\r\n" % (proto, sh, dh, sp, dp)).encode()


def v2_header(src=None, dst=None, cmd=1, version=2, fam=None, tlvs=b"",
              crc=False, bad_crc=False, length=None):
    """Build a v2 header. src/dst as 'ip:port'. fam overrides the fam byte."""
    if src is not None:
        sh, sp = split_hostport(src)
        dh, dp = split_hostport(dst)
        if fam == 0x31 or fam == 0x32:
            addr = (sh.encode().ljust(108, b"\0") +
                    dh.encode().ljust(108, b"\0"))
            fb = fam
        elif ":" in sh:
            addr = (ipaddress.IPv6Address(sh).packed +
                    ipaddress.IPv6Address(dh).packed + struct.pack("!HH", sp, dp))
            fb = 0x21
        else:
            addr = (ipaddress.IPv4Address(sh).packed +
                    ipaddress.IPv4Address(dh).packed + struct.pack("!HH", sp, dp))
            fb = 0x11
    else:
        addr, fb = b"", 0x00
    if fam is not None:
        fb = fam
    body = addr + tlvs
    if crc:
        body += tlv(0x03, b"\0\0\0\0")
    ln = len(body) if length is None else length
    hdr = V2_SIG + bytes([(version << 4) | cmd, fb]) + struct.pack("!H", ln) + body
    if crc:
        c = crc32c(hdr)
        if bad_crc:
            c ^= 0x1
        hdr = hdr[:-4] + struct.pack("!I", c)
    return hdr


def make_header(args):
    kind = args.header
    if kind == "none":
        return b""
    if kind == "v1":
        return v1_header(args.src, args.dst)
    if kind == "v2":
        tlvs = b""
        for t in args.tlv or []:
            typ, _, val = t.partition(":")
            tlvs += tlv(int(typ, 0), bytes.fromhex(val))
        if args.noop:
            tlvs += tlv(0x04, b"\0" * args.noop)
        fam = int(args.fam, 0) if args.fam else None
        if fam == 0x00:     # UNSPEC: no address block at all
            return v2_header(None, None, crc=args.crc, tlvs=tlvs, fam=0,
                             cmd=args.v2cmd)
        return v2_header(args.src, args.dst, crc=args.crc, tlvs=tlvs,
                         fam=fam, cmd=args.v2cmd)
    if kind == "v2-local":
        return v2_header(cmd=0)
    if kind.startswith("hex:"):
        return bytes.fromhex(kind[4:])
    if kind.startswith("text:"):
        return kind[5:].encode().decode("unicode_escape").encode("latin-1")
    raise SystemExit("unknown header kind %r" % kind)


def pattern(n, seed):
    """n deterministic pseudo-random bytes (identical for the same seed)."""
    return random.Random(seed).randbytes(n)


def sha256hex(data):
    return hashlib.sha256(data).hexdigest()


def out(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def addr_str(sa):
    return "%s:%d" % (sa[0], sa[1]) if ":" not in sa[0] else "[%s]:%d" % (
        sa[0], sa[1])


def recv_all(s, deadline, limit=None):
    """Read until EOF or deadline. Returns (bytes, how) how=eof|reset|timeout."""
    buf = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(buf), "timeout"
        s.settimeout(left)
        try:
            d = s.recv(CHUNK)
        except socket.timeout:
            return bytes(buf), "timeout"
        except ConnectionResetError:
            return bytes(buf), "reset"
        except OSError as e:
            return bytes(buf), "error:%s" % e.strerror
        if not d:
            return bytes(buf), "eof"
        buf += d
        if limit is not None and len(buf) >= limit:
            return bytes(buf), "limit"


class Reader:
    """Hashes what s receives until EOF, on a thread of its own, while the
    caller sends; join() returns how it ended (eof, timeout, error:...)."""

    def __init__(self, s, deadline):
        self.s, self.deadline = s, deadline
        self.rx = Hasher()
        self.how = "timeout"
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return
            self.s.settimeout(left)
            try:
                d = self.s.recv(CHUNK)
            except socket.timeout:
                return
            except OSError as e:
                self.how = "error:%s" % e
                return
            if not d:
                self.how = "eof"
                return
            self.rx.update(d)

    def join(self):
        self.t.join(max(0.01, self.deadline - time.monotonic()))
        return self.how


def send_urgent(s, head, seed, n):
    """head, n bytes, one urgent byte (MSG_OOB), n more bytes, then a
    half-close. Returns the bytes before and after the urgent one."""
    a, b = pattern(n, seed), pattern(n, seed + 1)
    s.sendall(head + a)
    s.send(URGENT, socket.MSG_OOB)
    s.sendall(b)
    s.shutdown(socket.SHUT_WR)
    return a, b


def wait_end(s, deadline):
    """After the peer's FIN: wait for a reset (poll says POLLERR or
    POLLHUP; a reset after a FIN reads as EPIPE) or the deadline."""
    p = select.poll()
    p.register(s, select.POLLERR | select.POLLHUP)
    if not p.poll(max(0, deadline - time.monotonic()) * 1000):
        return "timeout"
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err in (errno.ECONNRESET, errno.EPIPE):
        return "reset"
    return "hangup:%s" % errno.errorcode.get(err, err)


class Hasher:
    """Counts and hashes a stream without keeping it."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.n = 0

    def update(self, d):
        self.h.update(d)
        self.n += len(d)

    def hex(self):
        return self.h.hexdigest()


# ---------------------------------------------------------------- backend

class Backend:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1)

    def record(self, obj):
        with self.lock:
            self.log.write(json.dumps(obj, sort_keys=True) + "\n")
            self.log.flush()

    def serve(self):
        """Every --listen bound first; one accept loop each."""
        socks = [self.bind(a) for a in self.args.listen]
        for ls in socks[1:]:
            threading.Thread(target=self.accept_loop, args=(ls,),
                             daemon=True).start()
        self.accept_loop(socks[0])

    def bind(self, addr):
        host, port = split_hostport(addr)
        ls = socket.socket(family_of(host), socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family_of(host) == socket.AF_INET6:
            ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        ls.bind((host, port))
        ls.listen(512)
        return ls

    def accept_loop(self, ls):
        while True:
            c, peer = ls.accept()
            local = c.getsockname()
            self.record({"event": "accept", "peer": addr_str(peer),
                         "peer_ip": peer[0], "peer_port": peer[1],
                         "local": addr_str(local)})
            threading.Thread(target=self.handle, args=(c, peer, local),
                             daemon=True).start()

    def handle(self, c, peer, local):
        mode = self.args.mode
        rx, tx = Hasher(), Hasher()
        how = "?"
        deadline = time.monotonic() + self.args.conn_timeout
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if mode == "echo":
                how = self.echo(c, rx, tx, deadline)
            elif mode == "reply-after-eof":
                data, how = recv_all(c, deadline)
                rx.update(data)
                reply = ("GOT %d %s\n" % (rx.n, rx.hex())).encode()
                c.sendall(reply)
                tx.update(reply)
                c.shutdown(socket.SHUT_WR)
            elif mode == "greet-halfclose":
                greet = pattern(self.args.bytes, 7)
                c.sendall(greet)
                tx.update(greet)
                c.shutdown(socket.SHUT_WR)
                data, how = recv_all(c, deadline)
                rx.update(data)
            elif mode == "stream":
                how = self.stream(c, rx, tx, deadline)
            elif mode == "http":
                data = b""
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    c.settimeout(max(0.01, deadline - time.monotonic()))
                    d = c.recv(4096)
                    if not d:
                        break
                    data += d
                rx.update(data)
                body = ("%s\n" % peer[0]).encode()
                resp = (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                        % len(body)) + body
                c.sendall(resp)
                tx.update(resp)
                how = "eof"
            elif mode == "rst":
                # Take the first bytes, then abort the connection.
                c.settimeout(max(0.01, deadline - time.monotonic()))
                d = c.recv(CHUNK)
                rx.update(d)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                how = "rst"
            elif mode == "drain":
                data, how = recv_all(c, deadline)
                rx.update(data)
            elif mode == "urgent":
                # Both ways at once: --bytes, an urgent byte, --bytes.
                r = Reader(c, deadline)
                tx.update(URGENT.join(send_urgent(c, b"", 11,
                                                  self.args.bytes)))
                how = r.join()
                rx = r.rx
            elif mode == "drain-hold":
                # Read to the client's EOF, then hold the connection, not
                # replying, until the far end ends it or the deadline.
                data, how = recv_all(c, deadline)
                rx.update(data)
                if how == "eof":
                    self.record({"event": "eof", "peer": addr_str(peer),
                                 "rx_bytes": rx.n})
                    how = wait_end(c, deadline)
        except OSError as e:
            how = "error:%s" % e
        finally:
            try:
                c.close()
            except OSError:
                pass
        self.record({"event": "close", "peer": addr_str(peer),
                     "peer_ip": peer[0], "peer_port": peer[1],
                     "mono": round(time.monotonic(), 3),
                     "local": addr_str(local), "rx_bytes": rx.n,
                     "rx_sha256": rx.hex(), "tx_bytes": tx.n,
                     "tx_sha256": tx.hex(), "how": how})

    @staticmethod
    def echo(c, rx, tx, deadline):
        while True:
            c.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                d = c.recv(CHUNK)
            except socket.timeout:
                return "timeout"
            if not d:
                c.shutdown(socket.SHUT_WR)
                return "eof"
            rx.update(d)
            c.sendall(d)
            tx.update(d)

    def stream(self, c, rx, tx, deadline):
        data = pattern(self.args.bytes, 2)
        res = {}

        def reader():
            d, res["how"] = recv_all(c, deadline)
            rx.update(d)

        # Hash as we go rather than keep 64 MiB twice.
        def reader_stream():
            while True:
                c.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    d = c.recv(CHUNK)
                except (socket.timeout, OSError) as e:
                    res["how"] = "error:%s" % e
                    return
                if not d:
                    res["how"] = "eof"
                    return
                rx.update(d)

        t = threading.Thread(target=reader_stream, daemon=True)
        t.start()
        mv = memoryview(data)
        for off in range(0, len(data), CHUNK):
            c.sendall(mv[off:off + CHUNK])
        tx.update(data)
        c.shutdown(socket.SHUT_WR)
        t.join(max(0.01, deadline - time.monotonic()))
        return res.get("how", "timeout")


def cmd_backend(args):
    Backend(args).serve()


# ---------------------------------------------------------------- client

def connect(args):
    host, port = split_hostport(args.connect)
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    if args.bind:
        bh, bp = split_hostport(args.bind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((bh, bp))
    s.connect((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send_header(s, hdr, payload, split, delay, deadline=None):
    """Header and the first payload bytes in one send unless split."""
    if split:
        for i in range(len(hdr)):
            if deadline is not None and time.monotonic() > deadline:
                raise OSError("deadline passed while splitting the header")
            s.sendall(hdr[i:i + 1])
            time.sleep(delay)
        if payload:
            s.sendall(payload)
    else:
        s.sendall(hdr + payload)


def cmd_client(args):
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    res = {"ok": False, "mode": args.mode}
    try:
        s = connect(args)
    except OSError as e:
        res["error"] = "connect: %s" % e
        out(res)
        return 1
    hdr = make_header(args)
    mode = args.mode
    try:
        if mode == "echo":
            payload = (args.payload.encode() if args.payload is not None
                       else bytes(range(256)) * 4 +
                       b"PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n" + V2_SIG +
                       pattern(args.bytes, 5))
            send_header(s, hdr, payload, args.split, args.delay)
            got, how = recv_all(s, deadline, limit=len(payload))
            s.shutdown(socket.SHUT_WR)
            rest, how2 = recv_all(s, deadline)
            res.update(sent=len(payload), echoed=len(got),
                       sent_sha256=hashlib.sha256(payload).hexdigest(),
                       echo_equal=(got == payload), extra=len(rest),
                       how=how2)
            res["ok"] = got == payload and not rest and how2 == "eof"
        elif mode == "halfclose":
            payload = pattern(args.bytes, 3)
            send_header(s, hdr, payload, args.split, args.delay)
            s.shutdown(socket.SHUT_WR)
            got, how = recv_all(s, deadline)
            want = ("GOT %d %s\n" % (len(payload),
                    hashlib.sha256(payload).hexdigest())).encode()
            res.update(reply=got.decode("latin-1"), how=how)
            res["ok"] = got == want and how == "eof"
        elif mode == "recv-first":
            # The backend half-closes first; we keep sending afterwards.
            send_header(s, hdr, b"", args.split, args.delay)
            got, how = recv_all(s, deadline)
            res.update(greeting_bytes=len(got),
                       greeting_sha256=hashlib.sha256(got).hexdigest(),
                       how=how)
            payload = pattern(args.bytes, 4)
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            rest, how2 = recv_all(s, deadline)
            res.update(sent=len(payload),
                       sent_sha256=hashlib.sha256(payload).hexdigest(),
                       how2=how2, extra=len(rest))
            res["ok"] = how == "eof" and not rest
        elif mode == "stream":
            payload = pattern(args.bytes, 1)
            rx = Hasher()
            st = {}

            def reader():
                d = None
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        st["how"] = "timeout"
                        return
                    s.settimeout(left)
                    try:
                        d = s.recv(CHUNK)
                    except (socket.timeout, OSError) as e:
                        st["how"] = "error:%s" % e
                        return
                    if not d:
                        st["how"] = "eof"
                        return
                    rx.update(d)

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            s.sendall(hdr)
            mv = memoryview(payload)
            for off in range(0, len(payload), CHUNK):
                s.sendall(mv[off:off + CHUNK])
            s.shutdown(socket.SHUT_WR)
            t.join(max(0.01, deadline - time.monotonic()))
            res.update(sent=len(payload),
                       sent_sha256=hashlib.sha256(payload).hexdigest(),
                       rx_bytes=rx.n, rx_sha256=rx.hex(),
                       how=st.get("how", "timeout"))
            res["ok"] = st.get("how") == "eof"
        elif mode in ("expect-close", "expect-reset"):
            # Send the header (or junk) and maybe a payload, then wait for
            # the daemon to close (expect-reset: abort) without our help.
            payload = args.payload.encode() if args.payload else b""
            try:
                send_header(s, hdr, payload, args.split, args.delay,
                            deadline)
            except OSError as e:
                res["send_error"] = str(e)
            got, how = recv_all(s, deadline)
            res.update(rx_bytes=len(got), how=how)
            res["ok"] = not got and (how == "reset" if mode == "expect-reset"
                                     else how in ("eof", "reset"))
        elif mode == "hold":
            # Have a payload echoed once, then stay idle until the far end
            # ends the connection or --timeout passes; how says which.
            payload = args.payload.encode() if args.payload else b"hold\n"
            send_header(s, hdr, payload, args.split, args.delay)
            got, how = recv_all(s, deadline, limit=len(payload))
            if args.ready_file and got == payload:
                with open(args.ready_file, "w") as f:
                    f.write("ready\n")
            rest, how = recv_all(s, deadline)
            res.update(echoed=len(got), extra=len(rest), how=how)
            res["ok"] = got == payload and how != "timeout"
        elif mode == "rst":
            # Send the header and a payload, then abort with a RST.
            payload = pattern(args.bytes, 6)
            send_header(s, hdr, payload, args.split, args.delay)
            time.sleep(args.delay)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            res["ok"] = True
        elif mode == "urgent":
            # --bytes, an urgent byte, --bytes, half-close; meanwhile
            # read what the backend sends the same way. sha256_no_urgent
            # tells a dropped urgent byte from a cut stream.
            r = Reader(s, deadline)
            a, b = send_urgent(s, hdr, 13, args.bytes)
            how = r.join()
            # What the backend sends (seed 11), to check what came back.
            c, d = pattern(args.bytes, 11), pattern(args.bytes, 12)
            res.update(sent=len(a) + 1 + len(b),
                       sent_sha256=sha256hex(a + URGENT + b),
                       sent_sha256_no_urgent=sha256hex(a + b),
                       back_sha256=sha256hex(c + URGENT + d),
                       back_sha256_no_urgent=sha256hex(c + d),
                       rx_bytes=r.rx.n, rx_sha256=r.rx.hex(), how=how)
            res["ok"] = how == "eof"
        elif mode == "halfclose-rst":
            # Send everything and half-close, then, --delay later, abort
            # with a RST: a client that went away before the reply.
            payload = pattern(args.bytes, 6)
            send_header(s, hdr, payload, False, 0)
            s.shutdown(socket.SHUT_WR)
            time.sleep(args.delay)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            s.close()
            res.update(rst_mono=round(time.monotonic(), 3))
            res["ok"] = True
        elif mode == "request":
            # Send everything, keep our write side open, read to EOF.
            payload = (args.payload.encode().decode("unicode_escape")
                       .encode("latin-1") if args.payload else b"")
            send_header(s, hdr, payload, args.split, args.delay)
            got, how = recv_all(s, deadline)
            res.update(reply=got.decode("latin-1"), how=how)
            res["ok"] = how == "eof" and len(got) > 0
        else:
            raise SystemExit("unknown mode %r" % mode)
    except OSError as e:
        res["error"] = str(e)
    finally:
        s.close()
    res["elapsed"] = round(time.monotonic() - t0, 3)
    out(res)
    return 0 if res["ok"] else 1


# ---------------------------------------------------------------- junk

GARBAGE = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xaa" * 32,
    b"SSH-2.0-OpenSSH_9.2\r\n",
    b"\x00" * 64,
    b"\xff" * 200,
    b"HELO example.org\r\n",
    b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
    b"\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x0c" + b"\x01" * 12,
]


def close_check(target, data, timeout):
    """Connect, send data, wait for close. Returns (closed, rx_len, secs)."""
    host, port = split_hostport(target)
    t0 = time.monotonic()
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            s.sendall(data)
        except OSError:
            pass
        got, how = recv_all(s, t0 + timeout)
    except OSError as e:
        return False, 0, time.monotonic() - t0, "connect:%s" % e
    finally:
        s.close()
    return how in ("eof", "reset"), len(got), time.monotonic() - t0, how


def cmd_garbage(args):
    bad = 0
    worst = 0.0
    t0 = time.monotonic()
    for i in range(args.count):
        if time.monotonic() - t0 > args.total_timeout:
            out({"ok": False, "error": "total timeout", "done": i})
            return 1
        data = GARBAGE[i % len(GARBAGE)]
        closed, rx, secs, how = close_check(args.connect, data, args.timeout)
        worst = max(worst, secs)
        if not closed or rx:
            bad += 1
            if bad <= 5:
                sys.stderr.write("garbage %d (%r): closed=%s rx=%d how=%s\n"
                                 % (i, data[:20], closed, rx, how))
    res = {"ok": bad == 0, "count": args.count, "bad": bad,
           "worst_secs": round(worst, 3),
           "elapsed": round(time.monotonic() - t0, 3)}
    out(res)
    return 0 if bad == 0 else 1


def cmd_many(args):
    """count echo connections, parallel at a time; distinct source ports."""
    import concurrent.futures as cf
    sh, sp = split_hostport(args.src)
    fmt = "[%s]:%d" if ":" in sh else "%s:%d"

    def one(i):
        src = fmt % (sh, sp + i)
        hdr = (v1_header(src, args.dst) if i % 2 == 0
               else v2_header(src, args.dst))
        payload = pattern(1000 + i, i)
        host, port = split_hostport(args.connect)
        s = socket.socket(family_of(host), socket.SOCK_STREAM)
        s.settimeout(args.timeout)
        try:
            s.connect((host, port))
            s.sendall(hdr + payload)
            s.shutdown(socket.SHUT_WR)
            got, how = recv_all(s, time.monotonic() + args.timeout)
            return got == payload and how == "eof"
        except OSError:
            return False
        finally:
            s.close()

    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(args.parallel) as ex:
        results = list(ex.map(one, range(args.count)))
    good = sum(1 for r in results if r)
    out({"ok": good == args.count, "good": good, "count": args.count,
         "elapsed": round(time.monotonic() - t0, 3)})
    return 0 if good == args.count else 1


def cmd_idle(args):
    """count connections, each echoes --pings pings and then idles for
    --secs (--ready-file once all are idle), then echoes one more; one
    JSON line: ok when every connection echoed all of them intact."""
    sh, sp = split_hostport(args.src)
    fmt = "[%s]:%d" if ":" in sh else "%s:%d"
    host, port = split_hostport(args.connect)
    socks, good = [], 0
    deadline = time.monotonic() + args.timeout

    def ping(s, i, n):
        data = pattern(100, i * 10 + n)
        s.sendall(data)
        got = b""
        while len(got) < len(data) and time.monotonic() < deadline:
            chunk = s.recv(len(data) - len(got))
            if not chunk:
                break
            got += chunk
        return got == data

    try:
        for i in range(args.count):
            s = socket.socket(family_of(host), socket.SOCK_STREAM)
            s.settimeout(args.timeout)
            s.connect((host, port))
            s.sendall(v1_header(fmt % (sh, sp + i), args.dst))
            socks.append(s)
            for n in range(1, args.pings + 1):
                if not ping(s, i, n):
                    raise OSError("connection %d: echo %d" % (i, n))
        if args.ready_file:
            open(args.ready_file, "w").close()
        time.sleep(args.secs)
        for i, s in enumerate(socks):
            good += ping(s, i, args.pings + 1)
    except OSError as e:
        sys.stderr.write("idle: %s\n" % e)
    finally:
        for s in socks:
            s.close()
    out({"ok": good == args.count, "good": good, "count": args.count})
    return 0 if good == args.count else 1


def malformed_cases():
    """(name, bytes) pairs; each is definitely invalid once sent in full."""
    s4, d4 = "198.51.100.7:40000", "192.0.2.1:443"
    good4 = v2_header(s4, d4)
    pad = b"hello, backend"
    long_tail = b"x" * 120  # beyond 107 bytes: no CRLF can come any more
    c = [
        ("v1-lowercase-proxy", b"proxy TCP4 198.51.100.7 192.0.2.1 40000 443\r\n"),
        ("v1-lowercase-proto", b"PROXY tcp4 198.51.100.7 192.0.2.1 40000 443\r\n"),
        ("v1-double-space", b"PROXY  TCP4 198.51.100.7 192.0.2.1 40000 443\r\n"),
        ("v1-tab", b"PROXY\tTCP4 198.51.100.7 192.0.2.1 40000 443\r\n"),
        ("v1-trailing-space", b"PROXY TCP4 198.51.100.7 192.0.2.1 40000 443 \r\n"),
        ("v1-missing-port", b"PROXY TCP4 198.51.100.7 192.0.2.1 40000\r\n"),
        ("v1-extra-field", b"PROXY TCP4 198.51.100.7 192.0.2.1 40000 443 1\r\n"),
        ("v1-leading-zero-ip", b"PROXY TCP4 198.51.100.07 192.0.2.1 40000 443\r\n"),
        ("v1-octet-256", b"PROXY TCP4 198.51.100.256 192.0.2.1 40000 443\r\n"),
        ("v1-port-65536", b"PROXY TCP4 198.51.100.7 192.0.2.1 65536 443\r\n"),
        ("v1-port-leading-zero", b"PROXY TCP4 198.51.100.7 192.0.2.1 040000 443\r\n"),
        ("v1-port-sign", b"PROXY TCP4 198.51.100.7 192.0.2.1 +4000 443\r\n"),
        ("v1-family-mismatch", b"PROXY TCP4 2001:db8::7 192.0.2.1 40000 443\r\n"),
        ("v1-family-mismatch6", b"PROXY TCP6 198.51.100.7 2001:db8::1 40000 443\r\n"),
        ("v1-udp4", b"PROXY UDP4 198.51.100.7 192.0.2.1 40000 443\r\n"),
        ("v1-ipv6-zone", b"PROXY TCP6 fe80::1%eth0 2001:db8::1 40000 443\r\n"),
        ("v1-ipv6-bracket", b"PROXY TCP6 [2001:db8::7] 2001:db8::1 40000 443\r\n"),
        ("v1-lf-only", b"PROXY TCP4 198.51.100.7 192.0.2.1 40000 443\n" + long_tail),
        ("v1-cr-only", b"PROXY TCP4 198.51.100.7 192.0.2.1 40000 443\r" + long_tail),
        ("v1-no-crlf-108", b"PROXY TCP4 " + b"1" * 120),
        ("v1-empty-fields", b"PROXY TCP4    \r\n"),
        ("v1-proxy-nospace", b"PROXYTCP4 198.51.100.7 192.0.2.1 40000 443\r\n"),
        ("v2-version-1", v2_header(s4, d4, version=1)),
        ("v2-version-3", v2_header(s4, d4, version=3)),
        ("v2-command-2", v2_header(s4, d4, cmd=2)),
        ("v2-command-f", v2_header(s4, d4, cmd=0xF)),
        ("v2-family-4", v2_header(s4, d4, fam=0x41)),
        ("v2-transport-3", v2_header(s4, d4, fam=0x13)),
        ("v2-inet-short-len", good4[:14] + struct.pack("!H", 8) + good4[16:24]),
        ("v2-inet6-short-len", v2_header(s4, d4, fam=0x21)),
        ("v2-bad-crc", v2_header(s4, d4, crc=True, bad_crc=True)),
        ("v2-bad-crc-local", v2_header(cmd=0, crc=True, bad_crc=True)),
        ("v2-crc-len-3", v2_header(s4, d4, tlvs=tlv(0x03, b"\0\0\0"))),
        ("v2-truncated-tlv", v2_header(s4, d4, tlvs=b"\x05\x00\x10abc")),
        ("v2-tlv-1-byte", v2_header(s4, d4, tlvs=b"\x04")),
        ("v2-bad-signature", b"\r\n\r\n\x00\r\nQUIT\x0a"[:11] + b"X" +
         good4[12:]),
        ("garbage-http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("garbage-tls", GARBAGE[1]),
        ("garbage-zeros", b"\x00" * 64),
        ("garbage-ff", b"\xff" * 200),
        ("garbage-short-crlf", b"\r\n"),
    ]
    return [(n, d + pad) for n, d in c]


def cmd_malformed(args):
    failed = []
    cases = malformed_cases()
    for name, data in cases:
        if args.only and name not in args.only.split(","):
            continue
        closed, rx, secs, how = close_check(args.connect, data, args.timeout)
        if not closed or rx or secs > args.max_secs:
            failed.append({"case": name, "closed": closed, "rx": rx,
                           "secs": round(secs, 3), "how": how})
    res = {"ok": not failed, "cases": len(cases), "failed": failed}
    out(res)
    return 0 if not failed else 1


def cmd_header(args):
    sys.stdout.write(make_header(args).hex() + "\n")
    return 0


def cmd_logq(args):
    """Query a backend log: count events or print one field per match."""
    rows = []
    try:
        with open(args.log) as f:
            for line in f:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    sel = [r for r in rows
           if (args.event is None or r.get("event") == args.event) and
           (args.peer is None or r.get("peer") == args.peer) and
           (args.local is None or r.get("local") == args.local)]
    if args.field:
        for r in sel:
            sys.stdout.write("%s\n" % r.get(args.field))
    else:
        sys.stdout.write("%d\n" % len(sel))
    return 0


def cmd_jget(args):
    """Print one field of a JSON object read from stdin (last line)."""
    lines = [x for x in sys.stdin.read().splitlines() if x.strip()]
    try:
        obj = json.loads(lines[-1])
    except (IndexError, ValueError):
        sys.stdout.write("\n")
        return 1
    v = obj.get(args.key)
    sys.stdout.write(("%s" % json.dumps(v) if isinstance(v, (list, dict))
                      else "%s" % v) + "\n")
    return 0


def cmd_selftest(args):
    assert crc32c(b"123456789") == 0xE3069283
    h = v2_header("198.51.100.7:40000", "192.0.2.1:443", crc=True)
    assert h[:12] == V2_SIG and h[12] == 0x21 and h[13] == 0x11
    assert struct.unpack("!H", h[14:16])[0] == 12 + 7
    z = h[:-4] + b"\0\0\0\0"
    assert crc32c(z) == struct.unpack("!I", h[-4:])[0]
    assert v1_header("[2001:db8::7]:1", "[::1]:2") == \
        b"PROXY TCP6 2001:db8::7 ::1 1 2\r\n"
    out({"ok": True})
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    sub = ap.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("backend")
    b.add_argument("--listen", required=True, action="append",
                   help="repeatable: one backend on several ports")
    b.add_argument("--log", required=True)
    b.add_argument("--mode", default="echo",
                   choices=["echo", "reply-after-eof", "greet-halfclose",
                            "stream", "http", "drain", "drain-hold",
                            "rst", "urgent"])
    b.add_argument("--bytes", type=int, default=4096)
    b.add_argument("--conn-timeout", type=float, default=60)

    def common_client(p, need_connect=True):
        p.add_argument("--connect", required=need_connect)
        p.add_argument("--header", default="v1")
        p.add_argument("--src", default="198.51.100.7:40000")
        p.add_argument("--dst", default="192.0.2.1:443")
        p.add_argument("--crc", action="store_true")
        p.add_argument("--tlv", action="append",
                       help="v2 TLV as TYPE:HEXVALUE (repeatable)")
        p.add_argument("--noop", type=int, default=0,
                       help="v2 NOOP TLV of this many bytes")
        p.add_argument("--fam", help="v2 family/transport byte override")
        p.add_argument("--v2-cmd", type=int, default=1, dest="v2cmd",
                       help="v2 command nibble")
        p.add_argument("--timeout", type=float, default=10)

    c = sub.add_parser("client")
    common_client(c)
    c.add_argument("--mode", default="echo",
                   choices=["echo", "halfclose", "recv-first", "stream",
                            "expect-close", "expect-reset", "request", "rst",
                            "halfclose-rst", "hold", "urgent"])
    c.add_argument("--payload")
    c.add_argument("--bytes", type=int, default=4096)
    c.add_argument("--split", action="store_true",
                   help="send the header one byte per segment")
    c.add_argument("--delay", type=float, default=0.02)
    c.add_argument("--bind")
    c.add_argument("--ready-file",
                   help="hold: written once the payload came back")

    g = sub.add_parser("garbage")
    g.add_argument("--connect", required=True)
    g.add_argument("--count", type=int, default=1000)
    g.add_argument("--timeout", type=float, default=4)
    g.add_argument("--total-timeout", type=float, default=90)

    m = sub.add_parser("malformed")
    m.add_argument("--connect", required=True)
    m.add_argument("--timeout", type=float, default=4)
    m.add_argument("--max-secs", type=float, default=2.0)
    m.add_argument("--only")

    n = sub.add_parser("many")
    n.add_argument("--connect", required=True)
    n.add_argument("--src", default="198.51.100.7:20000")
    n.add_argument("--dst", default="192.0.2.1:443")
    n.add_argument("--count", type=int, default=200)
    n.add_argument("--parallel", type=int, default=16)
    n.add_argument("--timeout", type=float, default=20)

    i = sub.add_parser("idle")
    i.add_argument("--connect", required=True)
    i.add_argument("--src", default="198.51.100.7:21000")
    i.add_argument("--dst", default="192.0.2.1:443")
    i.add_argument("--count", type=int, default=40)
    i.add_argument("--secs", type=float, default=5)
    i.add_argument("--pings", type=int, default=1,
                   help="echoed before the connection idles")
    i.add_argument("--ready-file")
    i.add_argument("--timeout", type=float, default=30)

    h = sub.add_parser("header")
    common_client(h, need_connect=False)

    q = sub.add_parser("logq")
    q.add_argument("log")
    q.add_argument("--event")
    q.add_argument("--peer")
    q.add_argument("--local")
    q.add_argument("--field")

    j = sub.add_parser("jget")
    j.add_argument("key")

    sub.add_parser("selftest")

    args = ap.parse_args()
    fn = {"backend": cmd_backend, "client": cmd_client,
          "garbage": cmd_garbage, "malformed": cmd_malformed,
          "header": cmd_header, "selftest": cmd_selftest,
          "logq": cmd_logq, "jget": cmd_jget, "many": cmd_many,
          "idle": cmd_idle}[args.cmd]
    sys.exit(fn(args) or 0)


if __name__ == "__main__":
    main()
