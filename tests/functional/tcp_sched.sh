#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_sched.sh -- -sched-batch: by default every thread of a TCP daemon
# (signals, acceptor, relays) runs as SCHED_BATCH; -sched-batch=false
# keeps the normal policy; a UDP daemon keeps it too.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_sched
mm_netns NS sched
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"

# policies PID: "policy count" per scheduling policy over its threads
# (field 41 of /proc/PID/task/TID/stat: 0 normal, 3 batch).
policies() {
	local t
	for t in /proc/"$1"/task/*/stat; do
		sed 's/.*) //' "$t" | awk '{print $39}'
	done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}

# check NAME WANT ARGS...: a daemon with ARGS, 3 connections held open
# (so relay threads exist), every thread's policy WANT.
check() {
	local name=$1 want=$2 d got n hold
	shift 2
	mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 \
	    -shutdown-timeout 1 "$@"
	d=$MM_PID
	rm -f "$MM_TMP/ready"
	timeout -k 2 30 ip netns exec "$NS" "$PYTHON" "$ST" hold \
	    --connect 127.0.0.1:8443 --count 3 --seconds 5 \
	    --ready-file "$MM_TMP/ready" >/dev/null &
	hold=$!
	mm_wait_until 10 test -s "$MM_TMP/ready" || mm_fail "$name: no hold"
	n=$(ls /proc/"$d"/task | wc -l)
	# A held connection with light traffic runs on one relay thread.
	assert_ge "$name: threads (signals, acceptor, 1 per connection)" 5 "$n"
	got=$(policies "$d")
	assert_eq "$name: thread policies" "$want:$n " "$got"
	mm_stop "$d" >/dev/null
	wait "$hold"
}

check "default" 3
check "-sched-batch=false" 0 -sched-batch=false
check "--sched-batch=true" 3 --sched-batch=true

# UDP: one flow thread per socket, normal policy whatever the flag.
mm_daemon "$NS" -p udp -l 127.0.0.1:8444 -4 127.0.0.1:9001
D=$MM_PID
mm_wait_until 10 sh -c "[ \$(ls /proc/$D/task | wc -l) -ge 2 ]" ||
    mm_fail "udp: no flow thread"
assert_eq "udp: thread policies" "0:$(ls /proc/"$D"/task | wc -l) " \
    "$(policies "$D")"
mm_stop "$D" >/dev/null
mm_finish
