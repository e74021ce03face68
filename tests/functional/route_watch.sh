#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# route_watch.sh -- the return routes are watched while mmproxyd runs, TCP
# and UDP alike. "ip rule del" of table 123's IPv4 rule (what go-mmproxy's
# unit does when it stops) is logged within 5 s as an error naming the
# rule and the command that restores it, and mmproxyd_return_route_ok of
# 127.0.0.1 turns 0 while ::1 stays 1; mmproxyd never adds the rule back;
# a deleted IPv6 route is named as the route; restoring both logs their
# recovery, the gauges are 1 again and connections work. A rule of higher
# priority that sends the replies elsewhere is named as such. With -mark
# nothing is watched.
# Started without the routes, the gauge is 0 until they are added.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init route_watch
mm_netns NS rwatch
HT="$TOP_SRCDIR/tests/functional/http_tool.py"
RULE4="from 127.0.0.1/8 iif lo table 123"
ROUTE6="local ::/0 dev lo table 123"

# gauge NS PORT TARGET: mmproxyd_return_route_ok{target=TARGET} from the
# -metrics on PORT, or "none".
gauge() {
	local f="$MM_TMP/scrape.$2" v
	timeout -k 2 5 ip netns exec "$1" "$PYTHON" "$HT" get \
	    --connect "127.0.0.1:$2" --out "$f" >/dev/null 2>&1 ||
	    { echo error; return; }
	v=$(sed -n "s/^mmproxyd_return_route_ok{target=\"$3\"} //p" "$f")
	echo "${v:-none}"
}
# lines LOG PATTERN: how many lines of LOG hold the fixed string PATTERN.
lines() { grep -c -F -- "$2" "$1"; }
# now_ms: the monotonic clock enough for a test, in milliseconds.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_line T0 SECONDS LOG PATTERN: until LOG has PATTERN, at most SECONDS
# after T0 (now_ms); prints how long after T0 it was seen.
wait_line() {
	local t0=$1 secs=$2 log=$3 pat=$4 t
	while :; do
		t=$(now_ms)
		grep -q -F -- "$pat" "$log" && { echo $((t - t0)); return 0; }
		[ $((t - t0)) -ge $((secs * 1000)) ] && return 1
		sleep 0.05
	done
}
echo_tcp() {
	mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
	    --src "198.51.100.7:$1" --dst 192.0.2.1:443 --mode echo --bytes 1000
}

mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
udp_echo "$NS" "$MM_TMP/udp-backend.log" 127.0.0.1:9002
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' \
    -metrics 127.0.0.1:9100
TCP=$MM_PID TLOG=$MM_LOG
udp_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9002 -6 '[::1]:9002' \
    -metrics 127.0.0.1:9101
UDP=$MM_PID ULOG=$MM_LOG
# With -mark the replies are steered elsewhere: not watched.
mm_daemon "$NS" -l 127.0.0.1:8445 -4 127.0.0.1:9001 -mark 7 \
    -metrics 127.0.0.1:9102
MARK=$MM_PID MLOG=$MM_LOG
mm_wait_listen "$NS" 9102 1 10 "$MARK" || mm_fail "no metrics listener"

for p in 9100 9101; do
	assert_eq "$p: gauge for 127.0.0.1 at start" 1 "$(gauge "$NS" $p 127.0.0.1)"
	assert_eq "$p: gauge for ::1 at start" 1 "$(gauge "$NS" $p ::1)"
done
assert_eq "-mark: no gauge" none "$(gauge "$NS" 9102 127.0.0.1)"
res=$(echo_tcp 41001) || mm_fail "echo before: $res"

# go-mmproxy's ExecStopPost, in part: the IPv4 rule goes.
ip -n "$NS" rule del $RULE4 || exit 99
T0=$(now_ms)
LOST4="return route for backend 127.0.0.1 lost: replies to spoofed clients no longer come back to mmproxyd, so connections to it will time out; the rule is gone: ip rule add from 127.0.0.1/8 iif lo table 123 (or run mmproxyd-routing up 123)"
for l in "$TLOG" "$ULOG"; do
	if ms=$(wait_line "$T0" 5 "$l" "$LOST4"); then
		mm_log "loss logged after $ms ms in $l"
	else
		mm_fail "$l: no loss logged in 5 s: $(grep -i route "$l")"
	fi
done
assert_eq "tcp: gauge for 127.0.0.1 after ip rule del" 0 \
    "$(gauge "$NS" 9100 127.0.0.1)"
assert_eq "udp: gauge for 127.0.0.1 after ip rule del" 0 \
    "$(gauge "$NS" 9101 127.0.0.1)"
assert_eq "tcp: gauge for ::1 keeps 1" 1 "$(gauge "$NS" 9100 ::1)"

# The IPv6 route goes too: named as the route, with its own command.
ip -n "$NS" -6 route del $ROUTE6 || exit 99
T0=$(now_ms)
LOST6="return route for backend ::1 lost: replies to spoofed clients no longer come back to mmproxyd, so connections to it will time out; the route is gone: ip -6 route add local ::/0 dev lo table 123 (or run mmproxyd-routing up 123)"
if ms=$(wait_line "$T0" 5 "$TLOG" "$LOST6"); then
	mm_log "IPv6 loss logged after $ms ms"
else
	mm_fail "no IPv6 loss logged in 5 s: $(grep -i route "$TLOG")"
