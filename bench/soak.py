#!/usr/bin/env python3
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
#
# bench/soak.py -- the inside of bench/soak: runs in the soak's network
# namespace, starts the backends and two mmproxyd daemons (TCP and UDP),
# drives a mixed, bounded, changing load at them, injects faults, samples
# the daemons every 10 s, and judges the run. bench/soak sets up the
# namespace, builds, and plots; run that, not this.
#
# Every TCP connection sends "SRC <ip> <port>\n" (the source its PROXY
# header claims; the backend checks it against the peer it sees) and then
# random bytes; the backend echoes all of it; the client compares a SHA-256
# of what it sent with one of what came back. UDP datagrams carry the same
# line and are compared one by one.
#
# IPv4 headers go to the main backend (never touched); IPv6 headers go to
# the fault backend, which is killed and restarted, or stopped (SIGSTOP)
# to push back. A connection is excused only when a fault window that
# concerns it overlaps its life; every other failure fails the run.

import argparse
import asyncio
import hashlib
import math
import os
import random
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import time

TCP_PORT = 8000
UDP_PORT = 8001
MAIN_PORT = 9000		# main backend: IPv4 connections, all UDP
FAULT_PORT = 9001		# fault backend: IPv6 connections
HEADER_TIMEOUT = 3		# -header-timeout of the TCP daemon, seconds
CLOSE_AFTER = 2			# -close-after of the UDP daemon, seconds
POOL_SPARE = 4			# src/tcp_pool.c: idle threads kept warm
POOL_IDLE = 10			# src/tcp_pool.c: then a thread beyond those exits
BUFPIPES_IDLE = 64		# src/tcp_frontend.h: idle bufpipes (a pipe each) kept
SAMPLE_EVERY = 10
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def log(msg):
	print("soak [%6.1fs] %s" % (now(), msg), file=sys.stderr, flush=True)


T0 = time.monotonic()


def now():
	return time.monotonic() - T0


# --- sources -----------------------------------------------------------

SEQ = [0]


def next_source(fam):
	"""A distinct claimed source per connection or flow (16M before reuse)."""
	i = SEQ[0]
	SEQ[0] += 1
	port = 1024 + (i // 250) % 64000
	if fam == 6:
		return ("2001:db8::%x:%x" % (1 + i % 250, 1 + i // 16000000),
		    port)
	return ("198.51.100.%d" % (1 + i % 250), port)


def v1_header(fam, src, sport, dport):
	dst = "::1" if fam == 6 else "127.0.0.1"
	return ("PROXY %s %s %s %d %d\r\n" % ("TCP6" if fam == 6 else "TCP4",
	    src, dst, sport, dport)).encode()


def v2_header(fam, src, sport, dport, dgram=False):
	if fam == 6:
		addr = (socket.inet_pton(socket.AF_INET6, src) +
		    socket.inet_pton(socket.AF_INET6, "::1"))
		famb = 0x20
	else:
		addr = (socket.inet_aton(src) + socket.inet_aton("127.0.0.1"))
		famb = 0x10
	addr += struct.pack("!HH", sport, dport)
	return (V2_SIG + bytes([0x21, famb | (2 if dgram else 1)]) +
	    struct.pack("!H", len(addr)) + addr)


# --- bookkeeping ---------------------------------------------------------

class Conn:
	__slots__ = ("kind", "fam", "t0", "t1", "status", "err", "sent",
	    "latency")

	def __init__(self, kind, fam):
		self.kind, self.fam = kind, fam
		self.t0, self.t1 = now(), None
		self.status, self.err, self.sent, self.latency = None, "", 0, 0


class State:
	def __init__(self, a):
		self.a = a
		self.conns = []		# finished Conn records
		self.open = 0		# client connections in progress
		self.running = True	# sampler and drain streams
		self.load = True	# generators; off for good at the end
		self.paused = False
		self.windows = []	# (kind, start, end, fam or None)
		self.events = []	# (t, label)
		self.samples = []
		self.failures = []
		self.notes = []
		self.end_idle = asyncio.Event()
		self.udp = {"flows": 0, "sent": 0, "ok": 0, "lost": 0,
		    "mismatch": 0}
		self.pauses = []

	def fail(self, msg):
		self.failures.append(msg)
		log("FAIL: " + msg)

	def event(self, label, tag=None):
		self.events.append((now(), label, tag))
		log(label)


# --- processes -----------------------------------------------------------

def limit_fds(n):
	def f():
		resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
	return f


class Proc:
	def __init__(self, argv, logpath, nofile=None):
		self.argv, self.logpath, self.nofile = argv, logpath, nofile
		self.p = None
		self.start()

	def start(self):
		lf = open(self.logpath, "ab")
		self.p = subprocess.Popen(self.argv, stdout=lf, stderr=lf,
		    stdin=subprocess.DEVNULL,
		    preexec_fn=limit_fds(self.nofile) if self.nofile else None)
		lf.close()

	def alive(self):
		return self.p.poll() is None


def wait_port(fam, port, proto=socket.SOCK_STREAM, secs=10):
	"""Wait for a listener (ss, so that no connection is made)."""
	t = time.monotonic() + secs
	flag = "-Hltn" if proto == socket.SOCK_STREAM else "-Hlun"
	while time.monotonic() < t:
		out = subprocess.run(["ss", flag, "sport = :%d" % port],
		    capture_output=True, text=True).stdout
		if out.strip():
			return True
		time.sleep(0.1)
	return False


def proc_stats(pid):
	rss = thr = 0
	try:
		with open("/proc/%d/status" % pid) as f:
			for line in f:
				if line.startswith("VmRSS:"):
					rss = int(line.split()[1])
				elif line.startswith("Threads:"):
					thr = int(line.split()[1])
		fds = len(os.listdir("/proc/%d/fd" % pid))
	except OSError:
		return None
	return (rss, fds, thr)


class LogTail:
	"""Reads a daemon log from where it last stopped."""

	def __init__(self, path):
		self.path, self.off, self.text = path, 0, ""

	def read(self):
		with open(self.path, "rb") as f:
			f.seek(self.off)
			b = f.read()
		self.off += len(b)
		s = b.decode(errors="replace")
		self.text += s
		return s


def last_counter(text, pat):
	m = re.findall(pat, text)
	return int(m[-1]) if m else None


# --- TCP clients -----------------------------------------------------------

async def connect(st, fam, v2=None):
	"""Open a proxied connection; returns (reader, writer, hello line)."""
	src, sport = next_source(fam)
	if v2 is None:
		v2 = random.random() < 0.3
	hdr = (v2_header(fam, src, sport, TCP_PORT) if v2 else
	    v1_header(fam, src, sport, TCP_PORT))
	r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1",
	    TCP_PORT, limit=1 << 20), 20)
	line = ("SRC %s %d\n" % (src, sport)).encode()
	w.write(hdr + line)
	return r, w, line


