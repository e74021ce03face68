#!/bin/bash
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/nspawn_check.sh -- this tree's unit and daemon under a real
# systemd: the check before reload, the restart policy, the route watch.
#
# Boots systemd as PID 1 of a throwaway systemd-nspawn container (the
# machine's own / read-only, a tmpfs /etc, a private network namespace),
# with build/mmproxyd and scripts/mmproxyd-routing bound on
# /usr/local/sbin and init/mmproxyd.service.in made into the unit. Checks:
#   - reload with a broken allow-list, or an unknown flag in
#     /etc/default/mmproxyd, fails naming the problem and leaves the
#     instance as it was (same MainPID, no SIGHUP, still proxying); a
#     good reload then reaches it;
#   - a start with a configuration error fails with status 2 and is not
#     restarted; without CAP_NET_ADMIN the same; a start on an address
#     that is not up yet (exit 1) is retried and runs once it comes;
#   - the route watch, as the dynamic user in the unit's sandbox: "ip
#     rule del" of table 123's rule is logged at priority err within 5 s
#     and turns mmproxyd_return_route_ok to 0; "mmproxyd-routing up"
#     brings both back.
# Needs root, systemd-container and a build in build/ (make). Another
# script may run nspawn at the same time: the machine and cgroup names
# carry this script's pid. See /work/shared/systemd-nspawn.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
t0=$(date +%s)
BUILD=${BUILD:-$top/build}

[ -x "$BUILD/mmproxyd" ] ||
    { echo "no $BUILD/mmproxyd: build first" >&2; exit 1; }
command -v systemd-nspawn >/dev/null ||
    { echo "systemd-nspawn missing" >&2; exit 1; }

D=$(mktemp -d /tmp/mmpd-nspawn-check.XXXXXX)
CG=mmpd-check-$$
N=""
L=""
mounted_cg=""
cleanup() {
	rc=$?
	if [ -n "$N" ] && kill -0 "$N" 2>/dev/null; then
		kill -TERM "$N" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$N" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$N" 2>/dev/null || true
		wait "$N" 2>/dev/null || true
	fi
	for h in unified systemd; do
		[ -d "/sys/fs/cgroup/$h/$CG" ] &&
		    find "/sys/fs/cgroup/$h/$CG" -depth -type d \
		    -exec rmdir {} \; 2>/dev/null
	done
	for m in $mounted_cg; do umount "$m" || true; done
	rm -rf "$D"
	echo "nspawn check test: $(( $(date +%s) - t0 )) s, exit $rc"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_c() { nsenter -t "$L" -a "$@"; }
fail() {
	echo "FAIL: $*" >&2
	[ -n "$L" ] && in_c journalctl -b --no-pager -n 40 -u mmproxyd >&2
	exit 1
}
prop() { in_c systemctl show -p "$1" --value mmproxyd; }
# The unit's log since the cursor in $D/cursor.
since() { in_c journalctl --no-pager -o cat -u mmproxyd \
    --after-cursor="$(cat "$D/cursor")" "$@"; }
# The unit's lines at priority err or worse since the cursor ("-p" with
# "--after-cursor" finds nothing in journalctl 252).
errs() { since -o json | python3 -c 'import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if int(e.get("PRIORITY", 6)) <= 3:
        print(e["MESSAGE"])'; }
mark() { in_c journalctl -q -n 1 --show-cursor --no-pager |
    sed -n 's/^-- cursor: //p' >"$D/cursor"; }
opts() { in_c sh -c "printf 'MMPROXYD_OPTS=\"%s\"\n' '$1' \
    >/etc/default/mmproxyd"; }
client() { in_c python3 /mnt/check/tool.py client 127.0.0.1 443 \
    "PROXY TCP4 $1 127.0.0.1 40000 8080"; }
# gauge TARGET: mmproxyd_return_route_ok{target=TARGET} from -metrics.
gauge() {
	in_c python3 -c 'import sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=5)
for l in t.read().decode().splitlines():
    if l.startswith("mmproxyd_return_route_ok{target=\"%s\"} " % sys.argv[1]):
        print(l.split()[-1])' "$1"
}
# wait_for SECONDS cmd...: poll every 0.1 s.
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	return 1
}

# This tree's unit, as make would write it for --prefix=/usr/local with
# /etc as sysconfdir (the machine's /usr is read-only in the container).
mkdir -p "$D/sbin" "$D/share"
cp "$BUILD/mmproxyd" scripts/mmproxyd-routing "$D/sbin/"
chmod 755 "$D/sbin/"*
sed -e 's|@sbindir[@]|/usr/local/sbin|g' -e 's|@sysconfdir[@]|/etc|g' \
    -e 's|@unit_what[@]||' -e 's|@unit_defaults[@]|-/etc/default/mmproxyd|' \
    init/mmproxyd.service.in >"$D/mmproxyd.service"
cp tests/deploy/tool.py "$D/share/"

if ! mountpoint -q /sys/fs/cgroup/systemd; then
	mkdir -p /sys/fs/cgroup/systemd
	mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
	mounted_cg="/sys/fs/cgroup/systemd"
fi
if ! mountpoint -q /sys/fs/cgroup/unified; then
	mkdir -p /sys/fs/cgroup/unified
	mount -t cgroup2 none /sys/fs/cgroup/unified
	mounted_cg="/sys/fs/cgroup/unified $mounted_cg"
fi
for h in unified systemd; do
	mkdir -p "/sys/fs/cgroup/$h/$CG/payload" "/sys/fs/cgroup/$h/$CG/supervisor"
done
systemd-id128 new >"$D/machine-id"
setsid bash -c "echo \$\$ > /sys/fs/cgroup/unified/$CG/cgroup.procs
    echo \$\$ > /sys/fs/cgroup/systemd/$CG/cgroup.procs
    exec systemd-nspawn --register=no --keep-unit -M mmpd-check-$$ \
    --volatile=yes -D / --private-network --console=pipe \
    --bind-ro=$D/machine-id:/etc/machine-id \
    --bind-ro=$D/sbin:/usr/local/sbin --bind-ro=$D/share:/mnt/check \
    --bind-ro=$D/mmproxyd.service:/etc/systemd/system/mmproxyd.service \
    -b -- systemd.unit=basic.target \
    systemd.mask=systemd-networkd-wait-online.service \
    systemd.mask=systemd-firstboot.service \
    systemd.mask=systemd-machine-id-commit.service" \
    >"$D/nspawn.log" 2>&1 </dev/null &
N=$!
for _ in $(seq 100); do
	L=$(pgrep -P "$N" -x systemd || true)
	[ -n "$L" ] && break
	sleep 0.1
done
[ -n "$L" ] || { cat "$D/nspawn.log"; fail "container did not boot"; }
state=""
for _ in $(seq 100); do
	state=$(in_c systemctl is-system-running 2>/dev/null || true)
	case $state in running|degraded) break ;; esac
	sleep 0.1
