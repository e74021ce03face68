#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# listen_default.sh -- the default listener, -l 0.0.0.0:8443, takes IPv4
# and IPv6 as go-mmproxy's does, for TCP and UDP: a load balancer in
# another namespace reaches it over both. Its IPv4 peers count as IPv4
# everywhere: in the log (no ::ffff:), for the allow-list (::/0 does not
# admit them) and for a LOCAL header's -4/-6; the metrics label stays as
# given. -dual-stack=false listens on IPv4 alone and refuses IPv6, and
# then 0.0.0.0 and [::] may share a port. Where the host has no IPv6
# (socket(AF_INET6) fails, tests/no_inet6) the listener falls back to
# IPv4 alone and says so; with IPv6 disabled by sysctl it keeps serving
# IPv4.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init listen_default
NO_INET6="$TOP_BUILDDIR/tests/no_inet6"
[ -x "$NO_INET6" ] || { mm_log "ERROR: no $NO_INET6"; exit 99; }
HT="$TOP_SRCDIR/tests/functional/http_tool.py"
mm_netns NS ldsrv
mm_netns LB ldlb
mm_veth "$NS" 203.0.113.1/24 "$LB" 203.0.113.2/24 \
    2001:db8:1::1/64 2001:db8:1::2/64
LB4=203.0.113.1 LB6='[2001:db8:1::1]'

BE4="$MM_TMP/backend4.log"
BE6="$MM_TMP/backend6.log"
E4="$MM_TMP/echo4.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE4"
mm_backend "$NS" '[::1]:9001' echo "$BE6"
udp_echo "$NS" "$E4" 127.0.0.1:9000
printf '::/0\n' >"$MM_TMP/allow6.txt"
T="-4 127.0.0.1:9001 -6 [::1]:9001 -v 2"
U="-4 127.0.0.1:9000 -6 [::1]:9000 -v 2"

# ss_local NS PROTO PORT: the local address column of the sockets on PORT.
ss_local() {
	ip netns exec "$1" ss -Hln"${2:0:1}" "sport = :$3" |
	    awk '{ print $4 }' | sort | tr '\n' ' '
}

# tcp_via LB_ADDR PORT N: an IPv4 client through the balancer's address;
# fails when the backend did not see it.
tcp_via() {
	local res cport=$3
	res=$(mm_client "$LB" 20 -- --connect "$1:$2" --header v2 \
	    --src "192.0.2.7:$cport" --dst 192.0.2.1:443 --mode echo \
	    --timeout 10) || { mm_log "via $1:$2: $res"; return 1; }
	mm_wait_test 5 'test "$(logq "$BE4" --event close \
	    --peer "192.0.2.7:$cport")" = 1'
}

# tcp_refused ADDR PORT: a plain connect from the balancer is refused.
tcp_refused() {
	timeout -k 2 10 ip netns exec "$LB" "$PYTHON" -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), 5)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$1" "$2"
}

# udp_via TO N [none]: a datagram through the balancer's address TO.
udp_via() {
	local to=$1 n=$2 bind=203.0.113.2:0 res
	case $to in \[*) bind='[2001:db8:1::2]:0' ;; esac
	res=$(udp_send "$LB" --to "$to" --bind "$bind" \
	    --src "192.0.2.7:$n" --dst 198.51.100.9:53 --bytes 100 \
	    --seed "$n" --timeout 1 ${3:+--expect none}) ||
	    { mm_log "udp to $to: $res"; return 1; }
	if [ -n "$3" ]; then
		assert_json "udp to $to: replies" "$res" echoed 0
		return
	fi
	assert_json "udp to $to: replies" "$res" echoed 1
	assert_eq "udp to $to: datagrams at the backend" 1 \
	    "$(udp_peer_count "$E4" "192.0.2.7:$n")"
}

