#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_malformed.sh -- malformed headers of many kinds, then 1000 garbage
# connections in a row: each is closed promptly, the backend accepts
# nothing, the daemon still serves a good connection afterwards and its fd
# count returns to where it was.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_malformed
mm_netns NS malformed

BE="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
mm_backend "$NS" '[::1]:9001' echo "$BE.6"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 1
D=$MM_PID

# Warm up, so that anything the daemon creates lazily exists already.
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:45000 --mode echo) || mm_fail "warm-up: $res"
mm_wait_test 5 'test "$(logq "$BE" --event close)" = 1'
sleep 0.2
fd0=$(mm_fdcount "$D")

# Every malformed kind is closed well before the 5 s header timeout.
res=$(mm_tool "$NS" 300 malformed --connect 127.0.0.1:8443 --timeout 6 \
    --max-secs 2) || mm_fail "malformed headers: $res"

res=$(mm_tool "$NS" 120 garbage --connect 127.0.0.1:8443 --count 1000 \
    --timeout 6 --total-timeout 100) || mm_fail "garbage connections: $res"

assert_eq "backend accepts after bad headers" 1 \
    "$(logq "$BE" --event accept)"
assert_eq "IPv6 backend accepts after bad headers" 0 \
    "$(logq "$BE.6" --event accept)"
mm_alive "$D" daemon

res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 \
    --src 198.51.100.7:45001 --mode echo) ||
    mm_fail "good connection after the bad ones: $res"
mm_wait_test 5 'test "$(logq "$BE" --event close)" = 2' ||
    mm_fail "backend did not finish the good connection"
assert_ok "fd count back to $fd0 (now $(mm_fdcount "$D"))" \
    mm_wait_test 5 'test "$(mm_fdcount "$D")" -le "$fd0"'
mm_finish