done
echo "== container PID 1 is $L: $(in_c systemctl --version | head -n 1), $state"

echo "== backend, allow-list, options"
in_c systemd-run -q --unit=mmpd-backend \
    python3 /mnt/check/tool.py backend 8080 /run/backend.log
in_c sh -c 'mkdir -p /etc/default /etc/mmproxyd &&
    printf "127.0.0.0/8\n::1/128\n" >/etc/mmproxyd/allowed.txt &&
    chmod 644 /etc/mmproxyd/allowed.txt'
GOOD="-l 127.0.0.1:443 -4 127.0.0.1:8080 -6 [::1]:8080 -allowed-subnets /etc/mmproxyd/allowed.txt -metrics 127.0.0.1:9100"
opts "$GOOD"
mark
in_c systemctl start mmproxyd || fail "systemctl start"
pid=$(prop MainPID)
r=$(client 198.51.100.7)
[ "$r" = "peer 198.51.100.7" ] || fail "proxying: $r"
echo "running as pid $pid, proxying"

echo "== reload with a broken allow-list: refused, the instance untouched"
in_c sh -c 'printf "127.0.0.0/8\n300.0.0.0/8\n" >/etc/mmproxyd/allowed.txt'
if in_c systemctl reload mmproxyd 2>/dev/null; then
	fail "reload with a broken allow-list succeeded"
fi
since | grep -F 'mmproxyd: -allowed-subnets /etc/mmproxyd/allowed.txt:2: bad subnet "300.0.0.0/8"' ||
    fail "the reload did not name the file and line"
[ "$(prop MainPID)" = "$pid" ] || fail "MainPID changed"
[ "$(prop ActiveState)" = active ] || fail "not active after the refused reload"
since | grep -c 'SIGHUP:' >/dev/null && fail "a SIGHUP reached the daemon"
r=$(client 198.51.100.8)
[ "$r" = "peer 198.51.100.8" ] || fail "proxying after the refused reload: $r"

echo "== reload with an unknown flag in /etc/default/mmproxyd: refused too"
in_c sh -c 'printf "127.0.0.0/8\n::1/128\n" >/etc/mmproxyd/allowed.txt'
opts "$GOOD -no-such-flag"
if in_c systemctl reload mmproxyd 2>/dev/null; then
	fail "reload with an unknown flag succeeded"
fi
since | grep -F 'unknown flag -no-such-flag' || fail "the flag was not named"
[ "$(prop MainPID)" = "$pid" ] || fail "MainPID changed"
since | grep -c 'SIGHUP:' >/dev/null && fail "a SIGHUP reached the daemon"

echo "== a good reload reaches it"
opts "$GOOD"
in_c systemctl reload mmproxyd || fail "good reload"
wait_for 5 eval 'since |
    grep -c "SIGHUP: reloaded /etc/mmproxyd/allowed.txt" >/dev/null' ||
    fail "the good reload did not reach the daemon"
