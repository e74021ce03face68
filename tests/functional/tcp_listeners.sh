#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_listeners.sh -- -listeners 4 opens four sockets on the port (ss), and
# 400 connections, 32 at a time, are all served.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_listeners
mm_netns NS listeners

BE="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -listeners 4 -v 1
D=$MM_PID
assert_eq "listening sockets on 8443" 4 "$(mm_listen_count "$NS" 8443)"

res=$(mm_tool "$NS" 120 many --connect 127.0.0.1:8443 \
    --src 198.51.100.7:20000 --count 400 --parallel 32 --timeout 30) ||
    mm_fail "many connections: $res"
mm_wait_test 10 'test "$(logq "$BE" --event close)" -ge 400'
assert_eq "backend connections" 400 "$(logq "$BE" --event close)"
assert_eq "distinct client ports at the backend" 400 \
    "$(logq "$BE" --event close --field peer | sort -u | wc -l)"
assert_eq "listening sockets after the load" 4 \
    "$(mm_listen_count "$NS" 8443)"
mm_alive "$D" daemon
mm_finish
