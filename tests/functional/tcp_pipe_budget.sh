#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_pipe_budget.sh -- pipes follow the fds in use, not -max-conns. With
# 256 fds and -max-conns far above what fits, busy directions splice
# (the old budget left one pipe); then new connections arrive until
# fewer fds are free than the low-water mark: every one is accepted and
# proxied (accept never hits EMFILE), the pipes are given back, the busy
# connections go on by copying, the copy fallbacks are counted and the
# first is logged, once. Once the crowd is gone the busy connections
# splice again, and their data arrives intact through all three phases.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_pipe_budget
mm_netns NS pipebudget
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
# Pipe fds the relays hold: the daemon's, less those it started with
# (its stdin may be one).
pipes() {
	local n
	n=$(find "/proc/$D/fd" -lname 'pipe:*' 2>/dev/null | wc -l)
	echo $((n - P0))
}

mm_limit_nofile 256
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -max-conns 1000 -v 1
D=$MM_PID
L=$MM_LOG
P0=0
P0=$(pipes)

# 8 connections in the middle of a bulk burst until told to stop (30 s
# at most): 16 busy directions with a pipe each (32 fds). A 64 KiB chunk
# every 20 ms: a busy direction gives its pipe back at its next bulk
# read, and the mark holds the connections that come meanwhile.
BUSY=8
stool 60 trickle --connect 127.0.0.1:8443 --count $BUSY --seconds 30 \
    --interval 0.02 --first 1000 --ready-file "$MM_TMP/busy.ready" \
    --stop-file "$MM_TMP/busy.stop" >"$MM_TMP/busy.json" 2>&1 &
BUSYPID=$!
mm_wait_until 10 test -e "$MM_TMP/busy.ready" ||
    mm_fail "busy connections never got going"
sleep 0.3
n=$(pipes)
mm_log "pipe fds while $BUSY connections are busy: $n"
assert_ge "pipe fds with $BUSY busy connections and -max-conns 1000" \
    $((BUSY * 2)) "$n"

# 110 more connections, 4 at a time, need 220 fds: with the 16 pipes
# kept, 5 + 2 * 118 + 32 would pass 256; without them 241 fit.
NEW=110
stool 40 hold --connect 127.0.0.1:8443 --count $NEW --parallel 4 \
    --seconds 0.5 --timeout 3 --ready-file "$MM_TMP/new.ready" \
    >"$MM_TMP/new.json" 2>&1 &
NEWPID=$!
mm_wait_until 20 test -e "$MM_TMP/new.ready" ||
    mm_fail "new connections never all opened"
mm_wait_test 2 'test "$(pipes)" = 0' ||
    mm_fail "pipe fds with $((BUSY + NEW)) connections: $(pipes), not 0"
kill -0 $BUSYPID 2>/dev/null ||
    mm_fail "the busy connections ended before the crowd came"
wait $NEWPID
res=$(cat "$MM_TMP/new.json")
assert_json "new connections opened near the fd limit" "$res" opened $NEW
assert_json "new connections echoed near the fd limit" "$res" echoed $NEW
# Neither accept() nor a backend socket ran out of fds.
if grep -q "Too many open files" "$L"; then
	mm_fail "out of fds: $(grep -m1 'Too many open files' "$L")"
fi

# The crowd gone, fds are to spare again: the busy directions splice.
mm_wait_test 3 'test "$(pipes)" -ge $((BUSY * 4))' ||
    mm_fail "pipe fds once the crowd left: $(pipes)"
kill -0 $BUSYPID 2>/dev/null ||
    mm_fail "the busy connections ended before the crowd left"
touch "$MM_TMP/busy.stop"
wait $BUSYPID
res=$(cat "$MM_TMP/busy.json")
assert_json "busy connections intact, spliced, copied, spliced" "$res" ok \
    $BUSY
assert_eq "copy fallback logged once" 1 \
    "$(grep -c 'bulk data copied, not spliced, for want of a pipe' "$L")"
kill -USR1 "$D"
mm_wait_until 5 grep -q 'counters: listener 0' "$L" ||
    mm_fail "no counters line"
n=$(grep 'counters: listener 0' "$L" |
    sed -n 's/.*copy fallbacks \([0-9]*\).*/\1/p')
assert_ge "copy fallbacks counted" $((BUSY * 2)) "${n:-0}"

mm_alive "$D" mmproxyd
mm_finish