[ "$(prop MainPID)" = "$pid" ] || fail "MainPID changed"
since | grep 'SIGHUP:'

echo "== route watch as the dynamic user in the sandbox"
mark
del_ms=$(date +%s%3N)
in_c ip rule del from 127.0.0.1/8 iif lo table 123
# The journal may lag on a busy machine: the daemon's own stamp counts.
wait_for 20 eval 'errs | grep -c "backend 127.0.0.1 lost" >/dev/null' ||
    fail "no error logged after ip rule del"
stamp=$(errs | sed -n 's/^\([0-9T:.-]*Z\) .*backend 127.0.0.1 lost.*/\1/p')
took=$(( $(date -d "$stamp" +%s%3N) - del_ms ))
echo "logged $took ms after ip rule del:"
[ "$took" -lt 5000 ] || fail "logged $took ms after ip rule del"
errs
errs | grep -F 'the rule is gone: ip rule add from 127.0.0.1/8 iif lo table 123 (or run mmproxyd-routing up 123)' ||
    fail "the error does not name the rule and the command"
[ "$(gauge 127.0.0.1)" = 0 ] || fail "gauge for 127.0.0.1 is not 0"
[ "$(gauge ::1)" = 1 ] || fail "gauge for ::1 is not 1"
sleep 2
in_c ip rule show | grep -c 'from 127.0.0.1/8 iif lo lookup 123' >/dev/null &&
    fail "the rule came back by itself"
in_c /usr/local/sbin/mmproxyd-routing up 123
wait_for 20 eval 'since |
    grep -c "backend 127.0.0.1 is back (table 123)" >/dev/null' ||
    fail "no recovery logged"
[ "$(gauge 127.0.0.1)" = 1 ] || fail "gauge for 127.0.0.1 is not back to 1"
since | grep -F 'is back'
in_c journalctl -b --no-pager -u mmproxyd | grep -iE \
    'seccomp|SIGSYS|status=31|Operation not permitted|Permission denied' &&
    fail "the sandbox got in the way"

echo "== a start with a configuration error: status 2, no restart"
in_c systemctl stop mmproxyd
opts "$GOOD -no-such-flag"
mark
if in_c systemctl start mmproxyd 2>/dev/null; then
	fail "start with an unknown flag succeeded"
fi
sleep 5	# more than two RestartSec=
st="$(prop ActiveState) $(prop Result) $(prop ExecMainStatus) $(prop NRestarts)"
echo "after 5 s: $st"
[ "$st" = "failed exit-code 2 0" ] || fail "state after a bad start: $st"

echo "== without CAP_NET_ADMIN: status 2, no restart"
in_c sh -c 'mkdir -p /etc/systemd/system/mmproxyd.service.d &&
    printf "[Service]\nAmbientCapabilities=\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n" \
    >/etc/systemd/system/mmproxyd.service.d/nocap.conf &&
    systemctl daemon-reload && systemctl reset-failed mmproxyd'
opts "$GOOD"
mark
if in_c systemctl start mmproxyd 2>/dev/null; then
	fail "start without CAP_NET_ADMIN succeeded"
fi
sleep 5
st="$(prop ActiveState) $(prop ExecMainStatus) $(prop NRestarts)"
echo "after 5 s: $st"
[ "$st" = "failed 2 0" ] || fail "state without CAP_NET_ADMIN: $st"
since | grep -F 'grant it CAP_NET_ADMIN' || fail "CAP_NET_ADMIN not named"
in_c sh -c 'rm /etc/systemd/system/mmproxyd.service.d/nocap.conf &&
    systemctl daemon-reload && systemctl reset-failed mmproxyd'

echo "== an address not up yet: status 1, retried until it comes"
opts "-l 203.0.113.9:443 -4 127.0.0.1:8080 -6 [::1]:8080"
mark
in_c systemctl start mmproxyd 2>/dev/null && fail "started on an absent address"
wait_for 10 eval '[ "$(prop NRestarts)" -ge 2 ]' ||
    fail "not retried: NRestarts $(prop NRestarts)"
echo "retried: NRestarts $(prop NRestarts)"
since | grep -F 'Main process exited, code=exited, status=1/FAILURE' ||
    fail "the failed starts did not exit 1"
in_c ip addr add 203.0.113.9/32 dev lo
wait_for 10 eval '[ "$(prop ActiveState)" = active ]' ||
    fail "not active once the address came: $(prop ActiveState)"
r=$(in_c python3 /mnt/check/tool.py client 203.0.113.9 443 \
    "PROXY TCP4 198.51.100.9 127.0.0.1 40001 8080")
[ "$r" = "peer 198.51.100.9" ] || fail "proxying on the late address: $r"
echo "active after $(prop NRestarts) restarts, proxying"
in_c systemctl stop mmproxyd
v=$(in_c systemctl --version | awk 'NR == 1 { print $2 }')
echo "== ok: check, reload, restart policy and route watch under systemd $v"
