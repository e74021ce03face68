#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# init_sysv.sh -- the SysV script drives the daemon: start (routes up,
# pidfile, listener), status 0, reload (SIGHUP, process survives), a second
# start changes nothing, stop (process, listener and routes gone), status 3.
# A bad edit (an unknown flag, a broken allow-list file) fails check,
# reload and restart with status 6 and the problem named, and leaves the
# running daemon as it was: same process, no SIGHUP, still listening.
# Its log is mode 0640, the options are never globbed, and every action
# exits 0 once the daemon is removed but the script stays.
# Runs inside its own network namespace; needs root (exit 77 otherwise).
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] || { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
for t in ip ss start-stop-daemon; do
	command -v $t >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
MMPROXYD=${MMPROXYD:-$(pwd)/mmproxyd}
TOP_SRCDIR=${TOP_SRCDIR:-.}
TOP_BUILDDIR=${TOP_BUILDDIR:-.}
INIT=$TOP_BUILDDIR/init/mmproxyd.init
[ -x "$MMPROXYD" ] || { echo "no $MMPROXYD"; exit 77; }
[ -f "$INIT" ] || { echo "no $INIT (run make first)"; exit 99; }

NS=mmpd-sysv-$$
tmp=$(mktemp -d)
cleanup() {
	if [ -f "$tmp/pid" ]; then
		kill -KILL "$(cat "$tmp/pid")" 2>/dev/null
	fi
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p"; done
	sleep 0.2
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NS" || exit 99
ip netns exec "$NS" ip link set lo up

cat >"$tmp/defaults" <<EOT
MMPROXYD_OPTS="-l 127.0.0.1:18443 -4 127.0.0.1:18080 -6 [::1]:18080 -v 2 -shutdown-timeout 1"
ROUTING_TABLE=177
EOT

fail=0
check() {	# DESCRIPTION COMMAND...: report, remember failures
	d=$1; shift
	if "$@"; then echo "ok: $d"; else echo "FAIL: $d"; fail=1; fi
}
init() {
	ip netns exec "$NS" env DAEMON="$MMPROXYD" PIDFILE="$tmp/pid" \
	    LOGFILE="$tmp/log" DEFAULTS="$tmp/defaults" \
	    ROUTING_SCRIPT="$TOP_SRCDIR/scripts/mmproxyd-routing" \
	    MMPROXYD_ROUTING_STATE="$tmp/state" \
	    SYSTEMCTL_SKIP_REDIRECT=1 _SYSTEMCTL_SKIP_REDIRECT=1 sh "$INIT" "$@"
}
listening() { ip netns exec "$NS" ss -Htln 'sport = :18443' | grep -q .; }
not_listening() { ! listening; }
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
routes_up() {
	ip netns exec "$NS" ip rule show | grep -q 'lookup 177' &&
	    ip netns exec "$NS" ip route show table 177 type local | grep -q .
}
routes_down() { ! ip netns exec "$NS" ip rule show | grep -q 'lookup 177'; }
# wait_for CONDITION ARGS...: up to 5 s
wait_for() {
	i=0
	until "$@"; do
		i=$((i + 1)); [ $i -gt 50 ] && return 1; sleep 0.1
	done
}
is() { [ "$1" = "$2" ]; }
is_n_hups() { [ "$(grep -c 'SIGHUP:' "$tmp/log")" = "$1" ]; }

init status >/dev/null; rc=$?
check "status before start is 3 (got $rc)" is "$rc" 3

init start; rc=$?
check "start returns 0 (got $rc)" is "$rc" 0
check "pidfile written" test -s "$tmp/pid"
pid=$(cat "$tmp/pid" 2>/dev/null || echo 0)
check "daemon $pid runs" alive "$pid"
check "daemon listens on 127.0.0.1:18443" wait_for listening
check "routes for table 177 are up" routes_up

init status; rc=$?
check "status while running is 0 (got $rc)" is "$rc" 0

init start >/dev/null; rc=$?
check "second start returns 0 (got $rc)" is "$rc" 0
check "second start keeps the same daemon" is "$(cat "$tmp/pid")" "$pid"

init reload; rc=$?
check "reload returns 0 (got $rc)" is "$rc" 0
sleep 0.5
check "daemon survives SIGHUP" alive "$pid"
check "still listening after reload" listening

# A bad edit never reaches the running daemon.
cp "$tmp/defaults" "$tmp/defaults.good"
hups() { grep -c 'SIGHUP:' "$tmp/log"; }
hups0=$(hups)
check "reload logged one SIGHUP line (got $hups0)" is "$hups0" 1
printf '%s\n' 'MMPROXYD_OPTS="-l 127.0.0.1:18443 -no-such-flag"' \
    'ROUTING_TABLE=177' >"$tmp/defaults"
init reload 2>"$tmp/err"; rc=$?
check "reload with an unknown flag returns 6 (got $rc)" is "$rc" 6
check "reload names the flag" grep -q 'unknown flag -no-such-flag' "$tmp/err"
init restart 2>"$tmp/err"; rc=$?
check "restart with an unknown flag returns 6 (got $rc)" is "$rc" 6
check "restart names the flag" grep -q 'unknown flag -no-such-flag' "$tmp/err"
check "the daemon still runs" alive "$pid"
check "the daemon was not restarted" is "$(cat "$tmp/pid")" "$pid"
printf '%s\n' 192.0.2.0/24 bogus >"$tmp/allowed"
printf '%s\n' "MMPROXYD_OPTS=\"-l 127.0.0.1:18443 -4 127.0.0.1:18080 -allowed-subnets $tmp/allowed\"" \
    'ROUTING_TABLE=177' >"$tmp/defaults"
init reload 2>"$tmp/err"; rc=$?
check "reload with a broken allow-list returns 6 (got $rc)" is "$rc" 6
check "reload names the file and line" \
    grep -q -F "$tmp/allowed:2: bad subnet \"bogus\"" "$tmp/err"
init check 2>/dev/null; rc=$?
check "check with a broken allow-list returns 6 (got $rc)" is "$rc" 6
sleep 0.3
check "no SIGHUP reached the daemon (got $(hups))" is "$(hups)" "$hups0"
check "the daemon still runs after the bad edits" alive "$pid"
check "still listening after the bad edits" listening
check "routes for table 177 still up" routes_up
cp "$tmp/defaults.good" "$tmp/defaults"
init check >/dev/null; rc=$?
check "check of the good defaults returns 0 (got $rc)" is "$rc" 0
init reload >/dev/null; rc=$?
check "reload of the good defaults returns 0 (got $rc)" is "$rc" 0
check "it reached the daemon" wait_for is_n_hups $((hups0 + 1))

init stop; rc=$?
check "stop returns 0 (got $rc)" is "$rc" 0
check "daemon is gone" wait_for gone "$pid"
check "listener is gone" not_listening
check "pidfile removed" test ! -e "$tmp/pid"
check "routes for table 177 are down" routes_down

init status; rc=$?
check "status after stop is 3 (got $rc)" is "$rc" 3

init stop >/dev/null; rc=$?
check "stop when stopped returns 0 (got $rc)" is "$rc" 0

# A daemon that exits at once (bad option) makes start fail, not "ok".
echo 'MMPROXYD_OPTS="-no-such-flag"' >"$tmp/defaults"
echo 'ROUTING_TABLE=177' >>"$tmp/defaults"
init start; rc=$?
check "start with a bad option fails (got $rc)" test "$rc" -ne 0
init status >/dev/null; rc=$?
check "status after a failed start is 3 (got $rc)" is "$rc" 3
check "routes down after a failed start" routes_down

# The first start of a fresh log, with no routing to create it first:
# no error about the missing file, and a log that only root and adm may
# read (it holds client addresses). The options are not globbed: a file
# in the current directory that [::1]:18080 matches must not replace it.
rm -f "$tmp/log"
cat >"$tmp/defaults" <<EOT
MMPROXYD_OPTS="-l 127.0.0.1:18443 -4 127.0.0.1:18080 -6 [::1]:18080 -shutdown-timeout 1"
ROUTING=no
EOT
mkdir "$tmp/cwd" && : >"$tmp/cwd/1:18080"
(cd "$tmp/cwd" && init start) >/dev/null 2>"$tmp/start.err"; rc=$?
check "start with options that a file matches as a glob (got $rc)" \
    is "$rc" 0
check "first start prints no error: $(cat "$tmp/start.err")" \
    test ! -s "$tmp/start.err"
mode=$(stat -c %a "$tmp/log" 2>/dev/null)
check "the log is not world-readable (mode $mode)" is "$mode" 640
init stop >/dev/null

# Removed but not purged: the script stays as a conffile and must not
# fail (Debian policy 9.3.2).
for a in start stop restart reload status; do
	ip netns exec "$NS" env DAEMON="$tmp/no-such-mmproxyd" \
	    PIDFILE="$tmp/pid" LOGFILE="$tmp/log" DEFAULTS="$tmp/defaults" \
	    SYSTEMCTL_SKIP_REDIRECT=1 _SYSTEMCTL_SKIP_REDIRECT=1 \
	    sh "$INIT" $a >/dev/null 2>&1; rc=$?
	check "$a without the daemon installed returns 0 (got $rc)" \
	    is "$rc" 0
done

echo "--- daemon log"
cat "$tmp/log" 2>/dev/null
exit $fail
