#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_two_lbs.sh -- two load balancers (127.0.0.2 and 127.0.0.3, both
# allowed) name the same client. While the first keeps sending for it, the
# second one's datagrams are dropped and counted, and the replies stay
# with the first; a new port of the first is followed at once. Once the
# first has been silent for a second, the second takes the flow over, and
# then holds it against the first the same way.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_two_lbs
mm_netns NS u2lb
HT="$TOP_SRCDIR/tests/functional/http_tool.py"
M=127.0.0.1:9100
C=192.0.2.10:5000

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -metrics "$M" -v 1
D=$MM_PID
L=$MM_LOG
mm_wait_listen "$NS" 9100 1 10 "$D" || mm_fail "no metrics listener"

# steady LB OUT: LB sends for the client every 50 ms, in the background,
# each datagram waiting for its echo, until stop LB; its JSON line to OUT.
steady() {
	mm_bg "$NS" "$2" "$PYTHON" "$UDP_TOOL" send --to 127.0.0.1:8443 \
	    --bind "$1:0" --src "$C" --count 1000 --interval 0.05 --seed 7 \
	    --stop-file "$MM_TMP/stop-$1"
}
# stop LB PID OUT: the steady sender stops; every datagram was answered;
# SENT says how many it sent.
stop() {
	touch "$MM_TMP/stop-$1"
	wait "$2" || mm_fail "$1 lost replies: $(cat "$3")"
	SENT=$(jget sent <"$3")
	assert_json "$1's echoes" "$(cat "$3")" echoed "$SENT"
}
# other LB SEED: 3 datagrams from LB for the client, none answered.
other() {
	udp_send "$NS" --to 127.0.0.1:8443 --bind "$1:0" --src "$C" \
	    --count 3 --expect none --timeout 0.2 --seed "$2"
}
scrape() {
	timeout -k 2 10 ip netns exec "$NS" "$PYTHON" "$HT" get \
	    --connect "$M" --out "$MM_TMP/scrape.txt" >/dev/null ||
	    mm_fail "scrape"
}
sample() {
	awk -v k="$1" '$1 == k {v = $2} END {print (v == "" ? "none" : v)}' \
	    "$MM_TMP/scrape.txt"
}
LL='listener="127.0.0.1:8443"'
DROPPED="mmproxyd_udp_datagrams_dropped_total{$LL,\
reason=\"other_load_balancer\"}"
MOVED="mmproxyd_udp_flows_moved_total{$LL}"

# hold OWNER OTHER SEED: OWNER keeps sending for the client while OTHER
# tries 3 datagrams: OWNER gets every answer, OTHER none, and the backend
# only OWNER's datagrams, counted in AT_BACKEND.
AT_BACKEND=0
hold() {
	local pid
	steady "$1" "$MM_TMP/$1.json"
	pid=$MM_LASTPID
	mm_wait_test 10 \
	    'test "$(udp_peer_count "$B" "$C")" -ge $((AT_BACKEND + 2))' ||
	    mm_fail "$1 did not get the flow"
	res=$(other "$2" "$3") ||
	    mm_fail "$2 was answered while $1 held the flow: $res"
	stop "$1" $pid "$MM_TMP/$1.json"
	AT_BACKEND=$((AT_BACKEND + SENT))
	assert_eq "datagrams the backend got for the client" $AT_BACKEND \
	    "$(udp_peer_count "$B" "$C")"
}

# The first balancer opens the flow and holds it against the second.
hold 127.0.0.2 127.0.0.3 1
scrape
assert_eq "dropped for another balancer" 3 "$(sample "$DROPPED")"
assert_eq "flows moved" 0 "$(sample "$MOVED")"
grep -q "dropped 1 datagram(s) for flows another load balancer holds, \
last $C via 127\.0\.0\.3:[0-9]*, held by 127\.0\.0\.2:" "$L" ||
    mm_fail "no line about the dropped datagram"

# A new socket of the same balancer gets the replies at once.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --bind 127.0.0.2:0 --src "$C" \
    --count 2 --seed 8) || mm_fail "the first balancer's new port: $res"
AT_BACKEND=$((AT_BACKEND + 2))

# Silent for a second: the second balancer takes the flow over, and now
# holds it against the first.
sleep 1.2
hold 127.0.0.3 127.0.0.2 2
scrape
assert_eq "dropped for another balancer" 6 "$(sample "$DROPPED")"
assert_eq "flows moved" 1 "$(sample "$MOVED")"
grep -q "1 flow(s) moved to another load balancer after 1000 ms without \
a datagram from theirs, last $C from 127\.0\.0\.2:[0-9]* to 127\.0\.0\.3:" \
    "$L" || mm_fail "no line about the flow that moved"

kill -USR1 "$D"
mm_wait_test 5 'grep -q " 6 from another balancer, 1 moved" "$L"' ||
    mm_fail "SIGUSR1 line without the two counters"
mm_alive "$D" daemon
mm_finish
