#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_basic.sh -- -p udp: IPv4 and IPv6 clients behind IPv4 and IPv6 load
# balancers (an IPv6 client inside an IPv4 datagram too). Each client gets
# its own flow whose backend peer is exactly the header's source; replies
# come back byte-exact (0 bytes to 60000) from the listener's address.
# LOCAL reaches the backend from the daemon's own address. With
# -listeners 2, datagrams from many load balancer ports are all served.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_basic
mm_netns NS ubasic

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000 '[::1]:9000'
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -6 '[::1]:9000' -v 2 \
    -listeners 2
D4=$MM_PID
L4=$MM_LOG
udp_daemon "$NS" -l '[::1]:8444' -4 127.0.0.1:9000 -6 '[::1]:9000' -v 2
D6=$MM_PID

# One client each way, several datagrams, payload sizes from 0 to 60000.
n=0
for lb in 127.0.0.1:8443 '[::1]:8444'; do
	for fam in 4 6; do
		n=$((n + 1))
		if [ $fam = 4 ]; then
			src="192.0.2.$n:$((5000 + n))" dst=198.51.100.1:53
		else
			src="[2001:db8::$n]:$((5000 + n))" dst='[2001:db8::ff]:53'
		fi
		for size in 0 1 1400 60000; do
			what="lb $lb client $src $size bytes"
			res=$(udp_send "$NS" --to "$lb" --src "$src" \
			    --dst "$dst" --bytes $size --count 3 \
			    --seed $((n * 100 + size))) ||
			    mm_fail "$what: $res"
			assert_json "$what" "$res" echoed 3
		done
		assert_eq "lb $lb client $src: backend datagrams" 12 \
		    "$(udp_peer_count "$B" "$src")"
	done
done

# Distinct clients, one flow each, with the right spoofed source: the
# backend saw each exactly as often as it sent, and nobody else.
for i in 1 2 3 4 5 6 7 8; do
	res=$(udp_send "$NS" --to 127.0.0.1:8443 --src "203.0.113.$i:700$i" \
	    --count $i --seed $i) || mm_fail "client $i: $res"
done
for i in 1 2 3 4 5 6 7 8; do
	assert_eq "client 203.0.113.$i datagrams at the backend" $i \
	    "$(udp_peer_count "$B" "203.0.113.$i:700$i")"
	udp_bound "$NS" 700$i 203.0.113.$i ||
	    mm_fail "no flow socket for 203.0.113.$i:700$i"
done
strangers=$(grep -o '"peer": "[^"]*"' "$B" | sort -u |
    grep -v -e '"192\.0\.2\.' -e '"\[2001:db8::' -e '"203\.0\.113\.')
assert_eq "backend peers that no header named" "" "$strangers"

# One client through many load balancer ports (each udp_send is a new
# socket) stays one flow in one of the two threads: two flows bound to the
# same address would steal each other's replies.
for i in 1 2 3 4 5 6; do
	res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 192.0.2.50:5050 \
	    --seed $i) || mm_fail "client 192.0.2.50 via port $i: $res"
done
assert_eq "flows opened for 192.0.2.50:5050 behind -listeners 2" 1 \
    "$(grep -c 'flow 192\.0\.2\.50:5050 -> .* opened' "$L4")"

# LOCAL: the load balancer's own health check, not spoofed.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --kind local --payload ping) ||
    mm_fail "LOCAL over IPv4: $res"
res=$(udp_send "$NS" --to '[::1]:8444' --kind local --payload pong) ||
    mm_fail "LOCAL over IPv6: $res"
assert_eq "LOCAL peers at the backend" "127.0.0.1 ::1" \
    "$(grep -F '"len": 4' "$B" | grep -o '"peer_ip": "[^"]*"' |
    cut -d'"' -f4 | sort -u | tr '\n' ' ' | sed 's/ $//')"

# A v2 header over UDP is parsed per datagram: a second header in the
# payload is data, and goes through untouched.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 192.0.2.99:5099 \
    --payload "$(printf 'PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n')") ||
    mm_fail "header-looking payload: $res"

mm_alive "$D4" "mmproxyd (IPv4)"
mm_alive "$D6" "mmproxyd (IPv6)"
mm_stop "$D4"
assert_eq "IPv4 daemon exit status" 0 "$MM_RC"
mm_stop "$D6"
assert_eq "IPv6 daemon exit status" 0 "$MM_RC"
mm_finish