fi
assert_eq "gauge for ::1 after ip -6 route del" 0 "$(gauge "$NS" 9100 ::1)"

# Two more checks at least: both stay gone, each loss is logged once.
sleep 2.5
assert_eq "the rule was not added back" "" \
    "$(ip -n "$NS" rule show $RULE4)"
assert_eq "the route was not added back" "" \
    "$(ip -n "$NS" -6 route show table 123)"
assert_eq "tcp: loss logged once" 1 "$(lines "$TLOG" "backend 127.0.0.1 lost")"
assert_eq "udp: loss logged once" 1 "$(lines "$ULOG" "backend 127.0.0.1 lost")"
assert_eq "tcp: IPv6 loss logged once" 1 "$(lines "$TLOG" "backend ::1 lost")"
assert_eq "-mark: nothing logged" 0 "$(lines "$MLOG" "return route")"

ip -n "$NS" rule add $RULE4 || exit 99
ip -n "$NS" -6 route add $ROUTE6 || exit 99
T0=$(now_ms)
BACK4="return route for backend 127.0.0.1 is back (table 123): replies to spoofed clients reach mmproxyd again"
for l in "$TLOG" "$ULOG"; do
	if ms=$(wait_line "$T0" 5 "$l" "$BACK4"); then
		mm_log "recovery logged after $ms ms in $l"
	else
		mm_fail "$l: no recovery logged in 5 s: $(grep -i route "$l")"
	fi
done
wait_line "$T0" 5 "$TLOG" "return route for backend ::1 is back (table 123)" \
    >/dev/null || mm_fail "no IPv6 recovery logged in 5 s"
for p in 9100 9101; do
	assert_eq "$p: gauge for 127.0.0.1 after restore" 1 \
	    "$(gauge "$NS" $p 127.0.0.1)"
	assert_eq "$p: gauge for ::1 after restore" 1 "$(gauge "$NS" $p ::1)"
done
res=$(echo_tcp 41002) || mm_fail "tcp echo after restore: $res"
res=$(udp_send "$NS" --to 127.0.0.1:8444 --src 198.51.100.1:20000) ||
    mm_fail "udp echo after restore: $res"
assert_json "udp echo after restore" "$res" echoed 1

# Both still there, but a rule before them sends the replies elsewhere.
ip -n "$NS" route add unreachable 0.0.0.0/0 table 200 &&
    ip -n "$NS" rule add from all lookup 200 pref 10 || exit 99
T0=$(now_ms)
SHADOW="return route for backend 127.0.0.1 lost: replies to spoofed clients no longer come back to mmproxyd, so connections to it will time out; the rule and the route of table 123 are there, but a rule before them sends the replies elsewhere (see ip rule show)"
wait_line "$T0" 5 "$TLOG" "$SHADOW" >/dev/null ||
    mm_fail "no shadowing rule logged: $(grep -i route "$TLOG")"
ip -n "$NS" rule del from all lookup 200 pref 10 || exit 99
mm_wait_test 5 '[ "$(lines "$TLOG" "backend 127.0.0.1 is back")" = 2 ]' ||
    mm_fail "no recovery from the shadowing rule"
assert_eq "the shadowing rule: loss logged once" 2 \
    "$(lines "$TLOG" "backend 127.0.0.1 lost")"

# Started without any route: warned at start, 0, then 1 once they come.
ip netns add "mmpx-$$-bare" || exit 99
MM_NETNS+=("mmpx-$$-bare")
ip -n "mmpx-$$-bare" link set lo up
mm_daemon "mmpx-$$-bare" -l 127.0.0.1:8443 -4 127.0.0.1:9001 \
    -6 '[::1]:9001' -metrics 127.0.0.1:9100
BARE=$MM_PID BLOG=$MM_LOG
grep -q -F "replies from 127.0.0.1:9001 to spoofed clients will not come back" \
    "$BLOG" || mm_fail "no warning at start: $(cat "$BLOG")"
mm_wait_listen "mmpx-$$-bare" 9100 1 10 "$BARE" || mm_fail "no metrics listener"
assert_eq "bare: gauge for 127.0.0.1 at start" 0 \
    "$(gauge "mmpx-$$-bare" 9100 127.0.0.1)"
ip -n "mmpx-$$-bare" route add local 0.0.0.0/0 dev lo table 123 &&
    ip -n "mmpx-$$-bare" rule add $RULE4 || exit 99
T0=$(now_ms)
wait_line "$T0" 5 "$BLOG" \
    "return route for backend 127.0.0.1 is back (table 123)" >/dev/null ||
    mm_fail "bare: no recovery logged in 5 s"
assert_eq "bare: gauge for 127.0.0.1 once added" 1 \
    "$(gauge "mmpx-$$-bare" 9100 127.0.0.1)"
assert_eq "bare: gauge for ::1 still 0" 0 \
    "$(gauge "mmpx-$$-bare" 9100 ::1)"
assert_eq "bare: the IPv6 loss was not logged again" 0 \
    "$(lines "$BLOG" "backend ::1 lost")"

for p in "$TCP" "$UDP" "$MARK" "$BARE"; do
	mm_alive "$p" mmproxyd
	mm_stop "$p" >/dev/null
	assert_eq "exit status of $p" 0 "$MM_RC"
done
mm_finish
