#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_tproxy.sh -- -listen-transparent behind an nftables TPROXY rule. A
# client namespace reaches the daemon's namespace over a veth pair and
# connects to addresses and ports the daemon does not bind (203.0.113.50 and
# fd00:2::50, ports 10000-10010); TPROXY hands those to the daemon's
# wildcard listener, which only accepts them with IP_TRANSPARENT. The PROXY
# header's client reaches the backend, and the daemon's log names the
# client namespace's veth address as the load balancer.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_tproxy
mm_need nft
mm_netns SRV tpsrv
mm_netns CLI tpcli
mm_veth "$SRV" 169.254.77.1/24 "$CLI" 169.254.77.2/24 \
    fd00:1::1/64 fd00:1::2/64
ip -n "$CLI" route add 203.0.113.0/24 via 169.254.77.1
ip -n "$CLI" -6 route add fd00:2::/64 via fd00:1::1

nsx "$SRV" nft -f - <<'NFT' || mm_skip "nftables TPROXY rules cannot be loaded"
table inet mmpxtproxy {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr 203.0.113.0/24 tcp dport 10000-10010 tproxy ip to :8443 meta mark set 1 accept
		ip6 daddr fd00:2::/64 tcp dport 10000-10010 tproxy ip6 to :8446 meta mark set 1 accept
	}
}
NFT
ip -n "$SRV" rule add fwmark 1 lookup 100
ip -n "$SRV" route add local 0.0.0.0/0 dev lo table 100
ip -n "$SRV" -6 rule add fwmark 1 lookup 100
ip -n "$SRV" -6 route add local ::/0 dev lo table 100

BE4="$MM_TMP/backend4.log"
BE6="$MM_TMP/backend6.log"
mm_backend "$SRV" 127.0.0.1:9001 echo "$BE4"
mm_backend "$SRV" '[::1]:9001' echo "$BE6"
T="-4 127.0.0.1:9001 -6 [::1]:9001 -v 2"
mm_daemon "$SRV" -l 0.0.0.0:8443 -listen-transparent $T
DLOG4=$MM_LOG
mm_daemon "$SRV" -l '[::]:8446' -listen-transparent $T
DLOG6=$MM_LOG

n=51000
for to in 203.0.113.50:10000 203.0.113.51:10005 '[fd00:2::50]:10010'; do
	for src in 198.51.100.7 '[2001:db8::7]'; do
		n=$((n + 1))
		case $src in
		\[*) dst='[2001:db8::1]:443' blog=$BE6 ;;
		*) dst=192.0.2.1:443 blog=$BE4 ;;
		esac
		case $to in
		\[*) lb=fd00:1::2 dlog=$DLOG6 ;;
		*) lb=169.254.77.2 dlog=$DLOG4 ;;
		esac
		res=$(mm_client "$CLI" 20 -- --connect "$to" --header v2 \
		    --src "$src:$n" --dst "$dst" --mode echo --timeout 10) ||
		    mm_fail "via $to client $src: $res"
		mm_wait_test 5 'test "$(logq "$blog" --event close \
		    --peer "$src:$n")" = 1' ||
		    mm_fail "via $to: backend did not see $src:$n"
		grep -F "$src:$n via " "$dlog" | grep -qF "$lb" ||
		    mm_fail "via $to: daemon log does not name $lb as the peer"
	done
done
mm_finish
