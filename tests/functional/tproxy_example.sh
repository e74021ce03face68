#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tproxy_example.sh -- examples/nftables-tproxy.nft works as documented:
# a load balancer in another namespace connects to two ports of the range,
# TPROXY hands both to one mmproxyd -listen-transparent, and the backend
# sees the client named in the PROXY header. Root and nft, else exit 77.
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] || { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
for t in ip ss nft python3; do
	command -v $t >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
MMPROXYD=${MMPROXYD:-$(pwd)/mmproxyd}
TOP_SRCDIR=${TOP_SRCDIR:-.}
[ -x "$MMPROXYD" ] || { echo "no $MMPROXYD"; exit 77; }

S=mmpd-tp-s-$$ L=mmpd-tp-l-$$
tmp=$(mktemp -d)
cleanup() {
	for p in "$tmp"/*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for p in $(ip netns pids "$S" 2>/dev/null); do kill "$p"; done
	for p in $(ip netns pids "$L" 2>/dev/null); do kill "$p"; done
	sleep 0.2
	ip netns del "$S" 2>/dev/null
	ip netns del "$L" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$S" && ip netns add "$L" || exit 99
ip link add veth-s netns "$S" type veth peer name veth-l netns "$L" ||
    exit 99
ip -n "$S" link set lo up
ip -n "$L" link set lo up
ip -n "$S" addr add 169.254.88.1/16 dev veth-s
ip -n "$S" link set veth-s up
ip -n "$L" addr add 169.254.88.2/16 dev veth-l
ip -n "$L" link set veth-l up

# As the example's header says.
ip netns exec "$S" env MMPROXYD_ROUTING_STATE="$tmp/routing" \
    sh "$TOP_SRCDIR/scripts/mmproxyd-routing" up 123 || exit 99
ip netns exec "$S" ip rule add fwmark 1 lookup 123 || exit 99
ip netns exec "$S" nft -f "$TOP_SRCDIR/examples/nftables-tproxy.nft" || {
	echo "nft cannot load the example (no tproxy support?)"; exit 77; }

ip netns exec "$S" python3 -u -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 25578))
s.listen(4)
while True:
    c, p = s.accept()
    d = c.recv(100)
    print("backend saw %s:%d %r" % (p[0], p[1], d), flush=True)
    c.sendall(b"%s:%d\n" % (p[0].encode(), p[1]))
    c.close()
' >"$tmp/backend.log" 2>&1 &
echo $! >"$tmp/backend.pid"
ip netns exec "$S" "$MMPROXYD" -l 0.0.0.0:25577 -4 127.0.0.1:25578 \
    -6 '[::1]:25578' -listen-transparent -v 2 >"$tmp/mmproxyd.log" 2>&1 &
echo $! >"$tmp/mmproxyd.pid"
i=0
until ip netns exec "$S" ss -Htln 'sport = :25577' | grep -q . &&
    ip netns exec "$S" ss -Htln 'sport = :25578' | grep -q .; do
	i=$((i + 1))
	[ $i -gt 50 ] && { echo "FAIL: not listening"; cat "$tmp"/*.log; exit 1; }
	sleep 0.1
done

fail=0
cport=40000
for port in 10000 15555 20000; do
	cport=$((cport + 1))	# a fresh 4-tuple each time
	got=$(ip netns exec "$L" python3 -c '
import socket, sys
port, cport = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection(("169.254.88.1", port), timeout=5)
c.sendall(b"PROXY TCP4 198.51.100.7 169.254.88.1 %d %d\r\nhi\n"
    % (cport, port))
print(c.recv(100).decode().strip())' "$port" "$cport" 2>&1)
	if [ "$got" = "198.51.100.7:$cport" ]; then
		echo "ok: port $port reached the backend as $got"
	else
		echo "FAIL: port $port: $got"
		fail=1
	fi
done
echo "--- mmproxyd"; cat "$tmp/mmproxyd.log"
exit $fail