async def guarded(st, c, coro, timeout):
	st.open += 1
	try:
		await asyncio.wait_for(coro, timeout)
		if c.status is None:
			c.status = "ok"
	except asyncio.TimeoutError:
		c.status, c.err = "error", "timeout"
	except (OSError, asyncio.IncompleteReadError) as e:
		c.status, c.err = "error", type(e).__name__
	except Mismatch as e:
		c.status, c.err = "mismatch", str(e)
	finally:
		st.open -= 1
		c.t1 = now()
		st.conns.append(c)


class Mismatch(Exception):
	pass


def check(sent_h, sent_n, got_h, got_n):
	if sent_n != got_n:
		raise Mismatch("sent %d bytes, got back %d" % (sent_n, got_n))
	if sent_h.digest() != got_h.digest():
		raise Mismatch("digest differs (%d bytes)" % sent_n)


def close_now(w):
	try:
		w.close()
	except OSError:
		pass


async def short_conn(st, c, halfclose):
	t = time.monotonic()
	r, w, line = await connect(st, c.fam)
	try:
		data = line + random.randbytes(random.randint(1, 8192))
		w.write(data[len(line):])
		c.sent = len(data)
		if halfclose:
			w.write_eof()
			got = await r.read(-1)
		else:
			await w.drain()
			got = await r.readexactly(len(data))
		c.latency = time.monotonic() - t
		check(hashlib.sha256(data), len(data), hashlib.sha256(got),
		    len(got))
	finally:
		close_now(w)


