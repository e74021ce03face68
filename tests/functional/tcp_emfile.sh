#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_emfile.sh -- with a tiny fd limit, a flood makes accept() fail with
# EMFILE: the daemon backs off, says so (rate-limited), never exits, closes
# every stalled peer in turn, and serves normally once fds are free.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_emfile
mm_netns NS emfile
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }

mm_limit_nofile 48
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -max-conns 200 \
    -header-timeout 3
D=$MM_PID
grep -q "max-conns 200 needs about" "$MM_LOG" ||
    mm_fail "no startup warning that -max-conns does not fit the fd limit"

# 120 silent peers: ~40 fit, the rest wait in the backlog behind EMFILE.
res=$(stool 90 stall --connect 127.0.0.1:8443 --count 120 --max-wait 40) ||
    mm_fail "stall client: $res"
assert_json "stalled peers closed in the end" "$res" closed 120
assert_json "stalled peers left open" "$res" still_open 0
mm_alive "$D" mmproxyd
n=$(grep -c "accept, backing off (.*): Too many open files" "$MM_LOG")
assert_ge "EMFILE reported" 1 "$n"
assert_lt "EMFILE reports rate-limited" 4 "$n"
# Each line counts what it stands for; the first stands for itself.
assert_eq "first EMFILE line's count" "(1 since the last line)" \
    "$(grep -m1 -o "backing off ([^)]*)" "$MM_LOG" | sed 's/^backing off //')"

good=$(stool 60 flood --connect 127.0.0.1:8443 --count 20 --parallel 5 \
    --bytes 100000 --timeout 20) || mm_fail "good clients: $good"
assert_json "served after fds came back" "$good" ok 20
mm_alive "$D" mmproxyd
mm_finish
