#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_burst.sh -- -p udp under bursts: the backend answers many flows in
# the same instant (the daemon sends their replies in one batch) and one
# flow many times at once (the daemon drains it). Every reply must reach
# the load balancer socket that sent the request, byte-exact, and the
# exit counters must match what was sent.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_burst
mm_netns NS uburst

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" --hold 64 127.0.0.1:9000 '[::1]:9000'
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -6 '[::1]:9000' -v 1
D=$MM_PID
L=$MM_LOG

total=0
# 4 load balancers, 32 IPv4 clients, 8 datagrams each: every held burst
# of 64 replies spans 8 flows at once.
res=$(udp_burst "$NS" --to 127.0.0.1:8443 --bind 127.0.0.1 --lbs 4 \
    --src 192.0.2.1:5000 --clients 32 --count 8 --seed 1) ||
    mm_fail "32 clients x 8: $res"
assert_json "32 clients x 8: echoed" "$res" echoed 256
total=$((total + 256))

# The same with IPv6 clients behind an IPv4 load balancer, and sizes
# that differ from burst to burst.
res=$(udp_burst "$NS" --to 127.0.0.1:8443 --bind 127.0.0.1 --lbs 3 \
    --src "[2001:db8::1]:6000" --dst "[2001:db8::ff]:53" --clients 20 \
    --count 4 --bytes 1200 --seed 2) || mm_fail "20 IPv6 clients x 4: $res"
assert_json "20 IPv6 clients x 4: echoed" "$res" echoed 80
total=$((total + 80))

# One client alone: its 100 replies come back 64 at once, then 36.
res=$(udp_burst "$NS" --to 127.0.0.1:8443 --bind 127.0.0.1 --lbs 1 \
    --src 192.0.2.200:7000 --clients 1 --count 100 --seed 3) ||
    mm_fail "1 client x 100: $res"
assert_json "1 client x 100: echoed" "$res" echoed 100
total=$((total + 100))

assert_eq "backend datagrams from 192.0.2.200:7000" 100 \
    "$(udp_peer_count "$B" 192.0.2.200:7000)"
assert_eq "backend datagrams in all" $total "$(wc -l <"$B")"

mm_stop "$D"
assert_eq "daemon exit status" 0 "$MM_RC"
grep -q "$total forwarded, $total replies, 0 bad header, 0 denied, 0 send failed" \
    "$L" || mm_fail "exit counters: $(grep 'exit:' "$L")"
mm_finish
