#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_acceptor_slots.sh -- an idle acceptor holds no -max-conns slot:
# with 16 ports and -max-conns 4 no slot is used while no client is
# there; with -max-conns 1 on two ports the second port serves its client
# while the first is idle, and a client that finds the slot taken waits
# and is served once it frees. tcp_acceptor_1024.sh does 1,024 ports.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_acceptor_slots
mm_netns NS slots
M=127.0.0.1:9100
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
slots_used() { mm_metric "$NS" "$M" mmproxyd_connection_slots_used; }
# served PORT SECONDS: a client of PORT has its bytes echoed in time.
NCLIENT=0
served() {
	NCLIENT=$((NCLIENT + 1))
	mm_client "$NS" "$2" -- --connect "127.0.0.1:$1" --header v1 \
	    --src "198.51.100.7:$((30000 + NCLIENT))" --mode echo --bytes 100 \
	    --timeout "$2" >/dev/null
}

# 1. 16 ports, -max-conns 4: idle, no slot is taken; each port serves.
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
mm_daemon "$NS" -l 127.0.0.1:8443-8458 -4 127.0.0.1:9001 -max-conns 4 \
    -metrics "$M"
D=$MM_PID
mm_wait_listen "$NS" 8458 1 10 "$D" || exit 1
mm_wait_listen "$NS" 9100 1 10 "$D" || exit 1
sleep 0.2		# every acceptor is in its loop
assert_eq "slots used by 16 idle ports, -max-conns 4" 0 "$(slots_used)"
for p in $(seq 8443 8458); do
	served "$p" 5 || mm_fail "port $p: client not served"
done
assert_ok "slots used back to 0 after the clients" \
    mm_wait_test 3 'test "$(slots_used)" = 0'
mm_stop "$D" >"$MM_TMP/rc"
assert_eq "exit status (16 ports)" 0 "$(cat "$MM_TMP/rc")"

# 2. -max-conns 1 on two ports: the second port serves while the first
# is idle; a client that finds the one slot taken (on the other port)
# waits in the backlog and is served as soon as it frees.
mm_daemon "$NS" -l 127.0.0.1:8443-8444 -4 127.0.0.1:9001 -max-conns 1 \
    -metrics "$M"
D=$MM_PID
mm_wait_listen "$NS" 8444 1 10 "$D" || exit 1
for i in 1 2 3; do
	served 8444 3 || mm_fail "second port, client $i: not served in 3 s"
done
res=$(stool 30 fill --connect 127.0.0.1:8443 --extra-connect \
    127.0.0.1:8444 --count 1 --metrics "$M") ||
    mm_fail "fill -max-conns 1: $res"
assert_json "-max-conns 1: held" "$res" served 1
assert_json "-max-conns 1: slots used" "$res" slots_used 1
assert_json "-max-conns 1: the other port's client waited" "$res" \
    extra_waited True
assert_json "-max-conns 1: and was served" "$res" extra_served True
mm_stop "$D" >"$MM_TMP/rc"
assert_eq "exit status (two ports)" 0 "$(cat "$MM_TMP/rc")"

mm_finish
