#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_tproxy.sh -- -listen-transparent behind an nftables TPROXY rule. A
# client namespace reaches the daemon's namespace over a veth pair and
# connects to addresses and ports the daemon does not bind (203.0.113.50 and
# 2001:db8:2::50, ports 10000-10010); TPROXY hands those to the daemon's
# wildcard listener, which only accepts them with IP_TRANSPARENT. The PROXY
# header's client reaches the backend, and the daemon's log names the
# client namespace's veth address as the load balancer.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_tproxy
mm_need nft
mm_netns SRV tpsrv
mm_netns CLI tpcli
mm_tproxy_pair "$SRV" "$CLI" tcp 8443 8446

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
for to in 203.0.113.50:10000 203.0.113.51:10005 '[2001:db8:2::50]:10010'; do
	for src in 198.51.100.7 '[2001:db8::7]'; do
		n=$((n + 1))
		case $src in
		\[*) dst='[2001:db8::1]:443' blog=$BE6 ;;
		*) dst=192.0.2.1:443 blog=$BE4 ;;
		esac
		case $to in
		\[*) lb=2001:db8:1::2 dlog=$DLOG6 ;;
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
