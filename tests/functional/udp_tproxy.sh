#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_tproxy.sh -- -p udp -listen-transparent behind an nftables TPROXY
# rule. A load balancer namespace sends, over a veth pair, to addresses and
# ports the daemon does not bind (203.0.113.50-51 and fd00:2::50, ports
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
mm_veth "$SRV" 169.254.77.1/24 "$CLI" 169.254.77.2/24 \
    fd00:1::1/64 fd00:1::2/64
ip -n "$CLI" route add 203.0.113.0/24 via 169.254.77.1
ip -n "$CLI" -6 route add fd00:2::/64 via fd00:1::1

nsx "$SRV" nft -f - <<'NFT' || mm_skip "nftables TPROXY rules cannot be loaded"
table inet mmpxutproxy {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr 203.0.113.0/24 udp dport 10000-10010 tproxy ip to :8443 meta mark set 1 accept
		ip6 daddr fd00:2::/64 udp dport 10000-10010 tproxy ip6 to :8444 meta mark set 1 accept
	}
}
NFT
ip -n "$SRV" rule add fwmark 1 lookup 100
ip -n "$SRV" route add local 0.0.0.0/0 dev lo table 100
ip -n "$SRV" -6 rule add fwmark 1 lookup 100
ip -n "$SRV" -6 route add local ::/0 dev lo table 100

B="$MM_TMP/echo.log"
udp_echo "$SRV" "$B" 127.0.0.1:9000 '[::1]:9000'
T="-4 127.0.0.1:9000 -6 [::1]:9000 -listen-transparent -close-after 3 -v 2"
udp_daemon "$SRV" -l 0.0.0.0:8443 $T
D4=$MM_PID
udp_daemon "$SRV" -l '[::]:8444' $T
D6=$MM_PID

n=0
for to in 203.0.113.50:10000 203.0.113.51:10005 203.0.113.50:10010 \
    169.254.77.1:8443 '[fd00:2::50]:10000' '[fd00:2::51]:10010' \
    '[fd00:1::1]:8444'; do
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
for a in 203.0.113.50:10000 '[fd00:2::51]:10010'; do
	addr=${a%:*}
	addr=${addr#[}
	addr=${addr%]}
	port=${a##*:}
	res=$(udp_send "$CLI" --to "$a" --connect --src 192.0.2.99:7000 \
	    --payload again) || mm_fail "again to $a: $res"
	udp_bound "$SRV" "$port" "$addr" ||
	    mm_fail "no reply socket on $a while its flows live"
done
for a in 203.0.113.50:10000 203.0.113.51:10005 fd00:2::51:10010; do
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
