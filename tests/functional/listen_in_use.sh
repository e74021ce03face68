#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# listen_in_use.sh -- a second mmproxyd on a port the first one serves
# with -listeners 4 is refused, over TCP and UDP, with -listeners 4 or 1:
# it exits non-zero naming the port, and the first one's four sockets go
# on sharing the traffic between them.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init listen_in_use
mm_netns NS inuse

# second PROTO ARGS...: another mmproxyd on the same port must exit 1,
# saying which port.
second() {
	local proto=$1 out rc pat
	shift
	out=$(timeout -k 2 20 ip netns exec "$NS" "$MMPROXYD" "$@" 2>&1)
	rc=$?
	pat="listen on 127.0.0.1:8443 ($proto): Address already in use"
	assert_eq "exit status of a second mmproxyd $*" 1 "$rc"
	printf '%s\n' "$out" | grep -q -F -- "$pat" ||
	    mm_fail "second mmproxyd $*: no \"$pat\" in: $out"
}

# stop_all_busy PROTO SED: stop the daemon D (log L); each of its four
# sockets' exit lines, whose count SED prints, counted some traffic.
stop_all_busy() {
	local c n=0
	mm_stop "$D" >/dev/null
	assert_eq "$1 exit status" 0 "$MM_RC"
	for c in $(sed -n "$2" "$L"); do
		[ "$c" -gt 0 ] && n=$((n + 1))
	done
	assert_eq "$1 sockets that took traffic" 4 "$n"
}

# UDP: four sockets, steered by client.
B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -listeners 4
D=$MM_PID
L=$MM_LOG
second udp -p udp -l 127.0.0.1:8443 -4 127.0.0.1:9000 -listeners 4
second udp -p udp -l 127.0.0.1:8443 -4 127.0.0.1:9000
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 192.0.2.1:5000 \
    --clients 64 --count 2) || mm_fail "64 clients over udp: $res"
assert_json "64 clients over udp" "$res" echoed 128
stop_all_busy udp 's/.*udp [0-9] on .* exit: \([0-9]*\) datagrams.*/\1/p'

# TCP: four acceptors.
BE="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -listeners 4
D=$MM_PID
L=$MM_LOG
second tcp -l 127.0.0.1:8443 -4 127.0.0.1:9001 -listeners 4
second tcp -l 127.0.0.1:8443 -4 127.0.0.1:9001
assert_eq "listening sockets on 8443" 4 "$(mm_listen_count "$NS" 8443)"
res=$(mm_tool "$NS" 60 many --connect 127.0.0.1:8443 \
    --src 198.51.100.7:20000 --count 200 --parallel 16 --timeout 30) ||
    mm_fail "200 connections over tcp: $res"
stop_all_busy tcp 's/.*listener [0-9] on .*: accepted \([0-9]*\),.*/\1/p'

mm_finish
