#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_relay_threads.sh -- a connection with light traffic runs on one
# thread: 40 connections that exchanged a ping and now idle hold 40 relay
# threads, not 80, and all echo again after 4 s. Bulk both ways at once on
# the same daemon (each direction then gets its own thread) still arrives
# intact, and afterwards the idle connections still echo. A connection
# gets its second thread at its 8th burst (a read on either side, after
# what came with the header): after 3 pings (at most 6 bursts) it idles
# on one thread, after 5 (at least 9) on two.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_relay_threads
mm_netns NS rthreads

threads() { awk '$1 == "Threads:" {print $2}' "/proc/$1/status"; }

BE="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
M=127.0.0.1:9100
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -metrics "$M"
D=$MM_PID
mm_wait_listen "$NS" 9100 1 10 "$D" || exit 1
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

# busy_during PINGS BUSY: 10 connections echo PINGS pings, then idle; the
# pool's busy threads come to BUSY meanwhile.
busy() { mm_metric "$NS" "$M" 'mmproxyd_pool_threads{state="busy"}'; }
busy_during() {
	local want=$2
	mm_tool "$NS" 60 idle --connect 127.0.0.1:8443 --count 10 --secs 2 \
	    --pings "$1" --src "198.51.100.8:$((46000 + 100 * $1))" \
	    --ready-file "$MM_TMP/ready$1" >"$MM_TMP/idle$1.json" 2>&1 &
	IDLE=$!
	mm_wait_until 30 test -e "$MM_TMP/ready$1" || mm_fail "$1 pings"
	mm_wait_test 1 'test "$(busy)" = "$want"' ||
	    mm_fail "busy threads for 10 connections idle after $1 pings:" \
	    "expected $want, got $(busy)"
	wait $IDLE || mm_fail "$1 pings: $(cat "$MM_TMP/idle$1.json")"
}
assert_ok "no busy thread left" mm_wait_test 5 'test "$(busy)" = 0'
busy_during 3 10
busy_during 5 20

mm_alive "$D" daemon
mm_finish
