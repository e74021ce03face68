#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# init_instances.sh -- two instances of the SysV script side by side, a TCP
# one ("main") and a UDP one ("udp"), sharing routing table 177 in a
# namespace that has no other return routes. Stopping, starting and
# restarting either one leaves the other proxying, replies included: a UDP
# flow that keeps sending across the TCP instance's stop, start and restart
# gets every datagram back, and new TCP connections made all through the UDP
# instance's stop and start all complete. The routes go when the last
# instance stops. A failed start prints that run's log lines only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init init_instances
mm_need start-stop-daemon
INIT=$TOP_BUILDDIR/init/mmproxyd.init
[ -f "$INIT" ] || { mm_log "ERROR: no $INIT (run make first)"; exit 99; }

# Not mm_netns: its table 123 routes would hide a missing table 177.
NS="mmpx-$$-inst"
ip netns add "$NS" || exit 99
MM_NETNS+=("$NS")
ip -n "$NS" link set lo up

T=$MM_TMP
cat >"$T/defaults" <<EOT
MMPROXYD_OPTS="-l 127.0.0.1:18443 -4 127.0.0.1:19001 -6 [::1]:19001 -v 2 -shutdown-timeout 1"
ROUTING_TABLE=177
INSTANCES="main udp"
EOT
cat >"$T/defaults-udp" <<EOT
MMPROXYD_OPTS="-p udp -l 127.0.0.1:18444 -4 127.0.0.1:19000 -6 [::1]:19000 -v 2 -shutdown-timeout 1"
ROUTING_TABLE=177
EOT

init() {
	ip netns exec "$NS" env DAEMON="$MMPROXYD" PIDFILE="$T/run/mmproxyd.pid" \
	    LOGFILE="$T/log/mmproxyd.log" DEFAULTS="$T/defaults" \
	    ROUTING_SCRIPT="$TOP_SRCDIR/scripts/mmproxyd-routing" \
	    MMPROXYD_ROUTING_STATE="$T/state" STOP_TIMEOUT=10 \
	    SYSTEMCTL_SKIP_REDIRECT=1 _SYSTEMCTL_SKIP_REDIRECT=1 \
	    sh "$INIT" "$@"
}
MM_DAEMON_LOGS+=("$T/log/mmproxyd.log" "$T/log/mmproxyd-udp.log")
pid_of() { cat "$T/run/$1.pid" 2>/dev/null; }
running() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }
tcp_listening() { nsx "$NS" ss -Htln 'sport = :18443' | grep -q .; }
routes_up() {
	nsx "$NS" ip rule show | grep -q 'lookup 177' &&
	    nsx "$NS" ip route show table 177 type local | grep -q .
}
routes_down() { ! nsx "$NS" ip rule show | grep -q 'lookup 177'; }

N=0
# tcp_ok WHAT: one proxied connection whose echo comes back.
tcp_ok() {
	local res
	N=$((N + 1))
	res=$(mm_client "$NS" 15 -- --connect 127.0.0.1:18443 --header v2 \
	    --src "198.51.100.7:$((30000 + N))" --dst 192.0.2.1:443 \
	    --mode echo --bytes 2000 --timeout 5) &&
	    [ "$(printf '%s\n' "$res" | jget ok)" = True ] ||
	    { mm_fail "$1: TCP through main: $res"; return 1; }
}
# udp_ok WHAT: a new flow, three datagrams echoed.
udp_ok() {
	local res
	N=$((N + 1))
	res=$(udp_send "$NS" --to 127.0.0.1:18444 \
	    --src "203.0.113.9:$((30000 + N))" --count 3 --timeout 3)
	assert_json "$1: UDP through udp" "$res" echoed 3
}

mm_backend "$NS" 127.0.0.1:19001 echo "$T/tcp-backend.log"
udp_echo "$NS" "$T/udp-backend.log" 127.0.0.1:19000

