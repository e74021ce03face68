#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_dualstack.sh -- -l '[::]:PORT' and -l ':PORT' listen on both families,
# as go-mmproxy's do: a load balancer in another namespace reaches them over
# IPv4 (arriving as ::ffff:a.b.c.d) and over IPv6, and the backend sees the
# header's client either way. On such a listener an IPv4 balancer's LOCAL
# header goes to -4 (the family it reached us on), -dynamic-destination
# dials the header's destination, and an allow-list of an IPv4 subnet
# admits the IPv4 balancer and nothing else.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_dualstack
mm_netns NS dssrv
mm_netns LB dslb
mm_veth "$NS" 203.0.113.1/24 "$LB" 203.0.113.2/24 \
    2001:db8:1::1/64 2001:db8:1::2/64

BE4="$MM_TMP/backend4.log"
BE6="$MM_TMP/backend6.log"
BX4="$MM_TMP/dyn4.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE4"
mm_backend "$NS" '[::1]:9001' echo "$BE6"
mm_backend "$NS" 127.0.0.2:9002 echo "$BX4"
printf '203.0.113.0/24\n' >"$MM_TMP/allow4.txt"

T="-4 127.0.0.1:9001 -6 [::1]:9001 -v 2"
mm_daemon "$NS" -l '[::]:8443' $T
mm_daemon "$NS" -l ':8444' $T
mm_daemon "$NS" -l '[::]:8445' -dynamic-destination $T
mm_daemon "$NS" -l '[::]:8446' -allowed-subnets "$MM_TMP/allow4.txt" $T

LB4=203.0.113.1 LB6='[2001:db8:1::1]'

# lb_of PORT FAMILY: the address the balancer connects to.
lb_of() { if [ "$2" = 4 ]; then echo "$LB4:$1"; else echo "$LB6:$1"; fi; }

n=52000
for port in 8443 8444; do
	for fam in 4 6; do
		lb=$(lb_of $port $fam)
		for src in 192.0.2.7 '[2001:db8:7::7]'; do
			for hdr in v1 v2; do
				n=$((n + 1))
				case $src in
				\[*) dst='[2001:db8::1]:443' blog=$BE6 ;;
				*) dst=192.0.2.1:443 blog=$BE4 ;;
				esac
				what="via $lb $hdr client $src"
				res=$(mm_client "$LB" 20 -- --connect "$lb" \
				    --header $hdr --src "$src:$n" --dst "$dst" \
				    --mode echo --timeout 10) ||
				    mm_fail "$what: $res"
				mm_wait_test 5 'test "$(logq "$blog" \
				    --event close --peer "$src:$n")" = 1' ||
				    mm_fail "$what: backend did not see $src:$n"
			done
		done
	done
done

# LOCAL: nothing to spoof; the family the balancer reached picks -4 or -6.
for fam in 4 6; do
	if [ $fam = 4 ]; then want=$BE4 other=$BE6; else want=$BE6 other=$BE4; fi
	w0=$(logq "$want" --event close)
	o0=$(logq "$other" --event close)
	res=$(mm_client "$LB" 20 -- --connect "$(lb_of 8443 $fam)" \
	    --header v2-local --mode echo --timeout 10) ||
	    mm_fail "LOCAL over IPv$fam: $res"
	mm_wait_test 5 'test "$(logq "$want" --event close)" = $((w0 + 1))' ||
	    mm_fail "LOCAL over IPv$fam did not reach -$fam"
	assert_eq "LOCAL over IPv$fam: connections at the other target" \
	    "$o0" "$(logq "$other" --event close)"
done

# -dynamic-destination: the header's destination, whatever the balancer.
for fam in 4 6; do
	n=$((n + 1))
	res=$(mm_client "$LB" 20 -- --connect "$(lb_of 8445 $fam)" \
	    --header v2 --src "192.0.2.7:$n" --dst 127.0.0.2:9002 --mode echo \
	    --timeout 10) || mm_fail "dynamic over IPv$fam: $res"
	mm_wait_test 5 'test "$(logq "$BX4" --event close \
	    --peer "192.0.2.7:$n")" = 1' ||
	    mm_fail "dynamic over IPv$fam: 127.0.0.2:9002 did not see the client"
done

# An IPv4 subnet admits the IPv4 balancer on [::]; the IPv6 one is refused.
n=$((n + 1))
res=$(mm_client "$LB" 20 -- --connect "$(lb_of 8446 4)" --header v2 \
    --src "192.0.2.7:$n" --dst 192.0.2.1:443 --mode echo --timeout 10) ||
    mm_fail "allow-list, IPv4 balancer: $res"
mm_wait_test 5 'test "$(logq "$BE4" --event close --peer "192.0.2.7:$n")" = 1' ||
    mm_fail "allow-list: the IPv4 balancer was not admitted"
n=$((n + 1))
res=$(mm_client "$LB" 20 -- --connect "$(lb_of 8446 6)" --header v2 \
    --src "192.0.2.7:$n" --dst 192.0.2.1:443 --mode expect-close \
    --payload hello --timeout 8) ||
    mm_fail "allow-list, IPv6 balancer: $res"
sleep 0.3
assert_eq "allow-list: backend connections from the IPv6 balancer" 0 \
    "$(logq "$BE4" --event accept --peer "192.0.2.7:$n")"

for pid in "${MM_PIDS[@]}"; do mm_alive "$pid"; done
mm_finish