async def stream_conn(st, c, secs, drain=False):
	r, w, line = await connect(st, c.fam)
	sh, gh = hashlib.sha256(line), hashlib.sha256()
	sn, gn = len(line), 0
	try:
		async def reader():
			nonlocal gn
			while True:
				b = await r.read(65536)
				if not b:
					return
				gh.update(b)
				gn += len(b)
		rt = asyncio.ensure_future(reader())
		# When the writer fails first (a fault reset the connection),
		# the reader's error is the same event: retrieve it quietly.
		rt.add_done_callback(lambda t: t.cancelled() or t.exception())
		end = time.monotonic() + secs
		# A pause or the end cuts streams short (not the drain ones).
		while time.monotonic() < end and (drain or (st.load and
		    not st.paused)):
			b = random.randbytes(random.randint(1, 32768))
			sh.update(b)
			sn += len(b)
			w.write(b)
			await w.drain()
			await asyncio.sleep(random.uniform(0.05, 0.4))
		w.write_eof()
		c.sent = sn
		await rt
		check(sh, sn, gh, gn)
	finally:
		close_now(w)


async def idle_conn(st, c, secs):
	r, w, line = await connect(st, c.fam)
	try:
		got = await r.readexactly(len(line))
		if got != line:
			raise Mismatch("idle: hello echo differs")
		try:
			await asyncio.wait_for(st.end_idle.wait(), secs)
		except asyncio.TimeoutError:
			pass
		ping = random.randbytes(random.randint(1, 2000))
		w.write(ping)
		w.write_eof()
		got = await r.read(-1)
		c.sent = len(line) + len(ping)
		check(hashlib.sha256(ping), len(ping), hashlib.sha256(got),
		    len(got))
	finally:
		close_now(w)


async def reset_conn(st, c):
	"""Send, read part of the echo, then reset the connection."""
	r, w, line = await connect(st, c.fam, v2=False)
	data = random.randbytes(random.randint(1000, 60000))
	w.write(data)
	got = await r.readexactly(len(line) + 100)
	if got != line + data[:100]:
		close_now(w)
		raise Mismatch("reset: echo differs before the reset")
	sock = w.get_extra_info("socket")
	sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
	    struct.pack("ii", 1, 0))
	w.transport.abort()


BAD_HEADERS = [
	b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
	b"PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\n",
	b"PROXY TCP4 198.51.100.1 127.0.0.1 70000 8000\r\n",
	b"PROXY UNKNOWNPROTO\r\n",
	V2_SIG + b"\x21\x11\x00\x02ab",
	V2_SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12,
	b"PROXY " + b"x" * 200 + b"\r\n",
]


async def bad_conn(st, c, stall):
	"""A bad header, or a header that never completes: the proxy closes."""
	r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1",
	    TCP_PORT), 20)
	t = time.monotonic()
	try:
		w.write(b"PROXY TCP4 198.51.100.7 " if stall else
		    random.choice(BAD_HEADERS) + b"SRC x\npayload")
		try:
			got = await asyncio.wait_for(r.read(-1),
			    HEADER_TIMEOUT + 30)
		except ConnectionResetError:
			got = b""
		if got:
			raise Mismatch("%s: proxy answered %r" %
			    ("stall" if stall else "bad header", got[:40]))
		if stall and time.monotonic() - t < HEADER_TIMEOUT - 0.5:
			raise Mismatch("stall closed after %.1f s" %
			    (time.monotonic() - t))
	finally:
		close_now(w)


# --- UDP flows ------------------------------------------------------------

async def udp_flow(st, fam):
	"""A few datagrams from one claimed source, then silence: it expires."""
	loop = asyncio.get_running_loop()
	src, sport = next_source(fam)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.setblocking(False)
	st.udp["flows"] += 1
	st.open += 1
	try:
		s.connect(("127.0.0.1", UDP_PORT))
		hdr = v2_header(fam, src, sport, UDP_PORT, dgram=True)
		for seq in range(random.randint(1, 8)):
			p = ("SRC %s %d %d\n" % (src, sport, seq)).encode() + \
			    random.randbytes(random.randint(1, 1200))
			s.send(hdr + p)
			st.udp["sent"] += 1
			try:
				got = await asyncio.wait_for(loop.sock_recv(s,
				    4096), 5)
			except asyncio.TimeoutError:
				st.udp["lost"] += 1
				continue
			if hashlib.sha256(got).digest() != \
			    hashlib.sha256(p).digest():
				st.udp["mismatch"] += 1
			else:
				st.udp["ok"] += 1
			# Under -close-after: the flow stays open between sends.
			await asyncio.sleep(random.uniform(0, CLOSE_AFTER / 2))
	except OSError as e:
		st.udp["lost"] += 1
		st.notes.append("udp flow: %s" % e)
	finally:
		s.close()
		st.open -= 1


# --- load ---------------------------------------------------------------

def spawn(st, kind, fam, coro_fn, timeout, *args):
	c = Conn(kind, fam)
	asyncio.ensure_future(guarded(st, c, coro_fn(st, c, *args), timeout))


