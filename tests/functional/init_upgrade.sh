#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# init_upgrade.sh -- the SysV script's "upgrade": after the binary is
# replaced on disk (as a package upgrade does), "upgrade" starts the new
# file in place of the running one with no connection refused or reset;
# the pidfile names the new generation, and status, reload and stop act
# on it. A new generation that cannot start leaves the old one serving,
# and "upgrade" fails with the daemon's reason; a stopped instance is
# left alone.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/upgrade_lib.sh"

mm_init init_upgrade
mm_need start-stop-daemon
INIT=$TOP_BUILDDIR/init/mmproxyd.init
[ -f "$INIT" ] || { mm_log "ERROR: no $INIT (run make first)"; exit 99; }
up_copy_binary
[ "$UP_COPY" = 1 ] || mm_skip "$MMPROXYD is a wrapper: cannot replace it"

mm_netns NS initup
up_echo "$NS" 127.0.0.1:18080 -
T=$MM_TMP
cat >"$T/defaults" <<EOT
MMPROXYD_OPTS="-l 127.0.0.1:18443 -4 127.0.0.1:18080 -shutdown-timeout 5"
ROUTING_TABLE=178
EOT
PIDF="$T/run/mmproxyd.pid"
init() {
	ip netns exec "$NS" env DAEMON="$MMPROXYD" PIDFILE="$PIDF" \
	    LOGFILE="$T/log/mmproxyd.log" DEFAULTS="$T/defaults" \
	    ROUTING_SCRIPT="$TOP_SRCDIR/scripts/mmproxyd-routing" \
	    MMPROXYD_ROUTING_STATE="$T/state" STOP_TIMEOUT=10 \
	    UPGRADE_TIMEOUT=20 SYSTEMCTL_SKIP_REDIRECT=1 \
	    _SYSTEMCTL_SKIP_REDIRECT=1 sh "$INIT" "$@"
}
MM_DAEMON_LOGS+=("$T/log/mmproxyd.log")

init upgrade >"$T/out" 2>&1
assert_eq "upgrade of a stopped instance" 0 "$?"
grep -q "not running" "$T/out" || mm_fail "no \"not running\": $(cat "$T/out")"

init start >/dev/null || mm_fail "start"
P1=$(cat "$PIDF")
MM_PIDS+=("$P1")
mm_wait_listen "$NS" 18443 1 10 "$P1" || mm_fail "not listening"

timeout -k 2 40 ip netns exec "$NS" "$PYTHON" "$CHURN" tcp \
    --connect 127.0.0.1:18443 --rate 100 --seconds 1 --long 10 \
    --ready-file "$T/ready" --until-file "$T/done" >"$T/churn.json" &
CH=$!
mm_wait_until 20 test -e "$T/ready" || mm_fail "load did not start"
# The package manager puts a new file in place of the old one.
cp "$MMPROXYD" "$MMPROXYD.new" && mv -f "$MMPROXYD.new" "$MMPROXYD"
case $(readlink "/proc/$P1/exe") in
*"(deleted)") ;;
*) mm_fail "the running binary was not replaced" ;;
esac
init upgrade >"$T/out" 2>&1
assert_eq "upgrade returns 0 ($(cat "$T/out"))" 0 "$?"
P2=$(cat "$PIDF")
MM_PIDS+=("$P2")
[ "$P2" != "$P1" ] || mm_fail "pidfile still names $P1"
assert_eq "the new generation runs the new file" "$MMPROXYD" \
    "$(readlink "/proc/$P2/exe")"
sleep 1
touch "$T/done"
wait "$CH" || mm_fail "load generator failed"
res=$(cat "$T/churn.json")
mm_log "load across init upgrade: $res"
up_json_check "load across init upgrade" "$res" 'd["ok"] == d["opened"]' \
    'd["refused"] == 0' 'd["reset"] == 0' 'd["long"]["kept"] == 10'

init status >"$T/out"
assert_eq "status after upgrade" 0 "$?"
grep -q "running (pid $P2)" "$T/out" || mm_fail "status: $(cat "$T/out")"
init reload >/dev/null || mm_fail "reload after upgrade"
mm_wait_until 5 grep -q "SIGHUP" "$T/log/mmproxyd.log" ||
    mm_fail "the new generation got no SIGHUP"
mm_alive "$P2" "new generation after reload"

# A binary whose check (-t) fails: upgrade stops there, with its words,
# and the running generation is never signalled.
mv "$MMPROXYD" "$MMPROXYD.good"
printf '#!/bin/sh\necho "mmproxyd: -l: no such address" >&2\nexit 2\n' \
    >"$MMPROXYD"
chmod 755 "$MMPROXYD"
nusr2=$(grep -c "SIGUSR2" "$T/log/mmproxyd.log")
init upgrade >"$T/out" 2>&1
rc=$?
[ "$rc" != 0 ] || mm_fail "upgrade to a binary that fails -t returned 0"
grep -q "no such address" "$T/out" ||
    mm_fail "upgrade did not give the check's reason: $(cat "$T/out")"
assert_eq "SIGUSR2 lines after a failed check" "$nusr2" \
    "$(grep -c "SIGUSR2" "$T/log/mmproxyd.log")"
assert_eq "pidfile after a failed check" "$P2" "$(cat "$PIDF")"

# A binary that passes the check but exits at once: the old generation
# says why and serves on.
printf '#!/bin/sh\nfor a; do [ "$a" = -t ] && exit 0; done\nexit 3\n' \
    >"$MMPROXYD"
init upgrade >"$T/out" 2>&1
rc=$?
mv -f "$MMPROXYD.good" "$MMPROXYD"
[ "$rc" != 0 ] || mm_fail "upgrade to a binary that exits returned 0"
grep -q "ended before it was ready" "$T/out" ||
    mm_fail "upgrade did not say why: $(cat "$T/out")"
assert_eq "pidfile after a failed upgrade" "$P2" "$(cat "$PIDF")"
res=$(up_conn "$NS" 127.0.0.1:18443)
up_json_check "connection after a failed upgrade" "$res" 'd["ok"]'

init stop >/dev/null || mm_fail "stop after upgrade"
mm_wait_until 10 eval "! kill -0 $P2 2>/dev/null" || mm_fail "$P2 still runs"
[ ! -e "$PIDF" ] || mm_fail "pidfile left after stop"
nsx "$NS" ip rule show | grep -q 'lookup 178' && mm_fail "routes left"
mm_finish
