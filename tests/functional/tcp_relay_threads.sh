#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_relay_threads.sh -- a connection with light traffic runs on one
# thread: 40 connections that exchanged a ping and now idle hold 40 relay
# threads, not 80, and all echo again after 4 s. Bulk both ways at once on
# the same daemon (each direction then gets its own thread) still arrives
# intact, and afterwards the idle connections still echo.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_relay_threads
mm_netns NS rthreads

threads() { awk '$1 == "Threads:" {print $2}' "/proc/$1/status"; }

BE="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001
D=$MM_PID
# Warm: the pool keeps a few idle threads after its first connections.
res=$(mm_tool "$NS" 60 many --connect 127.0.0.1:8443 --count 8 \
    --parallel 8) || mm_fail "warm-up: $res"
sleep 0.5
base=$(threads "$D")

N=40
mm_tool "$NS" 90 idle --connect 127.0.0.1:8443 --count $N --secs 4 \
    --ready-file "$MM_TMP/ready" >"$MM_TMP/idle.json" 2>&1 &
IDLE=$!
mm_wait_until 30 test -e "$MM_TMP/ready" || mm_fail "idle connections"
sleep 0.5
held=$(threads "$D")
mm_log "threads: $base before, $held with $N idle connections"
# One thread each (two would be 2N), plus main, the acceptor and at
# most the pool's spare idle threads.
assert_lt "threads for $N idle connections" $((base + N + 5)) "$held"
assert_ge "a thread for each idle connection" $((N + 2)) "$held"

# Bulk both ways on one connection while the idle ones wait.
res=$(mm_client "$NS" 60 -- --connect 127.0.0.1:8443 --header v2 \
    --src 198.51.100.9:45000 --mode echo --bytes 8388608 --timeout 40) ||
    mm_fail "bulk echo: $res"

wait $IDLE || mm_fail "idle connections after the hold: $(cat "$MM_TMP/idle.json")"
assert_json "idle connections echo after the hold" "$(cat "$MM_TMP/idle.json")" \
    good $N

mm_alive "$D" daemon
mm_finish
