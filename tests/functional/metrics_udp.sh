#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# metrics_udp.sh -- -metrics with -p udp: on two ports of two sockets each,
# the UDP families count exactly the datagrams, replies, flows and bad
# headers this test made, one series per port; flows show as expired
# after -close-after; the scrape passes promtool.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init metrics_udp
mm_need promtool
mm_netns NS mudp
HT="$TOP_SRCDIR/tests/functional/http_tool.py"
M=127.0.0.1:9100
A=127.0.0.1:8443
B2=127.0.0.1:8444

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8443-8444 -4 127.0.0.1:9000 -listeners 2 \
    -close-after 1s -metrics "$M"
D=$MM_PID
mm_wait_listen "$NS" 9100 1 10 "$D" || mm_fail "no metrics listener"

# Port 8443: three clients, four datagrams each, all echoed.
for i in 1 2 3; do
	res=$(udp_send "$NS" --to $A --src "203.0.113.$i:600$i" \
	    --dst 198.51.100.1:53 --count 4 --seed $i) ||
	    mm_fail "client $i: $res"
	assert_json "client $i" "$res" echoed 4
done
# Port 8444: five datagrams without a PROXY header, none answered.
res=$(udp_send "$NS" --to $B2 --src 203.0.113.9:6009 \
    --dst 198.51.100.1:53 --kind none --count 5 --expect none) ||
    mm_fail "bad headers were answered: $res"

scrape() {
	timeout -k 2 10 ip netns exec "$NS" "$PYTHON" "$HT" get \
	    --connect "$M" --out "$MM_TMP/scrape.txt" >/dev/null
}
# sample NAME{LABELS}: its value in the last scrape, or "none".
sample() {
	awk -v k="$1" '$1 == k {v = $2} END {print (v == "" ? "none" : v)}' \
	    "$MM_TMP/scrape.txt"
}
expired_all() { scrape && test "$(sample \
    "mmproxyd_udp_flows_expired_total{listener=\"$A\"}")" = 3; }

scrape || mm_fail "scrape"
assert_ok "promtool check metrics" promtool check metrics <"$MM_TMP/scrape.txt"
assert_eq "received on 8443" 12 \
    "$(sample "mmproxyd_udp_datagrams_received_total{listener=\"$A\"}")"
assert_eq "received on 8444" 5 \
    "$(sample "mmproxyd_udp_datagrams_received_total{listener=\"$B2\"}")"
assert_eq "sent to the backend from 8443" 12 \
    "$(sample "mmproxyd_udp_datagrams_sent_total{listener=\"$A\",peer=\"backend\"}")"
assert_eq "replies on 8443" 12 \
    "$(sample "mmproxyd_udp_datagrams_sent_total{listener=\"$A\",peer=\"load_balancer\"}")"
assert_eq "flows opened on 8443" 3 \
    "$(sample "mmproxyd_udp_flows_opened_total{listener=\"$A\"}")"
assert_eq "flows opened on 8444" 0 \
    "$(sample "mmproxyd_udp_flows_opened_total{listener=\"$B2\"}")"
assert_eq "bad headers on 8444" 5 \
    "$(sample "mmproxyd_bad_headers_total{listener=\"$B2\",proto=\"udp\",reason=\"not_proxy\"}")"
assert_eq "drops for a bad header on 8444" 5 \
    "$(sample "mmproxyd_udp_datagrams_dropped_total{listener=\"$B2\",reason=\"bad_header\"}")"
assert_eq "one series per port" 2 \
    "$(grep -c '^mmproxyd_udp_flows_active{' "$MM_TMP/scrape.txt")"

# After -close-after the flows are gone, and counted as expired.
mm_wait_until 15 expired_all ||
    mm_fail "flows not expired: $(grep '^mmproxyd_udp_flows' "$MM_TMP/scrape.txt")"
assert_eq "flows active after expiry" 0 \
    "$(sample "mmproxyd_udp_flows_active{listener=\"$A\"}")"

mm_stop "$D" >/dev/null
assert_eq "daemon exit status" 0 "$MM_RC"
mm_finish
