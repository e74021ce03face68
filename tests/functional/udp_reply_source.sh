#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_reply_source.sh -- -p udp on a wildcard listener (0.0.0.0, [::]) of a
# host with several addresses: every reply leaves from the address the load
# balancer sent its datagram to, not from whichever address the route back
# would pick. The load balancer here uses a connected view of the
# listener (udp_tool send counts a reply from any other address as a
# stranger, the way a connected socket would drop it).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_reply_source
mm_netns NS ureply
for a in 198.51.100.1/32 198.51.100.2/32; do
	ip -n "$NS" addr add "$a" dev lo
done
for a in 2001:db8:5::1/128 2001:db8:5::2/128; do
	ip -n "$NS" addr add "$a" dev lo nodad
done

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000 '[::1]:9000'
udp_daemon "$NS" -l 0.0.0.0:8443 -4 127.0.0.1:9000 -6 '[::1]:9000' -v 2
D4=$MM_PID
udp_daemon "$NS" -l '[::]:8444' -4 127.0.0.1:9000 -6 '[::1]:9000' -v 2
D6=$MM_PID

# The load balancer sends from loopback, so the route back to it would
# pick 127.0.0.1 or ::1 as the source: only the address it targeted will do.
n=0
for to in 198.51.100.1:8443 198.51.100.2:8443 127.0.0.1:8443 \
    '[2001:db8:5::1]:8444' '[2001:db8:5::2]:8444' '[::1]:8444'; do
	case $to in
	\[*) bind='[::1]:0' ;;
	*) bind=127.0.0.1:0 ;;
	esac
	for src in "192.0.2.7:$((6000 + n))" "[2001:db8::7]:$((6100 + n))"; do
		n=$((n + 1))
		case $src in
		\[*) dst='[2001:db8::ff]:53' ;;
		*) dst=198.51.100.9:53 ;;
		esac
		what="to $to, client $src"
		res=$(udp_send "$NS" --to "$to" --bind "$bind" --src "$src" \
		    --dst "$dst" --bytes 200 --count 3 --seed $n) ||
		    mm_fail "$what: $res"
		assert_json "$what" "$res" echoed 3
		case $res in
		*strangers*) mm_fail "$what: replies from elsewhere: $res" ;;
		esac
	done
done

# A LOCAL health check on the wildcard listener is answered the same way.
res=$(udp_send "$NS" --to 198.51.100.2:8443 --bind 127.0.0.1:0 \
    --kind local --payload ping) || mm_fail "LOCAL to 198.51.100.2: $res"

mm_alive "$D4" "mmproxyd (0.0.0.0)"
mm_alive "$D6" "mmproxyd ([::])"
mm_stop "$D4"
assert_eq "IPv4 daemon exit status" 0 "$MM_RC"
mm_stop "$D6"
assert_eq "IPv6 daemon exit status" 0 "$MM_RC"
mm_finish
