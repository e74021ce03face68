#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_pool_flood.sh -- with -max-conns 4 and 300 clients at once, every
# accepted connection is served in full, none is reset by mmproxyd, and
# threads and memory stay bounded by the pool, not by the load.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_pool_flood
mm_netns NS flood
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -max-conns 4 \
    -header-timeout 60
D=$MM_PID

stool 150 flood --connect 127.0.0.1:8443 --count 300 --parallel 300 \
    --bytes 200000 --timeout 120 --total-timeout 140 >"$MM_TMP/flood.json" &
F=$!
maxthreads=0
while kill -0 "$F" 2>/dev/null; do
	t=$(status "$D" Threads)
	[ -n "$t" ] && [ "$t" -gt "$maxthreads" ] && maxthreads=$t
	sleep 0.05
done
wait "$F" || mm_fail "flood client failed"
res=$(cat "$MM_TMP/flood.json")
assert_json "clients served in full" "$res" ok 300
assert_json "clients reset" "$res" reset 0
assert_json "clients with wrong bytes" "$res" mismatch 0
# main + acceptor + route watch (-4 is watched) + two per slot (+1: TSan's
# own background thread), where an unbounded daemon would run one or two
# per client, hundreds here.
assert_lt "peak threads" 13 "$maxthreads"
assert_lt "peak RSS (KiB)" 30000 "$(status "$D" VmHWM)"
mm_alive "$D" mmproxyd
mm_finish
