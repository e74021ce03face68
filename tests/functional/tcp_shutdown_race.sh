#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_shutdown_race.sh -- SIGTERM lands while the pool is full: some
# connections sit in the listen backlog behind it, some have sent half a
# header, some are still connecting to a backend that never answers, and
# new ones are being handed to threads. Every round the daemon must end
# within its grace period plus the abort wait and exit 0, and (run under
# ASan and TSan by .ci/run) without touching freed memory or racing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_shutdown_race
mm_need nft
mm_netns NS race
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
# Port 9002 swallows SYNs: a connect there waits out its own deadline.
nsx "$NS" nft -f - <<'NFT' || mm_fail "nft"
table inet blackhole {
	chain out {
		type filter hook output priority 0;
		tcp dport 9002 drop
	}
}
NFT
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }
ROUNDS=${MM_RACE_ROUNDS:-8}

for round in $(seq 1 "$ROUNDS"); do
	# Half the rounds aim the proxied connections at the black hole.
	target=127.0.0.1:9001
	[ $((round % 2)) = 0 ] && target=127.0.0.1:9002
	mm_daemon "$NS" -l 127.0.0.1:8443 -4 "$target" -max-conns 6 \
	    -header-timeout 30 -shutdown-timeout 1 -v 1
	D=$MM_PID
	stool 20 stall --connect 127.0.0.1:8443 --count 3 --parallel 3 \
	    --half --max-wait 15 >/dev/null 2>&1 &
	S1=$!
	stool 20 flood --connect 127.0.0.1:8443 --count 12 --parallel 12 \
	    --bytes 100000 --timeout 15 --total-timeout 18 >/dev/null 2>&1 &
	S2=$!
	# SIGTERM at a different moment of the hand-offs each round.
	sleep "0.$(( (round * 37) % 10 ))"
	t0=$(date +%s.%N)
	mm_stop "$D" 15 >"$MM_TMP/rc"
	took=$(elapsed "$t0")
	assert_eq "round $round: exit status" 0 "$(cat "$MM_TMP/rc")"
	# 1 s grace + 2 s abort wait, with room for a loaded machine.
	assert_lt "round $round: seconds to stop" 8 "$took"
	grep -q "stopped" "$MM_LOG" || mm_fail "round $round: no 'stopped'"
	if grep -q "exiting with" "$MM_LOG"; then
		mm_fail "round $round: relays outlived the abort: $(grep \
		    'exiting with' "$MM_LOG")"
	fi
	wait "$S1" "$S2" 2>/dev/null
done
mm_finish