def fam_mix():
	return 6 if random.random() < 0.25 else 4


async def every(st, rate_fn, fn):
	"""Call fn at a rate (per second) that rate_fn gives for the time."""
	while st.load:
		r = rate_fn(now())
		await asyncio.sleep(random.expovariate(r) if r > 0 else 1)
		if st.load and not st.paused and st.open < st.a.max_open:
			fn()


async def keep(st, n_fn, count_fn, fn):
	"""Keep about n_fn(t) of something open."""
	while st.load:
		await asyncio.sleep(0.5)
		if st.paused or not st.load:
			continue
		for _ in range(max(0, n_fn(now()) - count_fn())):
			if st.open >= st.a.max_open:
				break
			fn()


def load(st):
	S = st.a.minutes * 60
	# The load breathes: one slow swell per 5 minutes (or per run).
	per = min(300.0, S / 2)

	def wave(t, lo, hi):
		return lo + (hi - lo) * (0.5 + 0.5 * math.sin(2 * math.pi * t /
		    per))

	cnt = {"stream": 0, "idle": 0}

	def counted(kind, coro_fn):
		async def run(st, c, *a):
			cnt[kind] += 1
			try:
				await coro_fn(st, c, *a)
			finally:
				cnt[kind] -= 1
		return run

	hold_max = max(30, min(240, S / 4))
	tasks = [
	    every(st, lambda t: wave(t, 8, 30), lambda: spawn(st, "short",
		fam_mix(), short_conn, 180, False)),
	    every(st, lambda t: 2, lambda: spawn(st, "halfclose", fam_mix(),
		short_conn, 180, True)),
	    every(st, lambda t: 1, lambda: spawn(st, "reset", fam_mix(),
		reset_conn, 180)),
	    every(st, lambda t: 0.5, lambda: spawn(st, "badheader", 4,
		bad_conn, 60, False)),
	    every(st, lambda t: 0.3, lambda: spawn(st, "stall", 4,
		bad_conn, 60, True)),
	    every(st, lambda t: wave(t + per / 3, 1, 4),
		lambda: asyncio.ensure_future(udp_flow(st, fam_mix()))),
	    keep(st, lambda t: int(wave(t + per / 2, 3, 10)),
		lambda: cnt["stream"], lambda: spawn(st, "stream", fam_mix(),
		counted("stream", stream_conn), 300, random.uniform(10, 60))),
	    keep(st, lambda t: int(wave(t + per / 4, 10, 40)),
		lambda: cnt["idle"], lambda: spawn(st, "idle", fam_mix(),
		counted("idle", idle_conn), hold_max + 200,
		random.uniform(hold_max / 3, hold_max))),
	]
	return [asyncio.ensure_future(t) for t in tasks]


# --- faults -------------------------------------------------------------

async def fault_kill(st, fault):
	st.event("fault: SIGKILL fault backend", "kill")
	t = now()
	fault.p.kill()
	fault.p.wait()
	await asyncio.sleep(3)
	fault.start()
	ok = await asyncio.to_thread(wait_port, 6, FAULT_PORT)
	if not ok:
		st.fail("fault backend did not come back")
	st.event("fault: backend restarted")
	st.windows.append(("kill", t, now() + 1, 6))


async def fault_stop(st, fault, secs):
	st.event("fault: SIGSTOP fault backend for %d s" % secs, "stop")
	t = now()
	fault.p.send_signal(signal.SIGSTOP)
	await asyncio.sleep(secs)
	fault.p.send_signal(signal.SIGCONT)
	st.event("fault: SIGCONT fault backend")
	st.windows.append(("stop", t, now(), 6))


async def fault_flood(st, n, hold):
	"""Another client (127.0.0.2) opens n connections: fds run out."""
	st.event("fault: flood of %d connections from 127.0.0.2" % n, "flood")
	t = now()
	ws = []

	async def one():
		try:
			src, sport = next_source(4)
			r, w = await asyncio.wait_for(asyncio.open_connection(
			    "127.0.0.1", TCP_PORT, local_addr=("127.0.0.2", 0)),
			    10)
			w.write(v1_header(4, src, sport, TCP_PORT) +
			    ("SRC %s %d\n" % (src, sport)).encode())
			ws.append(w)
		except (OSError, asyncio.TimeoutError):
			pass
	await asyncio.gather(*[one() for _ in range(n)])
	await asyncio.sleep(hold)
	for w in ws:
		close_now(w)
	st.event("fault: flood over (%d connected)" % len(ws))
	st.windows.append(("flood", t, now() + 5, None))