# Both start from one command, each with its own pidfile and log.
init start || mm_fail "start (main and udp) failed"
assert_ok "main runs" running mmproxyd
assert_ok "udp runs" running mmproxyd-udp
assert_ok "main listens" mm_wait_until 5 tcp_listening
assert_ok "udp is bound" udp_wait_bound "$NS" 18444 "" 5
assert_ok "routes for table 177 are up" routes_up
assert_ok "both hold table 177" test -e "$T/state/177/mmproxyd" -a \
    -e "$T/state/177/mmproxyd-udp"
init status >"$T/status.out"
assert_eq "status of both" 0 "$?"
assert_eq "status lines" 2 "$(grep -c 'is running' "$T/status.out")"
tcp_ok "both up"
udp_ok "both up"

# One UDP flow keeps sending (every 0.15 s, 8 s in all) while the TCP
# instance stops, starts and restarts.
udp_send "$NS" --to 127.0.0.1:18444 --src 203.0.113.77:4077 --count 55 \
    --interval 0.15 --timeout 3 >"$T/udp-long.json" &
long=$!
sleep 1
main_pid=$(pid_of mmproxyd)
init stop main || mm_fail "stop main failed"
assert_ok "main is gone" mm_wait_until 5 eval "! kill -0 $main_pid 2>/dev/null"
assert_ok "udp still runs after main stopped" running mmproxyd-udp
assert_ok "routes stay up while udp runs" routes_up
udp_ok "main stopped"
sleep 1
init start main || mm_fail "start main again failed"
assert_ok "main listens again" mm_wait_until 5 tcp_listening
tcp_ok "main started again"
init restart main || mm_fail "restart main failed"
assert_ok "main listens after restart" mm_wait_until 5 tcp_listening
tcp_ok "main restarted"
udp_ok "main restarted"
wait "$long"
res=$(cat "$T/udp-long.json")
assert_json "the long UDP flow, across main's stop and restart" "$res" \
    echoed 55

# New TCP connections all through the UDP instance's stop and start.
(
	fails=0
	for i in $(seq 1 30); do
		mm_client "$NS" 10 -- --connect 127.0.0.1:18443 --header v1 \
		    --src "198.51.100.8:$((20000 + i))" --dst 192.0.2.1:443 \
		    --mode echo --bytes 500 --timeout 3 >/dev/null ||
		    fails=$((fails + 1))
		sleep 0.1
	done
	echo "$fails"
) >"$T/tcp-loop.out" &
loop=$!
sleep 0.5
init stop udp || mm_fail "stop udp failed"
assert_ok "udp is gone" mm_wait_until 5 eval "! running mmproxyd-udp"
assert_ok "main still runs after udp stopped" running mmproxyd
assert_ok "routes stay up while main runs" routes_up
tcp_ok "udp stopped"
init start udp || mm_fail "start udp again failed"
assert_ok "udp is bound again" udp_wait_bound "$NS" 18444 "" 5
udp_ok "udp started again"
wait "$loop"
assert_eq "TCP connections failed across udp's stop and start" 0 \
    "$(cat "$T/tcp-loop.out")"

# The last one out takes the routes.
init stop || mm_fail "stop (main and udp) failed"
assert_ok "main stopped" mm_wait_until 5 eval "! running mmproxyd"
assert_ok "udp stopped" mm_wait_until 5 eval "! running mmproxyd-udp"
assert_ok "routes for table 177 are down" routes_down

# A failed start shows what went wrong in this run, not the lines that
# the log already holds from the last one (the marker stands for them).
# (Without routing, whose lines would push it out of a plain tail -n 5.)
sed -i 's/^MMPROXYD_OPTS=.*/MMPROXYD_OPTS="-p udp -no-such-flag"/' \
    "$T/defaults-udp"
echo ROUTING=no >>"$T/defaults-udp"
echo "an earlier run's last line" >>"$T/log/mmproxyd-udp.log"
init start udp 2>"$T/fail.err" >/dev/null && mm_fail "a bad option started"
assert_ok "the failure names the bad flag" grep -q 'no-such-flag' "$T/fail.err"
if grep -q "earlier run" "$T/fail.err"; then
	mm_fail "the failed start printed an earlier run's lines:"
	cat "$T/fail.err" >&2
fi
mm_finish
