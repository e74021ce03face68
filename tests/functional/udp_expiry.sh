#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_expiry.sh -- -close-after 2: a flow's socket (bound to the client's
# address) lives while datagrams keep coming, is closed about 2 s after the
# last one (not 1x..2x like a ticker), and a later datagram opens a new one.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_expiry
mm_netns NS uexp

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -close-after 2 -v 2
D=$MM_PID
L=$MM_LOG

now() { date +%s.%N; }
send() {
	local res
	res=$(udp_send "$NS" --to 127.0.0.1:8443 --src "$1" --seed "$2") ||
	    mm_fail "datagram $2 from $1: $res"
}

send 192.0.2.1:5001 1
udp_bound "$NS" 5001 192.0.2.1 || mm_fail "no flow socket after the first datagram"
# Keep it busy: 3 datagrams 0.8 s apart, so it outlives one -close-after.
for i in 2 3 4; do
	sleep 0.8
	send 192.0.2.1:5001 $i
done
t0=$(now)
udp_bound "$NS" 5001 192.0.2.1 || mm_fail "a busy flow was closed"
sleep 1
udp_bound "$NS" 5001 192.0.2.1 || mm_fail "flow closed after 1 s idle"
udp_wait_gone "$NS" 5001 192.0.2.1 5 || mm_fail "flow still open 6.5 s idle"
idle=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
mm_log "flow closed after ${idle}s idle"
assert_ge "idle time before close" 1.9 "$idle"
assert_lt "idle time before close" 2.8 "$idle"
assert_eq "opened lines" 1 "$(grep -c 'flow 192\.0\.2\.1:5001 -> .* opened' "$L")"
grep -q 'flow 192\.0\.2\.1:5001 closed: idle' "$L" || mm_fail "no idle line"

# A later datagram opens a new flow, and the answer still comes back.
send 192.0.2.1:5001 5
udp_bound "$NS" 5001 192.0.2.1 || mm_fail "no new flow socket"
assert_eq "opened lines" 2 "$(grep -c 'flow 192\.0\.2\.1:5001 -> .* opened' "$L")"
assert_eq "datagrams at the backend" 5 "$(udp_peer_count "$B" 192.0.2.1:5001)"

# Two flows expire independently, each on its own schedule.
send 192.0.2.2:5002 6
sleep 1
send 192.0.2.3:5003 7
udp_wait_gone "$NS" 5002 192.0.2.2 3 || mm_fail "first flow never expired"
udp_bound "$NS" 5003 192.0.2.3 || mm_fail "second flow expired with the first"
udp_wait_gone "$NS" 5003 192.0.2.3 3 || mm_fail "second flow never expired"

mm_stop "$D"
assert_eq "daemon exit status" 0 "$MM_RC"
mm_finish
