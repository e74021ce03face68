# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# backend.py -- stands in for your service: logs the peer address of every
# connection ("peer ADDR PORT") and answers "peer ADDR", then echoes.
import socket
import threading


def serve(c, peer):
    addr = peer[0].replace("::ffff:", "")
    print("peer %s %d" % (addr, peer[1]), flush=True)
    try:
        c.sendall(b"peer " + addr.encode() + b"\n")
        while True:
            data = c.recv(4096)
            if not data:
                break
            c.sendall(data)
    except OSError:
        pass
    c.close()


s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 8080))
s.listen(64)
print("listening on 8080", flush=True)
while True:
    conn, peer = s.accept()
    threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
