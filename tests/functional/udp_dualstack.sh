#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_dualstack.sh -- -p udp on -l '[::]:PORT' and -l ':PORT' serves both
# families: a load balancer in another namespace sends over IPv4 (the
# datagrams arrive as ::ffff:a.b.c.d) and over IPv6, the backend sees the
# header's client, and every reply reaches the balancer from the address it
# sent to, also the daemon's second address, which the route back would
# not pick. A LOCAL datagram goes to -4 or -6 by the family it came in on;
# an allow-list of an IPv4 subnet admits the IPv4 balancer only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_dualstack
mm_netns NS udssrv
mm_netns LB udslb
mm_veth "$NS" 203.0.113.1/24 "$LB" 203.0.113.2/24 \
    2001:db8:1::1/64 2001:db8:1::2/64
# Secondary addresses: replies to datagrams sent here need IP_PKTINFO.
ip -n "$NS" addr add 203.0.113.3/24 dev veth0
ip -n "$NS" addr add 2001:db8:1::3/64 dev veth0 nodad

E4="$MM_TMP/echo4.log"
E6="$MM_TMP/echo6.log"
udp_echo "$NS" "$E4" 127.0.0.1:9000
udp_echo "$NS" "$E6" '[::1]:9000'
printf '203.0.113.0/24\n' >"$MM_TMP/allow4.txt"

T="-4 127.0.0.1:9000 -6 [::1]:9000 -v 2"
udp_daemon "$NS" -l '[::]:8443' $T
udp_daemon "$NS" -l ':8444' $T
udp_daemon "$NS" -l '[::]:8446' -allowed-subnets "$MM_TMP/allow4.txt" $T

n=0
for port in 8443 8444; do
	for to in "203.0.113.1:$port" "203.0.113.3:$port" \
	    "[2001:db8:1::1]:$port" "[2001:db8:1::3]:$port"; do
		case $to in
		\[*) bind='[2001:db8:1::2]:0' ;;
		*) bind=203.0.113.2:0 ;;
		esac
		for src in "192.0.2.7:$((6000 + n))" \
		    "[2001:db8:7::7]:$((6100 + n))"; do
			n=$((n + 1))
			case $src in
			\[*) dst='[2001:db8::ff]:53' elog=$E6 ;;
			*) dst=198.51.100.9:53 elog=$E4 ;;
			esac
			what="to $to, client $src"
			res=$(udp_send "$LB" --to "$to" --bind "$bind" \
			    --src "$src" --dst "$dst" --bytes 200 --count 3 \
			    --seed $n --timeout 3) || mm_fail "$what: $res"
			assert_json "$what" "$res" echoed 3
			case $res in
			*strangers*) mm_fail "$what: replies from elsewhere: $res" ;;
			esac
			assert_eq "$what: datagrams at the backend" 3 \
			    "$(udp_peer_count "$elog" "$src")"
		done
	done
done

# LOCAL: the balancer's own flow, to the target of the family it used.
for fam in 4 6; do
	if [ $fam = 4 ]; then
		to=203.0.113.3:8443 bind=203.0.113.2:0 want=$E4 other=$E6
	else
		to='[2001:db8:1::3]:8443' bind='[2001:db8:1::2]:0'
		want=$E6 other=$E4
	fi
	w0=$(wc -l <"$want")
	o0=$(wc -l <"$other")
	res=$(udp_send "$LB" --to "$to" --bind "$bind" --kind local \
	    --payload "ping$fam" --timeout 3) || mm_fail "LOCAL over IPv$fam: $res"
	assert_json "LOCAL over IPv$fam" "$res" echoed 1
	assert_eq "LOCAL over IPv$fam: datagrams at -$fam" $((w0 + 1)) \
	    "$(wc -l <"$want")"
	assert_eq "LOCAL over IPv$fam: datagrams at the other target" "$o0" \
	    "$(wc -l <"$other")"
done

# An IPv4 subnet admits the IPv4 balancer on [::]; the IPv6 one is refused.
res=$(udp_send "$LB" --to 203.0.113.1:8446 --bind 203.0.113.2:0 \
    --src 192.0.2.8:7000 --dst 198.51.100.9:53 --timeout 3) ||
    mm_fail "allow-list, IPv4 balancer: $res"
assert_eq "allow-list: datagrams from the IPv4 balancer's client" 1 \
    "$(udp_peer_count "$E4" 192.0.2.8:7000)"
res=$(udp_send "$LB" --to '[2001:db8:1::1]:8446' --bind '[2001:db8:1::2]:0' \
    --src 192.0.2.8:7001 --dst 198.51.100.9:53 --expect none --timeout 1) ||
    mm_fail "allow-list, IPv6 balancer: $res"
assert_eq "allow-list: datagrams from the IPv6 balancer's client" 0 \
    "$(udp_peer_count "$E4" 192.0.2.8:7001)"

for pid in "${MM_PIDS[@]}"; do mm_alive "$pid"; done
mm_finish
