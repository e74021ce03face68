#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_port_range.sh -- one daemon on a single port and a range of 16, with
# -listeners 2: the single -l goes to its own -4, port N of the range to
# port N of the -4 range. Every port carries a spoofed client end to end,
# each to the right backend port; SIGUSR1 labels each listener's counters
# with its address; SIGHUP and a drained SIGTERM work across all of them.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_port_range
mm_netns NS tport

# lines_ge N PATTERN: the daemon log has at least N lines matching it
# (a function, so that mm_wait_until counts afresh each time).
lines_ge() { [ "$(grep -c -- "$2" "$MM_LOG")" -ge "$1" ]; }

B="$MM_TMP/backend.log"
args=()
for i in $(seq 0 15); do args+=(--listen "127.0.0.1:$((37015 + i))"); done
args+=(--listen 127.0.0.1:35565)
: >"$B"
mm_bg "$NS" "$B.err" "$PYTHON" "$PP_TOOL" backend --mode echo --log "$B" \
    "${args[@]}"
mm_wait_listen "$NS" 35565 1 10 "$MM_LASTPID" || exit 99

printf '127.0.0.0/8\n' >"$MM_TMP/allow"
mm_daemon "$NS" -l 127.0.0.1:25565 -4 127.0.0.1:35565 \
    -l 127.0.0.1:27015-27030 -4 127.0.0.1:37015-37030 -6 '[::1]:9' \
    -listeners 2 -allowed-subnets "$MM_TMP/allow" -v 2
D=$MM_PID
mm_wait_listen "$NS" 27030 2 10 "$D" || exit 1
for p in 25565 $(seq 27015 27030); do
	assert_eq "listening sockets on $p" 2 "$(mm_listen_count "$NS" $p)"
done
assert_eq "listening sockets in all" 34 "$(mm_sockcount "$D")"

# One client per port, each with its own source port.
closed_once() { [ "$(logq "$B" --event close --peer "$1")" = 1 ]; }
check() {
	local lport=$1 tport=$2 src="198.51.100.7:$((40000 + $1 % 1000))"
	local what="port $lport" res
	res=$(mm_client "$NS" 20 -- --connect "127.0.0.1:$lport" \
	    --header v2 --src "$src" --dst 192.0.2.1:443 --mode echo \
	    --bytes 3000) || { mm_fail "$what: client: $res"; return; }
	mm_wait_until 5 closed_once "$src" ||
	    { mm_fail "$what: backend never saw $src"; return; }
	assert_eq "$what: backend port" "127.0.0.1:$tport" \
	    "$(logq "$B" --event close --peer "$src" --field local)"
	assert_eq "$what: bytes at backend" \
	    "$(printf '%s\n' "$res" | jget sent_sha256)" \
	    "$(logq "$B" --event close --peer "$src" --field rx_sha256)"
}
check 25565 35565
for i in $(seq 0 15); do check $((27015 + i)) $((37015 + i)); done
assert_eq "connections at the backends" 17 "$(logq "$B" --event close)"

# SIGHUP reloads the one allow-list: now nobody gets through, on any port.
printf '203.0.113.0/24\n' >"$MM_TMP/allow"
kill -HUP "$D"
mm_wait_until 5 grep -q 'SIGHUP: reloaded' "$MM_LOG" || mm_fail "no reload"
for p in 25565 27022; do
	mm_client "$NS" 10 -- --connect "127.0.0.1:$p" --header v2 \
	    --src 198.51.100.8:1 --dst 192.0.2.1:443 --mode echo \
	    >/dev/null 2>&1
done
assert_eq "connections at the backends after the reload" 17 \
    "$(logq "$B" --event close)"

# Counters: one line per listening socket, named by its address; the two
# sockets of a port together accepted its two clients and proxied one.
kill -USR1 "$D"
mm_wait_until 5 lines_ge 34 'counters: listener' ||
    mm_fail "counters: $(grep -c 'counters: listener' "$MM_LOG") lines"
sum() {
	grep "$1: listener [0-9]* on $2: " "$MM_LOG" | sed -n \
	    "s/.* $3 \([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
for p in 25565 $(seq 27015 27030); do
	assert_eq "counter lines for $p" 2 \
	    "$(grep -c "counters: listener [0-9]* on 127.0.0.1:$p: " "$MM_LOG")"
	want=1
	case $p in 25565|27022) want=2 ;; esac
	assert_eq "accepted on $p" $want "$(sum counters 127.0.0.1:$p accepted)"
	assert_eq "proxied on $p" 1 "$(sum counters 127.0.0.1:$p proxied)"
done

# SIGTERM with a transfer in flight on a range port: drained, exit 0.
printf '127.0.0.0/8\n' >"$MM_TMP/allow"
kill -HUP "$D"
mm_wait_until 5 lines_ge 2 'SIGHUP: reloaded' ||
    mm_fail "no second reload"
timeout -k 2 60 ip netns exec "$NS" "$PYTHON" \
    "$TOP_SRCDIR/tests/functional/stress_tool.py" slow \
    --connect 127.0.0.1:27030 --bytes 500000 --seconds 2 \
    >"$MM_TMP/slow.json" &
SLOW=$!
sleep 0.7
mm_stop "$D" 20 >"$MM_TMP/rc"	# not in $(...): only this shell may wait
wait "$SLOW" || mm_fail "slow client failed"
assert_json "transfer across SIGTERM" "$(cat "$MM_TMP/slow.json")" ok True
assert_eq "exit status" 0 "$(cat "$MM_TMP/rc")"
grep -q "stopping: 1 connection in flight" "$MM_LOG" ||
    mm_fail "no 'stopping' line naming the connection in flight"
assert_eq "exit counter lines" 34 "$(grep -c 'exit: listener' "$MM_LOG")"
assert_eq "proxied on 27030 at exit" 2 "$(sum exit 127.0.0.1:27030 proxied)"

mm_finish
