#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_tproxy.sh -- -p udp -listen-transparent behind an nftables TPROXY
# rule. A load balancer namespace sends, over a veth pair, to addresses and
# ports the daemon does not bind (203.0.113.50-51 and 2001:db8:2::50, ports
# 10000-10010); TPROXY hands them to the daemon's wildcard listener. The
# load balancer reads replies on a connected socket, so every reply must
# come from the exact address and port it sent to (the kernel drops any
# other). Datagrams sent straight to the listener's own port still work.
# The reply socket for an original destination lives as long as the last
# flow that uses it.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_tproxy
mm_need nft
mm_netns SRV utpsrv
mm_netns CLI utpcli
mm_tproxy_pair "$SRV" "$CLI" udp 8443 8444

B="$MM_TMP/echo.log"
udp_echo "$SRV" "$B" 127.0.0.1:9000 '[::1]:9000'
T="-4 127.0.0.1:9000 -6 [::1]:9000 -listen-transparent -close-after 3 -v 2"
udp_daemon "$SRV" -l 0.0.0.0:8443 $T
D4=$MM_PID
udp_daemon "$SRV" -l '[::]:8444' $T
D6=$MM_PID

n=0
for to in 203.0.113.50:10000 203.0.113.51:10005 203.0.113.50:10010 \
    169.254.77.1:8443 '[2001:db8:2::50]:10000' '[2001:db8:2::51]:10010' \
    '[2001:db8:1::1]:8444'; do
	# Two clients per destination: the second shares its reply socket.
	for src in "198.51.100.7:$((6000 + n))" "[2001:db8::7]:$((6100 + n))"; do
		n=$((n + 1))
		case $src in
		\[*) dst='[2001:db8::ff]:53' ;;
		*) dst=198.51.100.9:53 ;;
		esac
		what="to $to, client $src"
		res=$(udp_send "$CLI" --to "$to" --connect --src "$src" \
		    --dst "$dst" --bytes 300 --count 2 --seed $n) ||
		    mm_fail "$what: $res"
		assert_json "$what" "$res" echoed 2
		udp_peer_count "$B" "$src" >/dev/null ||
		    mm_fail "$what: the backend did not see the client"
	done
done

# While a flow lives, a socket is bound to its original destination; once
# the flows that use it expire (-close-after 3), it is closed too.
for a in 203.0.113.50:10000 '[2001:db8:2::51]:10010'; do
	addr=${a%:*}
	addr=${addr#[}
	addr=${addr%]}
	port=${a##*:}
	res=$(udp_send "$CLI" --to "$a" --connect --src 192.0.2.99:7000 \
	    --payload again) || mm_fail "again to $a: $res"
	udp_bound "$SRV" "$port" "$addr" ||
	    mm_fail "no reply socket on $a while its flows live"
done
for a in 203.0.113.50:10000 203.0.113.51:10005 2001:db8:2::51:10010; do
	addr=${a%:*}
	port=${a##*:}
	udp_wait_gone "$SRV" "$port" "$addr" 20 ||
	    mm_fail "reply socket on $a outlived its flows"
done

mm_alive "$D4" "mmproxyd (0.0.0.0)"
mm_alive "$D6" "mmproxyd ([::])"
mm_stop "$D4"
assert_eq "IPv4 daemon exit status" 0 "$MM_RC"
mm_stop "$D6"
assert_eq "IPv6 daemon exit status" 0 "$MM_RC"
mm_finish
