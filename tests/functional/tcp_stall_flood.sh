#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_stall_flood.sh -- 5,000 peers that send nothing or half a header are
# closed on time without reaching the backend, while good connections
# opened meanwhile are served; the header-timeout counter says so.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_stall_flood
mm_netns NS stall
BLOG="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BLOG"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -header-timeout 3 -v 1
D=$MM_PID
# Sockets must all be given back; idle pipes stay pooled (bounded).
sockets() { mm_sockcount "$1"; }
pipes() { find "/proc/$1/fd" -lname 'pipe:*' 2>/dev/null | wc -l; }
fd0=$(sockets "$D")

stool 90 stall --connect 127.0.0.1:8443 --count 2500 --max-wait 20 \
    >"$MM_TMP/silent.json" &
S1=$!
stool 90 stall --connect 127.0.0.1:8443 --count 2500 --half --max-wait 20 \
    >"$MM_TMP/half.json" &
S2=$!
sleep 1
good=$(stool 60 flood --connect 127.0.0.1:8443 --count 100 --parallel 10 \
    --bytes 5000 --timeout 10) || mm_fail "good clients: $good"
assert_json "good clients during the stall" "$good" ok 100
wait "$S1" || mm_fail "silent stall client failed"
wait "$S2" || mm_fail "half-header stall client failed"
for f in silent half; do
	res=$(cat "$MM_TMP/$f.json")
	assert_json "$f peers closed" "$res" closed 2500
	assert_json "$f peers left open" "$res" still_open 0
	assert_json "$f peers that got data" "$res" got_data 0
	# Not before the deadline, and not long after it.
	assert_ge "$f earliest close" 2.9 "$(printf '%s' "$res" | jget min_close)"
	assert_lt "$f latest close" 8 "$(printf '%s' "$res" | jget max_close)"
done
# Only the good clients reached the backend.
assert_eq "backend connections" 100 "$(logq "$BLOG" --event accept)"
kill -USR1 "$D"
mm_wait_until 5 grep -q "header timeout 5000," "$MM_LOG" ||
    mm_fail "counters do not show 5000 header timeouts: $(grep counters "$MM_LOG")"
mm_wait_test 10 'test "$(sockets "$D")" = "$fd0"' ||
    mm_fail "sockets did not return to $fd0: $(sockets "$D")"
assert_lt "pooled pipe fds" 257 "$(pipes "$D")"
mm_alive "$D" mmproxyd
mm_finish
