#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_shutdown.sh -- SIGTERM stops accepting at once, lets a transfer in
# flight finish without losing a byte, and exits 0; the grace period is
# bounded by -shutdown-timeout; a second SIGTERM ends it at once; SIGUSR1
# logs the counters.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_shutdown
mm_netns NS shut
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
refused() { ! timeout 3 ip netns exec "$NS" "$PYTHON" -c '
import socket; socket.create_connection(("127.0.0.1", 8443), 2)' 2>/dev/null; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }

# 1. A transfer in flight finishes within the grace period, byte-exact.
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -shutdown-timeout 20
D=$MM_PID
stool 60 slow --connect 127.0.0.1:8443 --bytes 2000000 --seconds 3 \
    >"$MM_TMP/slow.json" &
SLOW=$!
sleep 1
kill -USR1 "$D"
mm_wait_until 5 grep -q \
    "counters: listener 0 on 127.0.0.1:8443: accepted 1, proxied 1" \
    "$MM_LOG" || mm_fail "SIGUSR1 did not log the counters"
t0=$(date +%s.%N)
kill -TERM "$D"
mm_wait_until 5 refused || mm_fail "still accepting after SIGTERM"
wait "$SLOW" || mm_fail "slow client failed"
res=$(cat "$MM_TMP/slow.json")
assert_json "transfer across SIGTERM" "$res" ok True
mm_wait_until 10 sh -c "! kill -0 $D 2>/dev/null" ||
    mm_fail "daemon still running after its last connection ended"
wait "$D"
assert_eq "exit status after graceful stop" 0 $?
assert_lt "graceful stop took" 8 "$(elapsed "$t0")"
grep -q "stopping: 1 connection in flight" "$MM_LOG" ||
    mm_fail "no 'stopping' line naming the connection in flight"
grep -q "exit: listener 0 on 127.0.0.1:8443: accepted 1, proxied 1" "$MM_LOG" ||
    mm_fail "no counters line at exit"

# 2. Idle connections do not hold the daemon past -shutdown-timeout; each
# one cut then says so.
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -shutdown-timeout 2 -v 2
D=$MM_PID
stool 60 hold --connect 127.0.0.1:8443 --count 5 --seconds 30 \
    --ready-file "$MM_TMP/ready2" >/dev/null &
mm_wait_until 10 test -s "$MM_TMP/ready2" || mm_fail "hold did not start"
t0=$(date +%s.%N)
mm_stop "$D" 10 >"$MM_TMP/rc2"	# not in $(...): only this shell may wait
assert_eq "exit status after the grace period" 0 "$(cat "$MM_TMP/rc2")"
took=$(elapsed "$t0")
assert_ge "grace period honoured" 1.8 "$took"
assert_lt "grace period bounded" 5 "$took"
grep -q "closing 5 connections still open" "$MM_LOG" ||
    mm_fail "no line saying what was closed at the end of the grace"
assert_eq "connections logged as cut by shutdown" 5 \
    "$(grep -c "closed after .*(cut by shutdown)" "$MM_LOG")"
resets() { logq "$MM_TMP/backend.log" --event close --field how |
    grep -c "reset by peer"; }
mm_wait_test 3 'test "$(resets)" -ge 5' ||
    mm_fail "backend saw $(resets) resets, not 5, from the cut connections"

# 3. A second SIGTERM ends it at once.
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -shutdown-timeout 60
D=$MM_PID
stool 60 hold --connect 127.0.0.1:8443 --count 3 --seconds 30 \
    --ready-file "$MM_TMP/ready3" >/dev/null &
mm_wait_until 10 test -s "$MM_TMP/ready3" || mm_fail "hold did not start"
t0=$(date +%s.%N)
kill -TERM "$D"
sleep 0.5
mm_stop "$D" 10 >"$MM_TMP/rc3"
assert_eq "exit status after a second SIGTERM" 0 "$(cat "$MM_TMP/rc3")"
assert_lt "second SIGTERM ends at once" 4 "$(elapsed "$t0")"
grep -q "second signal" "$MM_LOG" || mm_fail "no 'second signal' line"

mm_finish
