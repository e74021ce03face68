#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# upgrade_udp.sh -- SIGUSR2, the hot upgrade, with -p udp and two sockets
# per port: a stream from 64 flows loses at most 1 % of its datagrams
# across the upgrade; flows that start afterwards are served by the new
# generation; the old one closes its flows and exits 0.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/upgrade_lib.sh"

mm_init upgrade_udp
mm_netns NS upgu
up_echo "$NS" - 127.0.0.1:9053
PIDF="$MM_TMP/mmproxyd.pid"
mm_daemon "$NS" -p udp -l 127.0.0.1:5353 -4 127.0.0.1:9053 -listeners 2 \
    -pidfile "$PIDF" -v 2
OLD=$MM_PID
LOG=$MM_LOG
mm_wait_until 10 grep -q "ready" "$LOG" || mm_fail "daemon not ready"

churn() {
	timeout -k 2 30 ip netns exec "$NS" "$PYTHON" "$CHURN" udp \
	    --connect 127.0.0.1:5353 "$@"
}

# 64 flows, 2,000 datagrams a second in all; SIGUSR2 after a second, and
# the load goes on for a second after the new generation took over.
churn --flows 64 --rate 2000 --seconds 2 --ready-file "$MM_TMP/ready" \
    --until-file "$MM_TMP/done" >"$MM_TMP/across.json" &
CH=$!
mm_wait_until 20 test -e "$MM_TMP/ready" || mm_fail "no reply came"
sleep 1
kill -USR2 "$OLD"
NEW=$(up_wait_new_pid "$PIDF" "$OLD" 40) || mm_fail "pidfile never changed"
sleep 1
touch "$MM_TMP/done"
wait "$CH" || mm_fail "UDP load failed"
res=$(cat "$MM_TMP/across.json")
mm_log "64 flows across the upgrade: $res"
up_json_check "64 flows across the upgrade" "$res" 'd["sent"] >= 4000' \
    'd["loss_pct"] <= 1.0' 'd["odd"] == 0'

up_wait_exit "$OLD" 30
assert_eq "old generation's exit status" 0 "$MM_RC"
grep -q "flow .* closed: handed over" "$LOG" ||
    mm_fail "the old generation did not close its flows as handed over"

# New flows, from other clients: only the new generation is left.
res=$(churn --flows 64 --rate 1000 --seconds 1 --grace 0.5 \
    --net 203.0.113)
up_json_check "new flows after the upgrade" "$res" 'd["lost"] == 0'
n=$(grep -c "SIGUSR1\|counters:" "$LOG")
kill -USR1 "$NEW"
mm_wait_until 5 eval '[ "$(grep -c "counters:" "$LOG")" -gt "$n" ]' ||
    mm_fail "no counters from the new generation"
opened=$(grep "counters:" "$LOG" | tail -n 2 |
    sed -n 's/.* \([0-9]*\) opened.*/\1/p' | awk '{ s += $1 } END { print s }')
# The 64 that went on after the upgrade, and the 64 new ones.
assert_ge "flows the new generation opened" 128 "$opened"
up_stop "$NEW" 10 || mm_fail "new generation did not stop"
mm_finish
