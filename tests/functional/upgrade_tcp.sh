#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# upgrade_tcp.sh -- SIGUSR2, the hot upgrade, with TCP (two dual-stack
# listening sockets on the default 0.0.0.0 port, and -metrics): under a steady stream of new
# connections none is refused or reset, and long-lived connections opened
# before keep echoing until they close; the pidfile and the metrics port
# follow the new generation; a second SIGUSR2 during the upgrade is
# refused; a new generation that fails (options it
# refuses, a binary that exits, a file it cannot execute) leaves the old
# one serving, with the reason in the log.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/upgrade_lib.sh"

mm_init upgrade_tcp
mm_netns NS upg
up_echo "$NS" 127.0.0.1:9001 -
up_copy_binary

ALLOW="$MM_TMP/allowed.txt"
PIDF="$MM_TMP/mmproxyd.pid"
printf '127.0.0.0/8\n' >"$ALLOW"
# 0.0.0.0, the default, is bound as a dual-stack [::]: the new generation
# must find that socket, not bind a second one.
mm_daemon "$NS" -l 0.0.0.0:8443 -4 127.0.0.1:9001 -allowed-subnets "$ALLOW" \
    -pidfile "$PIDF" -metrics 127.0.0.1:9100 -shutdown-timeout 20 \
    -listeners 2
OLD=$MM_PID
LOG=$MM_LOG
assert_eq "pidfile at start" "$OLD" "$(cat "$PIDF")"

# 20 long-lived connections, then 150 new ones a second, SIGUSR2 in the
# middle. The allow-list is a FIFO for a moment, so the new generation
# waits on it until we write, and a second SIGUSR2 meets the first at
# work.
timeout -k 2 40 ip netns exec "$NS" "$PYTHON" "$CHURN" tcp \
    --connect 127.0.0.1:8443 --rate 150 --seconds 2 --long 20 \
    --ready-file "$MM_TMP/ready" --until-file "$MM_TMP/done" \
    >"$MM_TMP/churn.json" &
CH=$!
mm_wait_until 20 test -e "$MM_TMP/ready" || mm_fail "load did not start"
rm "$ALLOW" && mkfifo "$ALLOW"
sleep 1
kill -USR2 "$OLD"
mm_wait_until 10 grep -q "SIGUSR2: upgrading" "$LOG" ||
    mm_fail "no upgrade line"
kill -USR2 "$OLD"
mm_wait_until 10 grep -q "SIGUSR2: an upgrade is in progress already" \
    "$LOG" || mm_fail "second SIGUSR2 not refused"
timeout 10 sh -c "printf '127.0.0.0/8\n' >'$ALLOW'" ||
    mm_fail "the new generation did not read the allow-list"
rm "$ALLOW" && printf '127.0.0.0/8\n' >"$ALLOW"
NEW=$(up_wait_new_pid "$PIDF" "$OLD" 40) || mm_fail "pidfile never changed"
# A second more of load, all of it on the new generation.
sleep 1
touch "$MM_TMP/done"
wait "$CH" || mm_fail "load generator failed"
res=$(cat "$MM_TMP/churn.json")
mm_log "load across the upgrade: $res"
up_json_check "load across the upgrade" "$res" 'd["opened"] >= 300' \
    'd["ok"] == d["opened"]' 'd["refused"] == 0' 'd["reset"] == 0' \
    'd["cut"] == 0' 'd["timeout"] == 0' 'd["other"] == 0' \
    'd["corrupt"] == 0' 'd["long"]["kept"] == 20' \
    'd["long"]["failed"] == 0'

grep -q "upgrade: took over from pid $OLD" "$LOG" ||
    mm_fail "new generation did not say it took over"
# The old one drained its long-lived connections and left, exit 0.
up_wait_exit "$OLD" 30
assert_eq "old generation's exit status" 0 "$MM_RC"
assert_eq "processes on the port" 1 "$(up_listeners "$NS" 8443)"
up_metrics_ok "$NS" 127.0.0.1:9100 || mm_fail "metrics lost in the upgrade"
res=$(up_conn "$NS" 127.0.0.1:8443)
up_json_check "connection to the new generation" "$res" 'd["ok"]'

# A new generation that refuses its options: the old one serves on.
printf 'not a subnet\n' >"$ALLOW"
up_expect_failure "$NEW" "$LOG" "exited with status 2 before it was ready"
grep -q "allowed-subnets.*not a subnet" "$LOG" ||
    mm_fail "the new generation's own reason is not in the log"
printf '127.0.0.0/8\n' >"$ALLOW"

if [ "$UP_COPY" = 1 ]; then
	# A binary that exits at once, then a file that cannot run.
	mv "$MMPROXYD" "$MMPROXYD.good"
	printf '#!/bin/sh\nexit 3\n' >"$MMPROXYD"
	chmod 755 "$MMPROXYD"
	up_expect_failure "$NEW" "$LOG" \
	    "ended before it was ready without saying why"
	chmod 644 "$MMPROXYD"
	up_expect_failure "$NEW" "$LOG" \
	    "cannot execute $MMPROXYD: Permission denied"
	mv -f "$MMPROXYD.good" "$MMPROXYD"
else
	mm_log "skipping the broken-binary checks: $MMPROXYD is a wrapper"
fi

# Repaired: the next SIGUSR2 works.
kill -USR2 "$NEW"
NEW2=$(up_wait_new_pid "$PIDF" "$NEW" 20) || mm_fail "second upgrade failed"
res=$(up_conn "$NS" 127.0.0.1:8443)
up_json_check "connection after the second upgrade" "$res" 'd["ok"]' 
up_stop "$NEW2" 10 || mm_fail "last generation did not stop"
grep -q "stopped" "$LOG" || mm_fail "no stop line"
[ ! -e "$PIDF" ] || mm_fail "pidfile left after the stop"
mm_finish
