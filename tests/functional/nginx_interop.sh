#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# nginx_interop.sh -- nginx's stream module (proxy_protocol on, built from
# examples/nginx-stream.conf) in front of mmproxyd: a client in a second
# network namespace connects over a veth pair, with IPv4 link-local and
# IPv6 ULA addresses, and the backend must see the client's own address
# and port. Needs root, ip and nginx with the stream module (Debian:
# libnginx-mod-stream or nginx-full); exits 77 without them.
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] || { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
for t in ip ss nginx python3; do
	command -v $t >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
MMPROXYD=${MMPROXYD:-$(pwd)/mmproxyd}
TOP_SRCDIR=${TOP_SRCDIR:-.}
[ -x "$MMPROXYD" ] || { echo "no $MMPROXYD"; exit 77; }

# The stream module: built in, or a dynamic module to load.
load=""
if nginx -V 2>&1 | grep -q -- '--with-stream\( \|$\)'; then
	:
elif nginx -V 2>&1 | grep -q -- '--with-stream=dynamic'; then
	mod=""
	for m in /usr/lib/nginx/modules/ngx_stream_module.so \
	    /usr/share/nginx/modules/ngx_stream_module.so; do
		[ -f "$m" ] && { mod=$m; break; }
	done
	[ -n "$mod" ] || { echo "nginx stream module not installed" \
	    "(apt-get install libnginx-mod-stream)"; exit 77; }
	load="load_module $mod;"
else
	echo "nginx without the stream module"; exit 77
fi

S=mmpd-ngx-s-$$		# server side: nginx, mmproxyd, backend
C=mmpd-ngx-c-$$		# the client
V4S=169.254.77.1 V4C=169.254.77.2
V6S=fd6d:6d70:7878::1 V6C=fd6d:6d70:7878::2
NGINX_PORT=18443 MMPD_PORT=18444 BACKEND_PORT=18445
tmp=$(mktemp -d)
cleanup() {
	for p in "$tmp"/*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	sleep 0.2
	for p in $(ip netns pids "$S" 2>/dev/null); do kill "$p"; done
	for p in $(ip netns pids "$C" 2>/dev/null); do kill "$p"; done
	sleep 0.2
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$S" || exit 99
ip netns add "$C" || exit 99
ip link add veth-s netns "$S" type veth peer name veth-c netns "$C" ||
    exit 99
for ns in "$S" "$C"; do
	ip netns exec "$ns" ip link set lo up
done
ip netns exec "$S" ip addr add "$V4S/16" dev veth-s
ip netns exec "$S" ip -6 addr add "$V6S/64" dev veth-s nodad
ip netns exec "$S" ip link set veth-s up
ip netns exec "$C" ip addr add "$V4C/16" dev veth-c
ip netns exec "$C" ip -6 addr add "$V6C/64" dev veth-c nodad
ip netns exec "$C" ip link set veth-c up
ip netns exec "$S" env MMPROXYD_ROUTING_STATE="$tmp/routing" \
    sh "$TOP_SRCDIR/scripts/mmproxyd-routing" up 123 ||
    exit 99

# nginx: the example's stream block, pointed at this namespace.
sed -e '/^[[:space:]]*#/d' \
    -e "s|server 192.0.2.21:8443;|server 127.0.0.1:$MMPD_PORT;|" \
    -e '/server 192.0.2.22:8443;/d' \
    -e "s|listen 443;|listen $V4S:$NGINX_PORT;|" \
    -e "s|listen \[::\]:443;|listen [$V6S]:$NGINX_PORT;|" \
    "$TOP_SRCDIR/examples/nginx-stream.conf" >"$tmp/stream.conf"
grep -q "proxy_protocol on;" "$tmp/stream.conf" || exit 99
cat >"$tmp/nginx.conf" <<EOT
$load
daemon off;
worker_processes 1;
pid $tmp/nginx-own.pid;
error_log $tmp/nginx-error.log info;
events { worker_connections 64; }
include $tmp/stream.conf;
EOT
ip netns exec "$S" nginx -t -q -e "$tmp/nginx-error.log" -p "$tmp" \
    -c "$tmp/nginx.conf" || { cat "$tmp/nginx-error.log"; exit 99; }

# The backend: tells each client the peer address and port it sees.
cat >"$tmp/backend.py" <<'PY'
import select, socket, sys
port = int(sys.argv[1])
ls = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    ls.append(s)
print("ready", flush=True)
while True:
    r, _, _ = select.select(ls, [], [], 30)
    if not r:
        break
    for s in r:
        c, peer = s.accept()
        c.settimeout(5)
        line = c.recv(1024)
        print("backend saw %s port %d: %r" % (peer[0], peer[1], line),
              flush=True)
        c.sendall(b"peer=%s port=%d\n" % (peer[0].encode(), peer[1]))
        c.close()
PY
ip netns exec "$S" python3 -u "$tmp/backend.py" "$BACKEND_PORT" \
    >"$tmp/backend.log" 2>&1 &
echo $! >"$tmp/backend.pid"
# Only nginx, on loopback, may speak PROXY to mmproxyd.
echo "127.0.0.1/32  # nginx" >"$tmp/allowed"
ip netns exec "$S" "$MMPROXYD" -l "127.0.0.1:$MMPD_PORT" \
    -4 "127.0.0.1:$BACKEND_PORT" -6 "[::1]:$BACKEND_PORT" -v 2 \
    -allowed-subnets "$tmp/allowed" >"$tmp/mmproxyd.log" 2>&1 &
echo $! >"$tmp/mmproxyd.pid"
ip netns exec "$S" nginx -e "$tmp/nginx-error.log" -p "$tmp" \
    -c "$tmp/nginx.conf" >"$tmp/nginx.out" 2>&1 &
echo $! >"$tmp/nginx.pid"

up() {
	for p in $NGINX_PORT $MMPD_PORT $BACKEND_PORT; do
		ip netns exec "$S" ss -Htln "sport = :$p" | grep -q . ||
		    return 1
	done
}
i=0
until up; do
	i=$((i + 1))
	if [ $i -gt 50 ]; then
		echo "FAIL: nginx, mmproxyd or the backend did not start"
		cat "$tmp"/*.log
		exit 1
	fi
	sleep 0.1
done

cat >"$tmp/client.py" <<'PY'
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
local = c.getsockname()
c.sendall(b"hello through nginx\n")
reply = b""
while not reply.endswith(b"\n"):
    b = c.recv(1024)
    if not b:
        break
    reply += b
print("%s %d %s" % (local[0], local[1], reply.decode().strip()))
PY

fail=0
for dst in "$V4S" "$V6S"; do
	out=$(ip netns exec "$C" python3 "$tmp/client.py" "$dst" \
	    "$NGINX_PORT" 2>&1)
	echo "client -> $dst: $out"
	set -- $out
	if [ $# -ge 4 ] && [ "$3" = "peer=$1" ] && [ "$4" = "port=$2" ]; then
		echo "ok: backend saw the client as $1 port $2"
	else
		echo "FAIL: backend did not see the client's address and port"
		fail=1
	fi
done

echo "--- mmproxyd"; cat "$tmp/mmproxyd.log"
echo "--- backend"; cat "$tmp/backend.log"
if [ $fail -ne 0 ]; then
	echo "--- nginx"; cat "$tmp/nginx-error.log"
fi
exit $fail