async def pause(st, tcp, base_thr, base_fds):
	"""
	No new connections, held ones finish; once none is left and the
	pool's idle timeout (10 s) has passed, the daemon must be back at its
	idle level: the threads it started with plus the pool's spares, the
	fds it started with plus the bufpipe pool's cached pipes.
	"""
	st.paused = True
	st.event("pause: no new connections, held ones finish", "pause")
	ev, st.end_idle = st.end_idle, asyncio.Event()
	ev.set()
	for _ in range(120):
		if st.open == 0:
			break
		await asyncio.sleep(0.5)
	await asyncio.sleep(POOL_IDLE + 3)
	tcp_d, tail = tcp
	tcp_d.p.send_signal(signal.SIGUSR1)
	await asyncio.sleep(0.5)
	tail.read()
	act = last_counter(tail.text,
	    r"counters: listener 0(?: on \S+)?: .*?active (\d+)")
	s = proc_stats(tcp_d.p.pid)
	st.paused = False
	if s is None or act is None:
		st.fail("pause: no stats from the daemon")
		return
	rss, fds, thr = s
	lvl = base_thr + POOL_SPARE + 2 * act
	flim = base_fds + 2 * act + 2 * BUFPIPES_IDLE
	ok = thr <= lvl and fds <= flim and act == 0
	st.pauses.append((now(), thr, act, lvl, fds, flim, ok))
	st.event("pause over: threads %d (idle level <= %d), fds %d "
	    "(<= %d), %d active" % (thr, lvl, fds, flim, act))
	if not ok:
		st.fail("pause at %.0f s: %d threads (idle level %d), %d fds "
		    "(at most %d), %d connections active" % (now(), thr, lvl,
		    fds, flim, act))


async def sampler(st, tcp, udp):
	(tcp_d, ttail), (udp_d, utail) = tcp, udp
	while st.running:
		for d in (tcp_d, udp_d):
			if d.alive():
				d.p.send_signal(signal.SIGUSR1)
		await asyncio.sleep(0.3)
		ttail.read()
		utail.read()
		act = last_counter(ttail.text,
		    r"counters: listener 0(?: on \S+)?: .*?active (\d+)")
		flows = last_counter(utail.text, r"counters: .*?(\d+) flows open")
		a = proc_stats(tcp_d.p.pid) if tcp_d.alive() else None
		b = proc_stats(udp_d.p.pid) if udp_d.alive() else None
		if a is None or b is None:
			st.fail("daemon died at %.0f s (tcp %s, udp %s)" % (now(),
			    tcp_d.p.poll(), udp_d.p.poll()))
			st.running = False
			return
		st.samples.append((now(),) + a + (act or 0,) + b +
		    (flows or 0, st.open))
		await asyncio.sleep(SAMPLE_EVERY - 0.3)


# --- verdict ----------------------------------------------------------------

