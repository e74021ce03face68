#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_maxflows.sh -- -max-flows 3: a fourth client evicts the least
# recently used flow (its socket closes, a line at -v 1 says so), the
# others keep theirs, and a flood of 500 clients never holds more than 3
# flow sockets.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_maxflows
mm_netns NS umax

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -max-flows 3 -v 1
D=$MM_PID
L=$MM_LOG

send() {
	local res
	res=$(udp_send "$NS" --to 127.0.0.1:8443 --src "192.0.2.$1:500$1" \
	    --seed "$2") || mm_fail "datagram from client $1: $res"
}
open_flows() {
	local i out=
	for i in 1 2 3 4; do
		udp_bound "$NS" 500$i 192.0.2.$i && out="$out$i"
	done
	echo "$out"
}

send 1 1
send 2 2
send 3 3
assert_eq "open flows" 123 "$(open_flows)"
send 1 4		# 1 is now newer than 2
send 4 5		# full: 2 is the least recently used
assert_eq "open flows after client 4" 134 "$(open_flows)"
grep -q 'flow table full (3): evicted 1 flow(s), last 192\.0\.2\.2:5002' "$L" ||
    mm_fail "no eviction line for 192.0.2.2"
send 2 6		# back again: evicts 3
assert_eq "open flows after client 2 again" 124 "$(open_flows)"

# A flood of new clients: never more than 3 flow sockets, and the daemon's
# descriptors stay bounded.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 198.51.100.1:20000 \
    --clients 500 --timeout 2) || mm_fail "flood: $res"
n=$(ip netns exec "$NS" ss -Hun state established 'dport = :9000' | wc -l)
assert_eq "flow sockets after 500 clients" 3 "$n"
assert_lt "daemon descriptors" 20 "$(mm_fdcount "$D")"

kill -USR1 "$D"
mm_wait_until 5 grep -q 'counters:' "$L" || mm_fail "no counters line"
grep -q 'counters: .* 3 flows open, 505 opened, 0 expired, 502 evicted' "$L" ||
    mm_fail "counters: $(grep 'counters:' "$L")"
mm_stop "$D"
assert_eq "daemon exit status" 0 "$MM_RC"
mm_finish
