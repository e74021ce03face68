#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_reset.sh -- aborts travel as aborts: a backend that resets the
# connection gets the client's connection reset promptly, and a client that
# resets gets the backend's connection reset promptly (a reset, not a clean
# EOF first); nothing leaks. So does a client that half-closed first, with
# the backend still holding its reply: its reset reaches the backend, and
# its slot is free, within a second.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_reset
mm_netns NS reset

BR="$MM_TMP/rst.log"
BD="$MM_TMP/drain.log"
mm_backend "$NS" 127.0.0.1:9001 rst "$BR"
mm_backend "$NS" '[::1]:9001' drain "$BD" --conn-timeout 20
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D=$MM_PID

# Warm up once so lazily created descriptors are counted in the baseline.
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:53000 --mode expect-close --payload x --timeout 8)
sleep 0.3
fd0=$(mm_sockcount "$D")

for i in 1 2 3; do
	res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
	    --src "198.51.100.7:5300$i" --mode expect-reset --payload hello \
	    --timeout 8) || mm_fail "backend reset $i: client not reset: $res"
	assert_lt "backend reset $i: seconds until the client is closed" 2 \
	    "$(printf '%s\n' "$res" | jget elapsed)"
done

for i in 1 2 3; do
	src="[2001:db8::7]:5301$i"
	res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 \
	    --src "$src" --dst '[2001:db8::1]:443' --mode rst --bytes 100000 \
	    --delay 0.2) || mm_fail "client reset $i: $res"
	mm_wait_test 3 'test "$(logq "$BD" --event close --peer "$src")" = 1' ||
	    mm_fail "client reset $i: backend connection still open after 3 s"
	assert_eq "client reset $i: how the backend saw the end" reset \
	    "$(logq "$BD" --event close --peer "$src" --field how)"
done
assert_ok "socket count back to $fd0 (now $(mm_sockcount "$D"))" \
    mm_wait_test 5 'test "$(mm_sockcount "$D")" -le "$fd0"'
mm_alive "$D" daemon

# Half-close, then reset: once the client's direction has ended, only
# the other direction's wait can notice the reset. 1000 bytes stay on
# one thread; 100000 give each direction its own.
BH="$MM_TMP/hold.log"
M=127.0.0.1:9100
mm_backend "$NS" 127.0.0.1:9002 drain-hold "$BH" --conn-timeout 20
mm_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9002 -metrics "$M" -v 2
D2=$MM_PID
mm_wait_listen "$NS" 9100 1 10 "$D2" || exit 1
n=0
for bytes in 1000 100000 1000 100000; do
	n=$((n + 1))
	src="198.51.100.7:5302$n"
	what="half-close then reset $n ($bytes bytes)"
	res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v1 \
	    --src "$src" --mode halfclose-rst --bytes "$bytes" --delay 0.3) ||
	    mm_fail "$what: client: $res"
	mm_wait_test 3 'test "$(logq "$BH" --event close --peer "$src")" = 1' ||
	    { mm_fail "$what: backend connection still open after 3 s"; continue; }
	assert_eq "$what: how the backend saw the end" reset \
	    "$(logq "$BH" --event close --peer "$src" --field how)"
	assert_eq "$what: bytes at the backend" "$bytes" \
	    "$(logq "$BH" --event close --peer "$src" --field rx_bytes)"
	assert_lt "$what: seconds from the reset to the backend's" 1 \
	    "$(awk -v a="$(printf '%s\n' "$res" | jget rst_mono)" \
	    -v b="$(logq "$BH" --event close --peer "$src" --field mono)" \
	    'BEGIN { print b - a }')"
	assert_ok "$what: slots used back to 0" mm_wait_test 1 \
	    'test "$(mm_metric "$NS" "$M" mmproxyd_connection_slots_used)" = 0'
done
grep -q "(client error)" "$MM_LOG" || mm_fail "no close line saying client error"
mm_alive "$D2" daemon
mm_finish