# TCP with no -l at all: both families, IPv4 peers as IPv4.
mm_daemon "$NS" $T -metrics 127.0.0.1:9911
D=$MM_PID
assert_eq "default TCP listener" "*:8443 " "$(ss_local "$NS" tcp 8443)"
tcp_via $LB4 8443 41001 || mm_fail "default listener over IPv4"
tcp_via "$LB6" 8443 41002 || mm_fail "default listener over IPv6"
grep -q 'listening on 0.0.0.0:8443 (tcp, IPv4 and IPv6,' "$MM_LOG" ||
    mm_fail "the startup line does not say IPv4 and IPv6"
grep -q 'via 203\.0\.113\.2:' "$MM_LOG" ||
    mm_fail "the IPv4 balancer is not logged as 203.0.113.2"
! grep -q 'ffff' "$MM_LOG" || mm_fail "a mapped address in the log"
# LOCAL: the family the balancer came in on picks -4 or -6.
w0=$(logq "$BE4" --event close)
res=$(mm_client "$LB" 20 -- --connect "$LB4:8443" --header v2-local \
    --mode echo --timeout 10) || mm_fail "LOCAL over IPv4: $res"
mm_wait_test 5 'test "$(logq "$BE4" --event close)" = $((w0 + 1))' ||
    mm_fail "LOCAL over IPv4 did not go to -4"
assert_eq "LOCAL over IPv4: connections at -6" 0 \
    "$(logq "$BE6" --event close)"
timeout -k 2 10 ip netns exec "$NS" "$PYTHON" "$HT" get \
    --connect 127.0.0.1:9911 --out "$MM_TMP/scrape.txt" >/dev/null ||
    mm_fail "scrape"
