#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_header_duration.sh -- -header-timeout takes a duration below the
# old 3 s floor, in seconds (0.5) or with a unit (500ms): the daemon
# starts, a client that sends half a header is closed after about half a
# second, and one that sends a whole header is served. -shutdown-timeout
# takes a duration too, and the stop line prints it as given.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_header_duration
mm_netns NS hdur

BE="$MM_TMP/echo.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
# mm_daemon gives up on a daemon that does not start: "0.5" was refused.
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -header-timeout 0.5 \
    -shutdown-timeout 1.5 -v 1
D1=$MM_PID
L1=$MM_LOG
mm_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9001 -header-timeout 500ms \
    -v 1
D2=$MM_PID

n=43000
for port in 8443 8444; do
	# Half a v1 line, then silence: closed by the daemon, well under
	# the old minimum of 3 s (generous bounds: 2 cores, shared).
	n=$((n + 1))
	res=$(mm_client "$NS" 20 -- --connect "127.0.0.1:$port" \
	    --header 'text:PROXY TCP4 198.51' --mode expect-close \
	    --timeout 8) || mm_fail "half header on $port: $res"
	assert_json "half header on $port closed" "$res" ok True
	el=$(printf '%s\n' "$res" | jget elapsed)
	assert_ge "half header on $port closed after (s)" 0.4 "$el"
	assert_lt "half header on $port closed after (s)" 2 "$el"

	# A whole header is still served.
	n=$((n + 1))
	res=$(mm_client "$NS" 20 -- --connect "127.0.0.1:$port" --header v1 \
	    --src "198.51.100.7:$n" --mode echo) ||
	    mm_fail "whole header on $port: $res"
done
mm_wait_test 5 'test "$(logq "$BE" --event close)" -ge 2' ||
    mm_fail "backend saw $(logq "$BE" --event close) of 2 connections"
assert_eq "backend peers" "198.51.100.7:43002 198.51.100.7:43004" \
    "$(logq "$BE" --event accept --field peer | sort | xargs)"
assert_eq "header timeouts logged" 2 \
    "$(cat "$MM_TMP"/daemon*.log | grep -c 'no complete PROXY header in time')"

mm_stop "$D2" >/dev/null
assert_eq "exit status (500ms)" 0 "$MM_RC"
mm_stop "$D1" >/dev/null
assert_eq "exit status (0.5)" 0 "$MM_RC"
grep -q 'in flight, grace 1\.5s$' "$L1" ||
    mm_fail "no 'grace 1.5s' in the stop line: $(grep grace "$L1")"
mm_finish
