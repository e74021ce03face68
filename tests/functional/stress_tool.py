#!/usr/bin/env python3
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
"""stress_tool.py -- many-connection drivers for the hardening scenarios.

Every subcommand is bounded in count and time and prints one JSON line.

  stall   open N connections that send nothing (or half a header) and time
          how long the daemon takes to close each one
  flood   N clients, P at a time, each sends a v1 header and B bytes and
          must get exactly those bytes echoed back
  slow    one client trickling bytes over S seconds (for graceful shutdown)
  trickle N clients that each send a chunk every interval for S seconds
          (chunks large enough to be spliced) and check the whole echo
  hold    open N proxied connections, keep them open S seconds, then check
          that every one still echoes
  fuzz    random and mutated headers, each followed by a marker line; the
          sink backend records which markers arrive
  sink    a backend that records every marker line it receives, with the
          peer it came from
  bighdr  hold N connections, each with the first bytes of a v2 header that
          announces the greatest length, and count those the daemon closes
  fill    open N connections to one port at once (to an echo backend)
          and count those proxied; holding them, check that one
          more waits (the limit is exact) and is served as soon as one of
          them closes (backpressure drops nothing)
"""

import argparse
import asyncio
import json
import os
import random
import socket
import struct
import sys
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def v1_header(i):
    return b"PROXY TCP4 198.51.100.%d 192.0.2.1 %d 443\r\n" % (
        1 + i % 250, 10000 + i % 50000)


def v2_header(i, crc=False):
    src = socket.inet_aton("198.51.100.%d" % (1 + i % 250))
    dst = socket.inet_aton("192.0.2.1")
    body = src + dst + struct.pack("!HH", 10000 + i % 50000, 443)
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


async def open_conn(target, timeout):
    host, port = split_hostport(target)
    return await asyncio.wait_for(asyncio.open_connection(host, port), timeout)


# -- stall ------------------------------------------------------------------

async def stall_one(args, i, results):
    # From before connect(): the daemon's deadline starts later, at accept,
    # so a close sooner than the deadline from here is always a daemon bug.
    t0 = time.monotonic()
    try:
        r, w = await open_conn(args.connect, 10)
    except Exception as e:
        results["connect_errors"] += 1
        results.setdefault("errors", str(e))
        return
    if args.half:
        w.write(v1_header(i)[:20])
        await w.drain()
    try:
        data = await asyncio.wait_for(r.read(1), args.max_wait)
        dt = time.monotonic() - t0
        if data:
            results["got_data"] += 1
        results["closed"] += 1
        results["close_times"].append(dt)
    except (ConnectionResetError, BrokenPipeError):
        results["closed"] += 1
        results["close_times"].append(time.monotonic() - t0)
    except asyncio.TimeoutError:
        results["still_open"] += 1
    finally:
        w.close()