assert_eq "accepted, by the listener label as given" 3 "$(awk \
    '$1 == "mmproxyd_connections_accepted_total{listener=\"0.0.0.0:8443\"}" \
    { print $2 }' "$MM_TMP/scrape.txt")"

# ::/0 is IPv6: it admits the IPv6 balancer, not the mapped IPv4 one.
mm_daemon "$NS" -l 0.0.0.0:8444 -allowed-subnets "$MM_TMP/allow6.txt" $T
tcp_via "$LB6" 8444 41003 || mm_fail "allow ::/0: the IPv6 balancer"
res=$(mm_client "$LB" 20 -- --connect "$LB4:8444" --header v2 \
    --src 192.0.2.7:41004 --dst 192.0.2.1:443 --mode expect-close \
    --payload hello --timeout 8) || mm_fail "allow ::/0, IPv4: $res"
grep -q '203\.0\.113\.2:[0-9]*: not in the allowed subnets' "$MM_LOG" ||
    mm_fail "allow ::/0 admitted the IPv4 balancer"
assert_eq "allow ::/0: backend connections from the IPv4 balancer" 0 \
    "$(logq "$BE4" --event accept --peer 192.0.2.7:41004)"

# -dual-stack=false: IPv4 alone; then [::] (IPv6 alone) may share it.
mm_daemon "$NS" -l 0.0.0.0:8445 -dual-stack=false $T
assert_eq "-dual-stack=false listener" "0.0.0.0:8445 " \
    "$(ss_local "$NS" tcp 8445)"
tcp_via $LB4 8445 41005 || mm_fail "-dual-stack=false over IPv4"
tcp_refused 2001:db8:1::1 8445 ||
    mm_fail "-dual-stack=false took an IPv6 connection"
grep -q 'listening on 0.0.0.0:8445 (tcp, IPv4,' "$MM_LOG" ||
    mm_fail "the startup line does not say IPv4"
mm_daemon "$NS" -dual-stack=false -l 0.0.0.0:8446 -l '[::]:8446' $T
assert_eq "-dual-stack=false, both wildcards" "0.0.0.0:8446 [::]:8446 " \
    "$(ss_local "$NS" tcp 8446)"
tcp_via $LB4 8446 41006 || mm_fail "two wildcards over IPv4"
tcp_via "$LB6" 8446 41007 || mm_fail "two wildcards over IPv6"
# Without it, a dual-stack 0.0.0.0 overlaps any IPv6 address.
for other in '[::]:8447' '[2001:db8:1::1]:8447'; do
	timeout -k 2 10 ip netns exec "$NS" "$MMPROXYD" -l 0.0.0.0:8447 \
	    -l "$other" $T >"$MM_TMP/overlap.log" 2>&1
	assert_eq "0.0.0.0:8447 with $other: exit status" 2 "$?"
	grep -q 'overlap' "$MM_TMP/overlap.log" ||
	    mm_fail "0.0.0.0:8447 with $other: $(cat "$MM_TMP/overlap.log")"
done

# UDP with no -l, then -dual-stack=false.
udp_daemon "$NS" $U
assert_eq "default UDP socket" "*:8443 " "$(ss_local "$NS" udp 8443)"
udp_via "$LB4:8443" 42001 || mm_fail "UDP default over IPv4"
udp_via "$LB6:8443" 42002 || mm_fail "UDP default over IPv6"
! grep -q 'ffff' "$MM_LOG" || mm_fail "a mapped address in the UDP log"
udp_daemon "$NS" -l 0.0.0.0:8448 -dual-stack=false $U
assert_eq "UDP -dual-stack=false socket" "0.0.0.0:8448 " \
    "$(ss_local "$NS" udp 8448)"
udp_via "$LB4:8448" 42003 || mm_fail "UDP -dual-stack=false over IPv4"
udp_via "$LB6:8448" 42004 none || mm_fail "UDP -dual-stack=false, IPv6"

# No IPv6 at all: IPv4 alone, said at startup, defaults and all.
MMPROXYD_REAL=$MMPROXYD
MMPROXYD="$NO_INET6"
mm_daemon "$NS" "$MMPROXYD_REAL" -l 0.0.0.0:8449 $T
MMPROXYD=$MMPROXYD_REAL
assert_eq "no IPv6: TCP listener" "0.0.0.0:8449 " "$(ss_local "$NS" tcp 8449)"
tcp_via $LB4 8449 41008 || mm_fail "no IPv6: TCP over IPv4"
grep -q 'listening on 0.0.0.0:8449 (tcp, IPv4,' "$MM_LOG" ||
    mm_fail "no IPv6: the startup line does not say IPv4"
grep -q 'no IPv6 on this host' "$MM_LOG" ||
    mm_fail "no IPv6: the fallback is not explained"
MMPROXYD="$NO_INET6"
mm_daemon "$NS" "$MMPROXYD_REAL" -p udp -l 0.0.0.0:8450 $U
MMPROXYD=$MMPROXYD_REAL
udp_wait_bound "$NS" 8450 || mm_fail "no IPv6: no UDP socket"
assert_eq "no IPv6: UDP socket" "0.0.0.0:8450 " "$(ss_local "$NS" udp 8450)"
udp_via "$LB4:8450" 42005 || mm_fail "no IPv6: UDP over IPv4"

# IPv6 disabled by sysctl: the socket is still dual-stack, IPv4 works.
mm_netns NS0 ldoff
mm_netns LB0 ldofflb
mm_veth "$NS0" 203.0.113.1/24 "$LB0" 203.0.113.2/24
for i in all default lo veth0; do
	ip netns exec "$NS0" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
done
BE0="$MM_TMP/backend0.log"
mm_backend "$NS0" 127.0.0.1:9001 echo "$BE0"
mm_daemon "$NS0" -4 127.0.0.1:9001
res=$(mm_client "$LB0" 20 -- --connect 203.0.113.1:8443 --header v2 \
    --src 192.0.2.7:41009 --dst 192.0.2.1:443 --mode echo --timeout 10) ||
    mm_fail "IPv6 disabled: IPv4 client: $res"
mm_wait_test 5 'test "$(logq "$BE0" --event close \
    --peer 192.0.2.7:41009)" = 1' || mm_fail "IPv6 disabled: not proxied"

for pid in "${MM_PIDS[@]}"; do mm_alive "$pid"; done
mm_finish
