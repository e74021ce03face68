#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_bad.sh -- -p udp drops every datagram without a usable PROXY v2
# header (none, v1, truncated v2, STREAM transport, version 3, UNSPEC
# PROXY) without forwarding a byte or answering, counts them in one
# rate-limited line at -v 1 (at -v 2 one line each), and keeps serving
# good datagrams; the exit line counts them.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_bad
mm_netns NS ubad

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000 '[::1]:9000'
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -6 '[::1]:9000' -v 1
D=$MM_PID
L=$MM_LOG

# Before, between and after the bad ones, a good client is served.
good() {
	local res
	res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 192.0.2.1:5001 \
	    --seed "$1") || mm_fail "good datagram $1 ($2): $res"
}
good 1 "first"
for kind in none v1 truncated stream badver unspec \
    hex:0d0a0d0a000d0a515549540a 'hex:50524f5859'; do
	res=$(udp_send "$NS" --to 127.0.0.1:8443 --kind "$kind" \
	    --src 192.0.2.2:5002 --expect none --timeout 0.3 --count 3) ||
	    mm_fail "bad datagram $kind was answered: $res"
	good 2 "after $kind"
	mm_alive "$D" mmproxyd
done
assert_eq "datagrams at the backend" 9 "$(wc -l <"$B")"
assert_eq "bad client seen at the backend" 0 \
    "$(udp_peer_count "$B" 192.0.2.2:5002)"

# A burst of 200 bad datagrams: counted, but logged about once a second.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --kind v1 --expect none \
    --timeout 0.005 --count 200) || mm_fail "burst answered: $res"
good 3 "after the burst"
lines=$(grep -c 'dropped .* datagram' "$L")
assert_ge "lines about dropped datagrams" 1 "$lines"
assert_lt "lines about dropped datagrams (rate-limited)" 15 "$lines"
grep -q 'v1 header on udp' "$L" || mm_fail "no reason in the drop line"

# At -v 2 nothing is rate-limited: three reasons in a row, three lines.
udp_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9000 -v 2
D2=$MM_PID
L2=$MM_LOG
for kind in v1 truncated stream; do
	udp_send "$NS" --to 127.0.0.1:8444 --kind "$kind" --expect none \
	    --timeout 0.01 >/dev/null || mm_fail "-v 2: $kind answered"
done
mm_wait_until 5 grep -q 'last from .*: not DGRAM transport' "$L2"
for why in 'v1 header on udp' 'truncated header' 'not DGRAM transport'; do
	grep -q "dropped 1 datagram(s) .*: $why\$" "$L2" ||
	    mm_fail "-v 2: no line of its own for \"$why\""
done
mm_stop "$D2" >/dev/null
want='udp 0 on 127.0.0.1:8444 exit: 3 datagrams, 0 forwarded, 0 replies'
grep -q "$want, 3 bad header" "$L2" ||
    mm_fail "-v 2: exit counters: $(grep 'exit' "$L2")"

kill -USR1 "$D" 2>/dev/null
mm_stop "$D"
assert_eq "daemon exit status" 0 "$MM_RC"
grep -q '224 bad header' "$L" ||
    mm_fail "exit counters do not show 224 bad headers: $(grep 'exit:' "$L")"
mm_finish
