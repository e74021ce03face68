#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_header_memory.sh -- the buffers of large v2 headers still being read
# share one bound: 70 connections each send the start of a header that
# announces 16 + 65535 bytes and wait; 64 of them fit in the bound (64
# times the greatest length), the other 6 are closed, counted as "header
# memory" and logged. Once they go, the whole bound is back: 64 more fit,
# and a complete large header is proxied.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_header_memory
mm_netns NS hdrmem
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -header-timeout 60 -v 1
D=$MM_PID
fd0=$(mm_sockcount "$D")

res=$(stool 60 bighdr --connect 127.0.0.1:8443 --count 70) ||
    mm_fail "bighdr: $res"
assert_json "large headers held at once" "$res" open 64
assert_json "large headers refused" "$res" closed 6
mm_wait_until 5 grep -q "no memory left for headers being read" "$MM_LOG" ||
    mm_fail "no log line for the refused headers"
kill -USR1 "$D"
mm_wait_until 5 grep -q "counters: .*, header memory 6," "$MM_LOG" ||
    mm_fail "counters do not say header memory 6: $(grep counters "$MM_LOG")"

# All gone: the bound is whole again.
assert_ok "sockets back to $fd0" \
    mm_wait_test 10 'test "$(mm_sockcount "$D")" -le "$fd0"'
res=$(stool 60 bighdr --connect 127.0.0.1:8443 --count 64) ||
    mm_fail "bighdr again: $res"
assert_json "large headers held at once, second round" "$res" open 64
assert_ok "sockets back to $fd0 after the second round" \
    mm_wait_test 10 'test "$(mm_sockcount "$D")" -le "$fd0"'
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 \
    --src 198.51.100.7:40001 --dst 192.0.2.1:443 --noop 65000 \
    --mode echo) || mm_fail "complete large header: $res"
mm_alive "$D" mmproxyd
mm_finish
