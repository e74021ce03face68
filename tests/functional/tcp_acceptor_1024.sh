#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_acceptor_1024.sh -- with 1,024 ports and the default -max-conns,
# one port reaches every slot (idle acceptors hold none), the next client
# waits in the backlog, and is served once a slot frees. The daemon runs
# under a 3,072 fd limit, which keeps the count (and the test) small; it
# derives -max-conns from it as it would from any limit.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_acceptor_1024
mm_need prlimit
mm_netns NS slots1024
M=127.0.0.1:9100
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
slots_used() { mm_metric "$NS" "$M" mmproxyd_connection_slots_used; }

mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
MM_LOG="$MM_TMP/daemon.log"
MM_DAEMON_LOGS+=("$MM_LOG")
mm_bg "$NS" "$MM_LOG" prlimit --nofile=3072:3072 "$MMPROXYD" \
    -l 127.0.0.1:20000-21023 -4 127.0.0.1:9001 -metrics "$M"
D=$MM_LASTPID
mm_wait_listen "$NS" 9100 1 30 "$D" || exit 1
mm_wait_until 10 grep -q 'ready: up to' "$MM_LOG" || exit 1
n=$(sed -n 's/.*ready: up to \([0-9]*\) connections.*/\1/p' "$MM_LOG")
mm_log "1,024 ports: default -max-conns is $n"
assert_ge "default -max-conns under a 3,072 fd limit" 500 "$n"
assert_eq "slots used by 1,024 idle ports" 0 "$(slots_used)"
res=$(stool 90 fill --connect 127.0.0.1:20000 --count "$n" --metrics "$M" \
    --timeout 40) ||
    mm_fail "fill 1,024 ports: $res"
assert_json "1,024 ports: connections served on one port" "$res" served "$n"
assert_json "1,024 ports: slots used" "$res" slots_used "$n"
assert_json "1,024 ports: one more waited" "$res" extra_waited True
assert_json "1,024 ports: and was served" "$res" extra_served True
assert_ok "slots used back to 0" \
    mm_wait_test 10 'test "$(slots_used)" = 0'
mm_alive "$D" mmproxyd
mm_stop "$D" 20 >"$MM_TMP/rc"
assert_eq "exit status (1,024 ports)" 0 "$(cat "$MM_TMP/rc")"
mm_finish