def theil_sen(xs, ys):
	sl = []
	for i in range(len(xs)):
		for j in range(i + 1, len(xs)):
			if xs[j] != xs[i]:
				sl.append((ys[j] - ys[i]) / (xs[j] - xs[i]))
	if not sl:
		return 0.0
	sl.sort()
	return sl[len(sl) // 2]


def least_squares(xs, ys):
	n = len(xs)
	if n < 2:
		return 0.0
	mx, my = sum(xs) / n, sum(ys) / n
	d = sum((x - mx) ** 2 for x in xs)
	return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / d if d else 0


def excused(st, c):
	for kind, a, b, fam in st.windows:
		if fam is not None and fam != c.fam:
			continue
		if kind == "stop":
			continue	# data must survive a stall
		if c.t0 <= b and (c.t1 or now()) >= a:
			return kind
	return None


def report(st, out, tcp_rc, udp_rc, backend_lines):
	a = st.a
	S = a.minutes * 60
	lines = []
	p = lines.append
	p("# mmproxyd soak, %s UTC, %g min, seed %d" % (time.strftime(
	    "%Y-%m-%d %H:%M:%S", time.gmtime()), a.minutes, a.seed))
	p("# mmproxyd: %s; fd limit %d; machine: nproc=%d kernel=%s" %
	    (a.mmproxyd, a.nofile, os.cpu_count(), os.uname().release))
	for n in a.note.split("\n"):
		p("# " + n)
	# Totals per kind.
	kinds = {}
	lost = []
	mism = []
	for c in st.conns:
		k = kinds.setdefault(c.kind, [0, 0, 0, 0, 0, 0])
		k[0] += 1
		ex = excused(st, c)
		if c.status == "ok":
			k[1] += 1
		elif ex:
			k[2] += 1
		elif c.status == "mismatch":
			k[3] += 1
			mism.append(c)
		else:
			k[4] += 1
			lost.append(c)
		k[5] += c.sent
	p("")
	p("%-10s %8s %8s %9s %9s %6s %12s" % ("kind", "conns", "ok",
	    "faulted", "mismatch", "lost", "bytes sent"))
	tot = [0] * 6
	for kind in sorted(kinds):
		k = kinds[kind]
		tot = [x + y for x, y in zip(tot, k)]
		p("%-10s %8d %8d %9d %9d %6d %12d" % ((kind,) + tuple(k)))
	p("%-10s %8d %8d %9d %9d %6d %12d" % (("total",) + tuple(tot)))
	u = st.udp
	p("udp: %d flows, %d datagrams, %d echoed intact, %d mismatch, %d lost"
	    % (u["flows"], u["sent"], u["ok"], u["mismatch"], u["lost"]))
	for c in (mism + lost)[:10]:
		p("  %s %s fam=%d %.1f-%.1f s: %s" % (c.kind, c.status, c.fam,
		    c.t0, c.t1, c.err))
	if mism:
		st.fail("%d connections with a data mismatch" % len(mism))
	if lost:
		st.fail("%d connections lost that no fault touched" % len(lost))
	if u["mismatch"]:
		st.fail("%d UDP datagrams came back different" % u["mismatch"])
	if u["lost"]:
		st.fail("%d UDP datagrams lost" % u["lost"])
	# Short connections to the main backend while the other one stalls.
	for kind, t0, t1, fam in st.windows:
		if kind != "stop":
			continue
		lat = sorted(c.latency for c in st.conns if c.kind == "short"
		    and c.fam == 4 and c.status == "ok" and t0 <= c.t0 <= t1)
		v6 = [c for c in st.conns if c.fam == 6 and c.t0 <= t1 and
		    c.t1 >= t0 and c.kind in ("short", "halfclose", "stream",
		    "idle")]
		v6ok = sum(1 for c in v6 if c.status == "ok")
		mx = lat[-1] if lat else 0
		p("stall %.0f-%.0f s: %d IPv4 short conns, slowest %.2f s; "
		    "%d/%d IPv6 conns over the stall intact" % (t0, t1, len(lat),
		    mx, v6ok, len(v6)))
		if mx > 10:
			st.fail("IPv4 connections slowed by the IPv6 backend's "
			    "stall (%.1f s)" % mx)
	for line in backend_lines:
		p(line)
		m = re.search(r" mismatch=(\d+).* udp_mismatch=(\d+)", line)
		if m and (m.group(1) != "0" or m.group(2) != "0"):
			st.fail("backend saw unspoofed traffic: " + line)
	# Slopes over the second half.
	p("")
	half = [s for s in st.samples if s[0] >= S / 2]
	p("samples: %d (%d in the second half, after %.0f s of warm-up)" %
	    (len(st.samples), len(half), S / 2))
	span_h = (half[-1][0] - half[0][0]) / 3600 if len(half) > 1 else 0
	for name, idx, floor, unit in (("tcp RSS", 1, a.rss_floor, "KiB"),
	    ("tcp fds", 2, a.fd_floor, "fds"),
	    ("udp RSS", 5, a.rss_floor, "KiB"),
	    ("udp fds", 6, a.fd_floor, "fds")):
		if len(half) < 3:
			st.fail("%s: too few samples for a slope" % name)
			continue
		xs = [s[0] / 3600 for s in half]
		ys = [s[idx] for s in half]
		peak = max(s[idx] for s in st.samples)
		ts, ls = theil_sen(xs, ys), least_squares(xs, ys)
		# 1 % of the peak per hour, or the floor over the window:
		# a short run is not judged on jitter.
		lim = max(0.01 * peak, floor / span_h)
		ok = ts <= lim
		p("%-8s peak %8d %s  slope %+10.1f %s/h (Theil-Sen; least "
		    "squares %+.1f) = %+.2f %%/h of peak; limit %.1f: %s" %
		    (name, peak, unit, ts, unit, ls, 100 * ts / peak, lim,
		    "ok" if ok else "GROWING"))
		if not ok:
			st.fail("%s grows %.1f %s/h (limit %.1f)" % (name, ts,
			    unit, lim))
	for t, thr, act, lvl, fds, flim, ok in st.pauses:
		p("pause at %4.0f s: %d threads (idle level %d with %d "
		    "connections), %d fds (<= %d): %s" % (t, thr, lvl, act, fds,
		    flim, "ok" if ok else "NOT IDLE"))
	if not st.pauses:
		st.fail("no pause was measured")
	p("tcp daemon exit status after SIGTERM and drain: %s" % tcp_rc)
	p("udp daemon exit status after SIGTERM: %s" % udp_rc)
	if tcp_rc != 0:
		st.fail("tcp daemon exit status %s" % tcp_rc)
	if udp_rc != 0:
		st.fail("udp daemon exit status %s" % udp_rc)
	p("")
	for t, e, tag in st.events:
		p("event %6.0f s: %s" % (t, e))
	for n in st.notes[:10]:
		p("note: " + n)
	p("")
	for f in st.failures:
		p("FAIL: " + f)
	p("soak: %s" % ("FAIL" if st.failures else "PASS"))
	with open(out + ".txt", "w") as f:
		f.write("\n".join(lines) + "\n")
	with open(out + ".dat", "w") as f:
		f.write("# t rss_kb fds threads active udp_rss_kb udp_fds "
		    "udp_threads udp_flows client_conns\n")
		for s in st.samples:
			f.write("%.1f %d %d %d %d %d %d %d %d %d\n" % s)
	with open(out + ".events", "w") as f:
		for t, e, tag in st.events:
			if tag:
				f.write("%.1f %s\n" % (t, tag))
	print("\n".join(lines))


# --- main -----------------------------------------------------------------

async def soak(a):
	S = a.minutes * 60
	st = State(a)
	d = a.tmp
	allow = os.path.join(d, "allow")
	with open(allow, "w") as f:
		f.write("127.0.0.0/8\n::1\n")
	be = a.backend
	main_b = Proc([be, "-c", "-p", str(MAIN_PORT)], d + "/main.out")
	fault = Proc([be, "-c", "-p", str(FAULT_PORT)], d + "/fault.out")
	if not (wait_port(4, MAIN_PORT) and wait_port(6, FAULT_PORT)):
		sys.exit("soak: backends did not start")
	tcp_d = Proc([a.mmproxyd, "-p", "tcp", "-l", "127.0.0.1:%d" % TCP_PORT,
	    "-4", "127.0.0.1:%d" % MAIN_PORT, "-6", "[::1]:%d" % FAULT_PORT,
	    "-allowed-subnets", allow, "-max-conns", str(a.nofile * 2),
	    "-header-timeout", "%ds" % HEADER_TIMEOUT, "-v", "1"],
	    d + "/tcp.log", nofile=a.nofile)
	udp_d = Proc([a.mmproxyd, "-p", "udp", "-l", "127.0.0.1:%d" % UDP_PORT,
	    "-4", "127.0.0.1:%d" % MAIN_PORT, "-6", "[::1]:%d" % MAIN_PORT,
	    "-allowed-subnets", allow, "-close-after", "%ds" % CLOSE_AFTER,
	    "-v", "1"], d + "/udp.log", nofile=a.nofile)
	if not (wait_port(4, TCP_PORT) and wait_port(4, UDP_PORT,
	    socket.SOCK_DGRAM)):
		sys.exit("soak: mmproxyd did not start: %s" %
		    open(d + "/tcp.log").read()[-500:])
	await asyncio.sleep(1)
	base = proc_stats(tcp_d.p.pid)
	base_thr, base_fds = base[2], base[1]
	st.event("started: tcp daemon %d threads, %d fds, %d KiB; fd limit %d"
	    % (base_thr, base_fds, base[0], a.nofile))
	ttail, utail = LogTail(d + "/tcp.log"), LogTail(d + "/udp.log")
	tasks = load(st)
	samp = asyncio.ensure_future(sampler(st, (tcp_d, ttail),
	    (udp_d, utail)))

	# The schedule: faults and a pause once per cycle of ~10 minutes.
	ncyc = max(1, round(a.minutes / 10))
	C = S / ncyc
	sched = []
	for k in range(ncyc):
		c0 = k * C
		sched.append((c0 + 0.08 * C, "flood"))
		sched.append((c0 + 0.30 * C, "kill"))
		sched.append((c0 + 0.50 * C, "stop"))
		sched.append((c0 + 0.75 * C, "pause"))
	hup = min(180.0, S / 5)
	sched += [(t * hup, "hup") for t in range(1, int(S / hup))]
	sched.sort()
	for t, what in sched:
		if not st.running:
			break
		await asyncio.sleep(max(0, t - now()))
		if not st.running:
			break
		if what == "kill":
			await fault_kill(st, fault)
		elif what == "stop":
			await fault_stop(st, fault, min(45, 0.12 * C))
		elif what == "flood":
			await fault_flood(st, a.nofile * 2 // 3, 6)
		elif what == "pause":
			await pause(st, (tcp_d, ttail), base_thr, base_fds)
		elif what == "hup":
			# Rewrite the list (same subnets) so the reload has work.
			with open(allow, "w") as f:
				f.write("# %d\n127.0.0.0/8\n::1\n" % t)
			tcp_d.p.send_signal(signal.SIGHUP)
			udp_d.p.send_signal(signal.SIGHUP)
			st.event("SIGHUP: reload the allow-list", "hup")
	while st.running and now() < S:
		await asyncio.sleep(min(1, max(0, S - now())))

	# The end: load stops, held connections finish, a few streams are
	# in flight when SIGTERM comes and must drain intact.
	alive = tcp_d.alive() and udp_d.alive()
	st.load = False
	st.end_idle.set()
	st.event("load stops")
	for _ in range(120):
		if st.open == 0:
			break
		await asyncio.sleep(0.5)
	if st.open:
		st.fail("%d client connections still open 60 s after the load "
		    "stopped" % st.open)
	drains = []
	for _ in range(4):
		c = Conn("drain", 4)
		drains.append(asyncio.ensure_future(guarded(st, c,
		    stream_conn(st, c, 8, True), 60)))
	await asyncio.sleep(2)
	st.running = False
	samp.cancel()
	alive = alive and tcp_d.alive() and udp_d.alive()
	if not alive:
		st.fail("a daemon was dead at the end")
	s = proc_stats(tcp_d.p.pid) if tcp_d.alive() else None
	st.event("SIGTERM: daemon (RSS KiB, fds, threads) %s" % (s,),
	    "term")
	for dd in (tcp_d, udp_d):
		if dd.alive():
			dd.p.send_signal(signal.SIGTERM)
	await asyncio.gather(*drains)
	st.running = False
	tcp_rc = udp_rc = None
	try:
		tcp_rc = await asyncio.to_thread(tcp_d.p.wait, 45)
		udp_rc = await asyncio.to_thread(udp_d.p.wait, 45)
	except subprocess.TimeoutExpired:
		st.fail("a daemon did not exit 45 s after SIGTERM")
	for t in tasks:
		t.cancel()
	blines = []
	for name, b in (("main", main_b), ("fault", fault)):
		if b.alive():
			b.p.send_signal(signal.SIGTERM)
			b.p.wait(10)
		with open(b.logpath) as f:
			bl = [x.strip() for x in f if x.startswith("backend")]
		if bl:
			blines.append("%s %s" % (name, bl[-1]))
	ttail.read()
	m = re.findall(r"accept, backing off[^\n]*", ttail.text)
	st.notes.append("accept back-offs logged (fd exhaustion): %d%s" %
	    (len(m), (" e.g. " + m[0]) if m else ""))
	report(st, a.out, tcp_rc, udp_rc, blines)
	return 1 if st.failures else 0


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--minutes", type=float, default=30)
	ap.add_argument("--mmproxyd", required=True)
	ap.add_argument("--backend", required=True)
	ap.add_argument("--tmp", required=True)
	ap.add_argument("--out", required=True)
	ap.add_argument("--nofile", type=int, default=1024)
	ap.add_argument("--max-open", type=int, default=300)
	ap.add_argument("--rss-floor", type=float, default=2048,
	    help="KiB of growth over the second half always tolerated")
	# The bufpipe pool keeps up to 64 idle bufpipes, a pipe (2 fds) each, and
	# fills that cache slowly over a run: bounded by design, not a leak.
	ap.add_argument("--fd-floor", type=float, default=2 * BUFPIPES_IDLE + 8)
	ap.add_argument("--seed", type=int, default=None)
	ap.add_argument("--note", default="")
	a = ap.parse_args()
	if a.seed is None:
		a.seed = int.from_bytes(os.urandom(2), "big")
	random.seed(a.seed)
	hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
	resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
	sys.exit(asyncio.run(soak(a)))


if __name__ == "__main__":
	main()
