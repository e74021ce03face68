#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_reload.sh -- SIGHUP re-reads the allow-list: under load no connection
# is dropped by a reload; the new list applies to new connections; a file
# with an error keeps the old list and says why.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_reload
mm_netns NS reload
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
one_conn() {
	stool 20 flood --connect 127.0.0.1:8443 --count 1 --bytes 1000 \
	    --timeout 5 | jget ok
}

ALLOW="$MM_TMP/allowed.txt"
printf '# load balancers\n127.0.0.0/8\n' >"$ALLOW"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -allowed-subnets "$ALLOW" \
    -v 1
D=$MM_PID

# Reload ten times while 400 connections come and go.
stool 120 flood --connect 127.0.0.1:8443 --count 400 --parallel 20 \
    --bytes 20000 >"$MM_TMP/flood.json" &
FLOOD=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	if [ $((i % 2)) = 0 ]; then
		printf '127.0.0.0/8\n198.51.100.0/24 # extra\n' >"$ALLOW.new"
	else
		printf '::1/128\n127.0.0.1/32\n' >"$ALLOW.new"
	fi
	mv "$ALLOW.new" "$ALLOW"
	kill -HUP "$D"
	sleep 0.1
done
wait "$FLOOD" || mm_fail "flood client failed"
res=$(cat "$MM_TMP/flood.json")
assert_json "connections through ten reloads" "$res" ok 400
assert_json "connections reset during reloads" "$res" reset 0
mm_wait_test 5 'test "$(grep -c "SIGHUP: reloaded" "$MM_LOG")" = 10' ||
    mm_fail "expected 10 reload lines, got $(grep -c 'SIGHUP: reloaded' "$MM_LOG")"

# A list without us: new connections are refused before a byte is read.
printf '192.0.2.0/24\n' >"$ALLOW"
kill -HUP "$D"
mm_wait_until 5 grep -q "reloaded $ALLOW: 1 subnet$" "$MM_LOG" ||
    mm_fail "no reload line for the deny list"
assert_eq "connection after deny reload" 0 "$(one_conn)"
grep -q "127.0.0.1:[0-9]*: not in the allowed subnets" "$MM_LOG" ||
    mm_fail "denied peer not logged"

# A broken file keeps the old (denying) list and names the bad line.
printf '127.0.0.0/8\nnot a subnet\n' >"$ALLOW"
kill -HUP "$D"
mm_wait_until 5 grep -q "keeping the old allow-list: $ALLOW:2" "$MM_LOG" ||
    mm_fail "bad file not reported with its line"
assert_eq "connection after a bad reload" 0 "$(one_conn)"

# Fixed again: served again.
printf '127.0.0.0/8\n' >"$ALLOW"
kill -HUP "$D"
mm_wait_test 5 'test "$(grep -c "SIGHUP: reloaded" "$MM_LOG")" = 12' ||
    mm_fail "fixed file not reloaded"
assert_eq "connection after a good reload" 1 "$(one_conn)"
mm_alive "$D" mmproxyd
mm_stop "$D" >"$MM_TMP/rc"
assert_eq "exit status" 0 "$(cat "$MM_TMP/rc")"
mm_finish
