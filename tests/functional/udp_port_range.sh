#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_port_range.sh -- -p udp on a single port and a range of 16, with
# -listeners 2, a flow thread per socket: port N of the -l range goes to
# port N of the -4 range, the single -l to its own -4. Every port's client
# reaches the right backend port with its spoofed source, and the replies
# come back; SIGUSR1 labels each thread's counters with its address.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_port_range
mm_netns NS uport

# lines_ge N PATTERN: the daemon log has at least N lines matching it
# (a function, so that mm_wait_until counts afresh each time).
lines_ge() { [ "$(grep -c -- "$2" "$MM_LOG")" -ge "$1" ]; }

B="$MM_TMP/echo.log"
targets=(127.0.0.1:35565)
for i in $(seq 0 15); do targets+=("127.0.0.1:$((37015 + i))"); done
udp_echo "$NS" "$B" "${targets[@]}"
udp_wait_bound "$NS" 37030 || exit 99

udp_daemon "$NS" -l 127.0.0.1:25565 -4 127.0.0.1:35565 -listeners 2 \
    -l 127.0.0.1:27015-27030 -4 127.0.0.1:37015-37030 -6 '[::1]:9' -v 2
D=$MM_PID
udp_wait_bound "$NS" 27030 127.0.0.1 || mm_fail "27030 not bound"
grep -q "listening on 127.0.0.1:27015-27030 (udp, IPv4, 16 ports" "$MM_LOG" ||
    mm_fail "no listening line for the range"

check() {
	local lport=$1 tport=$2 what="port $1" res src
	src="192.0.2.$(($1 % 200 + 1)):$((6000 + $1 % 1000))"
	res=$(udp_send "$NS" --to "127.0.0.1:$lport" --src "$src" \
	    --dst 198.51.100.1:53 --bytes 100 --count 3 --seed "$lport") ||
	    { mm_fail "$what: $res"; return; }
	assert_json "$what" "$res" echoed 3
	assert_eq "$what: datagrams from $src" 3 "$(udp_peer_count "$B" "$src")"
	assert_eq "$what: at backend port $tport" 3 \
	    "$(grep -F "\"peer\": \"$src\"" "$B" |
	    grep -c -F "\"local\": \"127.0.0.1:$tport\"")"
}
check 25565 35565
for i in $(seq 0 15); do check $((27015 + i)) $((37015 + i)); done
assert_eq "datagrams at the backends" 51 "$(wc -l <"$B")"

kill -USR1 "$D"
mm_wait_until 5 lines_ge 34 'counters: ' ||
    mm_fail "counters: $(grep -c 'counters: ' "$MM_LOG") lines"
for p in 25565 $(seq 27015 27030); do
	grep -q "udp [0-9]* on 127.0.0.1:$p counters: 3 datagrams, 3 \
forwarded, 3 replies" "$MM_LOG" || mm_fail "counters for $p"
done
mm_stop "$D" 10 >"$MM_TMP/rc"	# not in $(...): only this shell may wait
assert_eq "exit status" 0 "$(cat "$MM_TMP/rc")"

mm_finish
