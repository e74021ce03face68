# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/tool.py -- backend and clients for the deployment tests.
#
#   backend PORT LOG            echo server on 127.0.0.1 and ::1; writes
#                               "peer ADDR PORT" per connection to LOG and
#                               sends "peer ADDR\n" first
#   client HOST PORT HEADER     one connection; prints the first line back
#   hold HOST PORT N            N connections at once, each checked by an
#                               echo while all are open; prints "ok N"
#   drain HOST PORT FLAG        connects, prints "connected", waits for the
#                               file FLAG, then must still get an echo
#   udpbackend PORT LOG         UDP on 127.0.0.1: logs "peer ADDR PORT" and
#                               answers "peer ADDR" to each datagram
#   udpclient HOST PORT SRC     one PROXY v2 datagram claiming SRC:40100;
#                               prints the first line back or "timeout"
import os
import socket
import struct
import sys
import threading
import time


def serve(conn, peer, log):
    addr = peer[0].replace("::ffff:", "")
    with open(log, "a") as f:
        f.write("peer %s %d\n" % (addr, peer[1]))
    try:
        conn.sendall(b"peer " + addr.encode() + b"\n")
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    conn.close()


def backend(port, log):
    socks = []
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(64)
        socks.append(s)

    def loop(s):
        while True:
            c, peer = s.accept()
            threading.Thread(target=serve, args=(c, peer, log),
                             daemon=True).start()
    threading.Thread(target=loop, args=(socks[1],), daemon=True).start()
    loop(socks[0])


def udpbackend(port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        data, peer = s.recvfrom(4096)
        with open(log, "a") as f:
            f.write("peer %s %d\n" % peer)
        s.sendto(b"peer " + peer[0].encode() + b"\n", peer)


def udpclient(host, port, src):
    hdr = (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x12]) +
           struct.pack("!H", 12) + socket.inet_aton(src) +
           socket.inet_aton(host) + struct.pack("!HH", 40100, port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    for _ in range(5):
        s.sendto(hdr + b"hi\n", (host, port))
        try:
            return s.recv(4096).decode().strip()
        except socket.timeout:
            pass
    return "timeout"


def connect(host, port, header):
    c = socket.create_connection((host, port), timeout=10)
    c.sendall(header.encode() + b"\r\n")
    return c, c.makefile("rb")


def line(f):
    return f.readline().decode().strip()


def main():
    cmd, host = sys.argv[1], sys.argv[2]
    if cmd == "backend":
        backend(int(host), sys.argv[3])
    if cmd == "udpbackend":
        udpbackend(int(host), sys.argv[3])
    port = int(sys.argv[3])
    if cmd == "client":
        try:
            c, f = connect(host, port, sys.argv[4])
            print(line(f) or "closed")
        except OSError as e:
            print("error", e)
    elif cmd == "udpclient":
        print(udpclient(host, port, sys.argv[4]))
    elif cmd == "hold":
        n, conns = int(sys.argv[4]), []
        for i in range(n):
            c, f = connect(host, port, "PROXY TCP4 198.51.100.%d 127.0.0.1 "
                           "%d 8080" % (10 + i, 41000 + i))
            if line(f) != "peer 198.51.100.%d" % (10 + i):
                sys.exit("connection %d: no peer line" % i)
            conns.append((c, f))
        ok = 0
        for i, (c, f) in enumerate(conns):
            c.sendall(b"ping %d\n" % i)
            ok += line(f) == "ping %d" % i
        print("ok", ok)
    elif cmd == "drain":
        c, f = connect(host, port, "PROXY TCP4 198.51.100.9 127.0.0.1 "
                       "40009 8080")
        print(line(f), flush=True)
        print("connected", flush=True)
        for _ in range(200):
            if os.path.exists(sys.argv[4]):
                break
            time.sleep(0.1)
        c.sendall(b"after stop\n")
        print("drained-ok" if line(f) == "after stop" else "lost",
              flush=True)
        c.close()


main()