async def stall(args):
    results = {"closed": 0, "still_open": 0, "connect_errors": 0,
               "got_data": 0, "close_times": []}
    sem = asyncio.Semaphore(args.parallel)

    async def limited(i):
        async with sem:
            await stall_one(args, i, results)

    # Open them all up front (the semaphore only spaces the connects out).
    tasks = [asyncio.create_task(limited(i)) for i in range(args.count)]
    await asyncio.wait_for(asyncio.gather(*tasks), args.max_wait + 60)
    times = sorted(results.pop("close_times")) or [0]
    results["min_close"] = round(times[0], 3)
    results["max_close"] = round(times[-1], 3)
    results["median_close"] = round(times[len(times) // 2], 3)
    return results


# -- flood ------------------------------------------------------------------

async def flood_one(args, i, results):
    payload = os.urandom(args.bytes)
    try:
        r, w = await open_conn(args.connect, args.timeout)
        w.write(v1_header(i) + payload)
        await w.drain()
        w.write_eof()
        got = await asyncio.wait_for(r.read(), args.timeout)
        w.close()
    except ConnectionResetError:
        results["reset"] += 1
        return
    except Exception as e:
        results["failed"] += 1
        results["last_error"] = repr(e)
        return
    if got == payload:
        results["ok"] += 1
    else:
        results["mismatch"] += 1


async def flood(args):
    results = {"ok": 0, "failed": 0, "reset": 0, "mismatch": 0}
    sem = asyncio.Semaphore(args.parallel)

    async def limited(i):
        async with sem:
            await flood_one(args, i, results)

    await asyncio.wait_for(
        asyncio.gather(*(limited(i) for i in range(args.count))),
        args.total_timeout)
    return results


# -- hold -------------------------------------------------------------------

async def hold(args):
    conns = []
    results = {"opened": 0, "echoed": 0, "failed": 0}
    sem = asyncio.Semaphore(args.parallel)

    async def open_one(i):
        async with sem:
            try:
                r, w = await open_conn(args.connect, args.timeout)
                w.write(v1_header(i) + b"hello %d\n" % i)
                await w.drain()
                line = await asyncio.wait_for(r.readline(), args.timeout)
                if line == b"hello %d\n" % i:
                    results["opened"] += 1
                    conns.append((i, r, w))
                else:
                    results["failed"] += 1
            except Exception as e:
                results["failed"] += 1
                results["last_error"] = repr(e)

    await asyncio.gather(*(open_one(i) for i in range(args.count)))
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % results["opened"])
    await asyncio.sleep(args.seconds)
    for i, r, w in conns:
        try:
            w.write(b"again %d\n" % i)
            await w.drain()
            line = await asyncio.wait_for(r.readline(), args.timeout)
            if line == b"again %d\n" % i:
                results["echoed"] += 1
        except Exception as e:
            results["last_error"] = repr(e)
        w.close()
    return results


# -- slow -------------------------------------------------------------------

async def read_into(r, got, then=None):
    """Read r to EOF into got, calling then() after each read."""
    while True:
        d = await r.read(65536)
        if not d:
            return
        got.extend(d)
        if then:
            then()


async def slow(args):
    """One client that trickles B bytes over S seconds, then checks the echo."""
    chunks = max(1, int(args.seconds / 0.1))
    payload = os.urandom(args.bytes)
    step = -(-len(payload) // chunks)
    r, w = await open_conn(args.connect, 10)
    w.write(v1_header(7))
    got = bytearray()
    rt = asyncio.create_task(read_into(r, got))
    for off in range(0, len(payload), step):
        w.write(payload[off:off + step])
        await w.drain()
        await asyncio.sleep(0.1)
    w.write_eof()
    await asyncio.wait_for(rt, args.seconds + 30)
    w.close()
    return {"sent": len(payload), "echoed": len(got), "ok": bytes(got) == payload}


# -- trickle ----------------------------------------------------------------

async def trickle_one(args, i, results, echoed_first):
    chunks = max(1, int(args.seconds / args.interval))
    # Numbered chunks: a lost, doubled or reordered one shows.
    base = os.urandom(args.chunk)[4:]

    def chunk(k):
        return struct.pack("!I", k) + base

    got = bytearray()
    sent = 0
    first = asyncio.Event()
    told = []

    def tell():
        if not told:
            told.append(1)
            echoed_first()

    try:
        r, w = await open_conn(args.connect, args.timeout)
        w.write(v1_header(args.first + i))
        rt = asyncio.create_task(read_into(
            r, got, lambda: len(got) >= args.chunk and first.set()))
        for k in range(chunks):
            if k and args.stop_file and os.path.exists(args.stop_file):
                break
            w.write(chunk(k))
            await w.drain()
            sent = k + 1
            if k == 0:
                await asyncio.wait_for(first.wait(), args.timeout)
                tell()
            await asyncio.sleep(args.interval)
        w.write_eof()
        await asyncio.wait_for(rt, args.timeout)
        w.close()
    except Exception as e:
        results["failed"] += 1
        results["last_error"] = repr(e)
        tell()
        return
    want = b"".join(chunk(k) for k in range(sent))
    results["ok" if bytes(got) == want else "mismatch"] += 1


async def trickle(args):
    """Every connection is in the middle of a bulk burst for the whole
    run (a gap shorter than the relay's 1 s idle timeout keeps it going)
    of --seconds, or until --stop-file exists; --ready-file once each has
    had its first chunk echoed."""
    results = {"ok": 0, "failed": 0, "mismatch": 0}
    left = [args.count]

    def echoed_first():
        left[0] -= 1
        if left[0] == 0 and args.ready_file:
            with open(args.ready_file, "w") as f:
                f.write("%d\n" % args.count)

    await asyncio.gather(*(trickle_one(args, i, results, echoed_first)
                           for i in range(args.count)))
    return results


# -- fuzz -------------------------------------------------------------------

def mutate(rng, hdr):
    b = bytearray(hdr)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            del b[rng.randrange(len(b))]
        elif op == 2:
            b.insert(rng.randrange(len(b) + 1), rng.randrange(256))
        elif b:
            b = b[:rng.randrange(len(b))]
    return bytes(b)


def fuzz_header(rng, i):
    kind = rng.randrange(5)
    if kind == 0:
        return os.urandom(rng.randint(1, 120))
    if kind == 1:
        return mutate(rng, v1_header(i))
    if kind == 2:
        return mutate(rng, v2_header(i))
    if kind == 3:
        return v1_header(i)       # valid: some must get through
    return mutate(rng, b"PROXY UNKNOWN\r\n")


async def fuzz_one(args, rng, i, out):
    hdr = fuzz_header(rng, i)
    try:
        r, w = await open_conn(args.connect, 10)
    except Exception:
        out.append({"i": i, "lport": None})
        return
    lport = w.get_extra_info("sockname")[1]
    out.append({"i": i, "lport": lport, "hdr": hdr.hex()})
    try:
        w.write(hdr + b"\nMARK-%d\n" % i)
        await w.drain()
        w.write_eof()
        await asyncio.wait_for(r.read(), args.timeout)
    except Exception:
        pass
    w.close()


async def fuzz(args):
    rng = random.Random(args.seed)
    out = []
    sem = asyncio.Semaphore(args.parallel)

    async def limited(i):
        async with sem:
            await fuzz_one(args, rng, i, out)

    await asyncio.wait_for(
        asyncio.gather(*(limited(i) for i in range(args.count))),
        args.total_timeout)
    with open(args.record, "w") as f:
        for rec in out:
            f.write(json.dumps(rec) + "\n")
    return {"sent": len(out)}


# -- bighdr -----------------------------------------------------------------

async def bighdr(args):
    # A v2 header of 16 + 65535 bytes: addresses, then one NOOP TLV.
    body = (socket.inet_aton("198.51.100.7") + socket.inet_aton("192.0.2.1")
            + struct.pack("!HH", 40000, 443))
    head = (V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", 65535) + body
            + bytes([0x04]) + struct.pack("!H", 65535 - len(body) - 3))
    prefix = (head + bytes(args.send))[:args.send]
    conns = []
    for i in range(args.count):
        r, w = await open_conn(args.connect, 10)
        w.write(prefix)
        await w.drain()
        conns.append((r, w))

    async def closed(r):
        try:
            await asyncio.wait_for(r.read(1), args.settle)
            return True
        except asyncio.TimeoutError:
            return False
        except OSError:
            return True

    n = sum(await asyncio.gather(*(closed(r) for r, w in conns)))
    for r, w in conns:
        w.close()
    return {"count": args.count, "closed": n, "open": args.count - n}


# -- fill -------------------------------------------------------------------

async def fill_open(target, i, deadline):
    """One connection whose line came back by deadline, or None."""
    try:
        r, w = await asyncio.wait_for(open_conn(target, 10),
                                      max(0.01, deadline - time.monotonic()))
    except Exception:
        return None
    w.write(v1_header(i) + b"hello %d\n" % i)
    try:
        line = await asyncio.wait_for(r.readline(),
                                      max(0.01, deadline - time.monotonic()))
    except Exception:
        line = b""
    if line != b"hello %d\n" % i:
        w.close()
        return None
    return r, w


def fill_slots_used(addr):
    host, port = split_hostport(addr)
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    for line in data.decode("latin-1").split("\n"):
        if line.startswith("mmproxyd_connection_slots_used "):
            return int(line.split()[1])
    return None


async def fill(args):
    res = {"count": args.count}
    deadline = time.monotonic() + args.timeout
    sem = asyncio.Semaphore(64)

    async def limited(i):
        async with sem:
            return await fill_open(args.connect, i, deadline)

    conns = [c for c in await asyncio.gather(
        *(limited(i) for i in range(args.count))) if c is not None]
    res["served"] = len(conns)
    if args.metrics:
        res["slots_used"] = await asyncio.get_running_loop().run_in_executor(
            None, fill_slots_used, args.metrics)
    # One more, while every slot is taken: it must wait, then be served
    # once a held connection closes.
    extra = asyncio.create_task(fill_open(args.extra_connect or args.connect,
                                          args.count, time.monotonic() + 10))
    await asyncio.sleep(args.wait)
    res["extra_waited"] = not extra.done()
    t0 = time.monotonic()
    if conns:
        conns.pop()[1].close()
    got = await extra
    res["extra_served"] = got is not None
    res["extra_secs"] = round(time.monotonic() - t0, 3)
    if got is not None:
        conns.append(got)
    for r, w in conns:
        w.close()
    return res


# -- sink -------------------------------------------------------------------

async def sink(args):
    log = open(args.log, "a", buffering=1)

    async def handle(r, w):
        peer = w.get_extra_info("peername")
        data = b""
        try:
            data = await asyncio.wait_for(r.read(), 30)
        except Exception:
            pass
        for line in data.split(b"\n"):
            if line.startswith(b"MARK-"):
                log.write(json.dumps({"peer": "%s:%d" % peer[:2],
                                      "mark": line.decode(errors="replace")})
                          + "\n")
        w.close()

    host, port = split_hostport(args.listen)
    server = await asyncio.start_server(handle, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stall")
    s.add_argument("--connect", required=True)
    s.add_argument("--count", type=int, default=100)
    s.add_argument("--parallel", type=int, default=10000)
    s.add_argument("--half", action="store_true")
    s.add_argument("--max-wait", type=float, default=20)
    f = sub.add_parser("flood")
    f.add_argument("--connect", required=True)
    f.add_argument("--count", type=int, default=200)
    f.add_argument("--parallel", type=int, default=100)
    f.add_argument("--bytes", type=int, default=100000)
    f.add_argument("--timeout", type=float, default=60)
    f.add_argument("--total-timeout", type=float, default=120)
    h = sub.add_parser("hold")
    h.add_argument("--connect", required=True)
    h.add_argument("--count", type=int, default=100)
    h.add_argument("--seconds", type=float, default=1)
    h.add_argument("--ready-file")
    h.add_argument("--timeout", type=float, default=10)
    h.add_argument("--parallel", type=int, default=1)
    t = sub.add_parser("trickle")
    t.add_argument("--connect", required=True)
    t.add_argument("--count", type=int, default=8)
    t.add_argument("--first", type=int, default=0,
                   help="index of the first source (v1_header)")
    t.add_argument("--chunk", type=int, default=65536)
    t.add_argument("--interval", type=float, default=0.1)
    t.add_argument("--seconds", type=float, default=3)
    t.add_argument("--timeout", type=float, default=10)
    t.add_argument("--ready-file")
    t.add_argument("--stop-file")
    w = sub.add_parser("slow")
    w.add_argument("--connect", required=True)
    w.add_argument("--bytes", type=int, default=1000000)
    w.add_argument("--seconds", type=float, default=3)
    z = sub.add_parser("fuzz")
    z.add_argument("--connect", required=True)
    z.add_argument("--count", type=int, default=500)
    z.add_argument("--parallel", type=int, default=20)
    z.add_argument("--seed", type=int, default=1)
    z.add_argument("--record", required=True)
    z.add_argument("--timeout", type=float, default=8)
    z.add_argument("--total-timeout", type=float, default=120)
    b = sub.add_parser("bighdr")
    b.add_argument("--connect", required=True)
    b.add_argument("--count", type=int, required=True)
    b.add_argument("--send", type=int, default=1024,
                   help="bytes of the header each one sends")
    b.add_argument("--settle", type=float, default=2,
                   help="how long the daemon has to close them")
    i = sub.add_parser("fill")
    i.add_argument("--connect", required=True)
    i.add_argument("--extra-connect",
                   help="where the extra connection goes (--connect)")
    i.add_argument("--count", type=int, required=True)
    i.add_argument("--metrics", help="-metrics address: read slots used")
    i.add_argument("--wait", type=float, default=1,
                   help="how long the extra connection must wait")
    i.add_argument("--timeout", type=float, default=30)
    k = sub.add_parser("sink")
    k.add_argument("--listen", required=True)
    k.add_argument("--log", required=True)
    args = ap.parse_args()
    fn = {"stall": stall, "flood": flood, "hold": hold, "slow": slow,
          "trickle": trickle, "fuzz": fuzz, "sink": sink, "fill": fill,
          "bighdr": bighdr}[args.cmd]
    print(json.dumps(asyncio.run(fn(args))), flush=True)


if __name__ == "__main__":
    main()
