#!/bin/bash
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/nspawn.sh -- the packaged unit under a real systemd.
#
# Boots systemd as PID 1 of a throwaway systemd-nspawn container
# (nspawn_lib.sh: a copy-on-write overlay of this machine's own /, with a
# private network namespace), installs build-deb/mmproxyd_*.deb there
# with dpkg and checks: install leaves it disabled and stopped; with
# MMPROXYD_OPTS set, "systemctl start" reaches active (running) through
# Type=notify; a PROXY v1 connection reaches the backend from the spoofed
# source; the process is the dynamic
# user with only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE; "systemctl
# reload" re-reads the allow-list; "systemctl stop" drains an open
# connection; the routes are gone after stop; a TasksMax=40 drop-in.
# See /work/shared/systemd-nspawn.md for the recipe and its pitfalls.
# Needs root, systemd-container, and the .deb (scripts/package makes it).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
t0=$(date +%s)

deb=$(ls build-deb/mmproxyd_*_*.deb 2>/dev/null | head -n 1 || true)
[ -n "$deb" ] || { echo "no build-deb/mmproxyd_*.deb: run scripts/package" >&2; exit 1; }
command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn missing" >&2; exit 1; }

. tests/deploy/nspawn_lib.sh
D=$(mktemp -d /tmp/mmpd-nspawn.XXXXXX)
nspawn_init "$D" "mmpd-$$"
cleanup() {
	rc=$?
	nspawn_cleanup
	rm -rf "$D"
	echo "nspawn test: $(( $(date +%s) - t0 )) s, exit $rc"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -n "${L:-}" ] && in_c journalctl -b --no-pager -n 40 -u mmproxyd >&2
	exit 1
}

mkdir -p "$D/share"
cp "$deb" tests/deploy/tool.py "$D/share/"
nspawn_boot "$D/share" || fail "boot"
state=$(in_c systemctl is-system-running 2>/dev/null || true)
echo "== container PID 1 is $L: $(in_c systemctl --version | head -n 1), $state"
[ "$state" = running ] || { in_c systemctl --failed --no-pager; fail "boot: $state"; }

echo "== dpkg -i $(basename "$deb") in the container"
in_c dpkg -i "/mnt/deploy/$(basename "$deb")" >"$D/dpkg.log" 2>&1 ||
    { cat "$D/dpkg.log"; fail "dpkg -i"; }
grep -i "not starting" "$D/dpkg.log" || true
en=$(in_c systemctl is-enabled mmproxyd || true)
ac=$(in_c systemctl is-active mmproxyd || true)
echo "after install: $en, $ac"
[ "$en" = disabled ] && [ "$ac" = inactive ] ||
    fail "install must leave mmproxyd disabled and stopped"

echo "== backend and MMPROXYD_OPTS"
in_c systemd-run -q --unit=mmpd-backend \
    python3 /mnt/deploy/tool.py backend 8080 /run/backend.log
in_c sh -c 'mkdir -p /etc/mmproxyd &&
    printf "127.0.0.0/8\n::1/128\n" >/etc/mmproxyd/allowed.txt &&
    chmod 644 /etc/mmproxyd/allowed.txt &&
    sed -i "s|^MMPROXYD_OPTS=.*|MMPROXYD_OPTS=\"-l [::]:443 -4 127.0.0.1:8080 -6 [::1]:8080 -allowed-subnets /etc/mmproxyd/allowed.txt\"|" /etc/default/mmproxyd &&
    grep ^MMPROXYD_OPTS /etc/default/mmproxyd'

echo "== systemctl start mmproxyd"
in_c systemctl start mmproxyd || fail "systemctl start"
in_c systemctl status --no-pager -n 5 mmproxyd || true
prop() { in_c systemctl show -p "$1" --value mmproxyd; }
st="$(prop Type) $(prop ActiveState) $(prop SubState) "
[ "$st" = "notify active running " ] || fail "unit state: $st"
# (grep reads all its input: with pipefail, grep -q's early exit would
# fail the writer with SIGPIPE.)
in_c systemctl status --no-pager mmproxyd |
    grep -c 'Active: active (running)' >/dev/null || fail "status line"

pid=$(in_c systemctl show -p MainPID --value mmproxyd)
in_c grep -E '^(Uid|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' "/proc/$pid/status" |
    tee "$D/status"
user=$(in_c ps -o user= -p "$pid")
uid=$(awk '/^Uid:/ { print $2 }' "$D/status")
echo "runs as $user (uid $uid)"
[ "$user" = mmproxyd ] && [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] ||
    fail "not the dynamic user: $user $uid"
for c in CapPrm CapEff CapBnd; do
	# CAP_NET_ADMIN (12) and CAP_NET_BIND_SERVICE (10) and nothing else.
	grep -q "^$c:[[:space:]]*0000000000001400$" "$D/status" ||
	    fail "$c is not CAP_NET_ADMIN+CAP_NET_BIND_SERVICE"
done
grep -q "^NoNewPrivs:[[:space:]]*1$" "$D/status" || fail NoNewPrivs
in_c ip rule | grep -c "lookup 123" >/dev/null || fail "no ip rule for table 123"
in_c ip -6 rule | grep -c "lookup 123" >/dev/null || fail "no ip -6 rule for table 123"

echo "== PROXY v1 through the unit"
r=$(in_c python3 /mnt/deploy/tool.py client 127.0.0.1 443 \
    "PROXY TCP4 198.51.100.7 127.0.0.1 40000 8080")
r6=$(in_c python3 /mnt/deploy/tool.py client ::1 443 \
    "PROXY TCP6 2001:db8::7 ::1 40001 8080")
echo "client got: $r / $r6"
[ "$r" = "peer 198.51.100.7" ] || fail "IPv4: $r"
[ "$r6" = "peer 2001:db8::7" ] || fail "IPv6: $r6"
in_c grep -q "^peer 198.51.100.7 40000$" /run/backend.log || fail "backend log"

echo "== systemctl reload: the allow-list no longer has loopback"
in_c sh -c 'echo 192.0.2.0/24 >/etc/mmproxyd/allowed.txt'
in_c systemctl reload mmproxyd || fail "systemctl reload"
r=""
for _ in $(seq 30); do
	r=$(in_c python3 /mnt/deploy/tool.py client 127.0.0.1 443 \
	    "PROXY TCP4 198.51.100.8 127.0.0.1 40002 8080")
	[ "$r" != "peer 198.51.100.8" ] && break
	sleep 0.1
done
echo "client from 127.0.0.1 got: $r"
[ "$r" != "peer 198.51.100.8" ] || fail "reload did not re-read the allow-list"
[ "$(in_c systemctl is-active mmproxyd)" = active ] || fail "not active after reload"
in_c sh -c 'printf "127.0.0.0/8\n::1/128\n" >/etc/mmproxyd/allowed.txt'
in_c systemctl reload mmproxyd
r=""
for _ in $(seq 30); do
	r=$(in_c python3 /mnt/deploy/tool.py client 127.0.0.1 443 \
	    "PROXY TCP4 198.51.100.8 127.0.0.1 40003 8080")
	[ "$r" = "peer 198.51.100.8" ] && break
	sleep 0.1
done
[ "$r" = "peer 198.51.100.8" ] || fail "second reload: $r"
echo "allowed again after the second reload"

echo "== systemctl stop drains an open connection"
in_c python3 /mnt/deploy/tool.py drain 127.0.0.1 443 /run/stopping \
    >"$D/drain.out" 2>&1 &
dpid=$!
for _ in $(seq 50); do grep -q connected "$D/drain.out" && break; sleep 0.1; done
grep -q connected "$D/drain.out" || fail "drain client: $(cat "$D/drain.out")"
ts=$(date +%s)
in_c systemctl stop mmproxyd &
spid=$!
sub=""
for _ in $(seq 50); do
	sub=$(in_c systemctl show -p ActiveState --value mmproxyd)
	[ "$sub" = deactivating ] && break
	sleep 0.1
done
echo "while the client is open: $sub"
[ "$sub" = deactivating ] || fail "stop did not wait for the open connection"
in_c touch /run/stopping
wait "$dpid" || true
cat "$D/drain.out"
grep -q drained-ok "$D/drain.out" || fail "the open connection was cut"
wait "$spid" || fail "systemctl stop"
echo "stopped in $(( $(date +%s) - ts )) s"
res="$(prop ActiveState) $(prop Result) "
[ "$res" = "inactive success " ] || fail "after stop: $res"
if in_c ip rule | grep -c "lookup 123" >/dev/null ||
    in_c ip -6 rule | grep -c "lookup 123" >/dev/null; then
	fail "routes of table 123 left after stop"
fi
in_c /usr/sbin/mmproxyd-routing status 123 || true
echo "routes gone"
in_c journalctl -b --no-pager -u mmproxyd | grep -iE \
    'seccomp|SIGSYS|status=31|Operation not permitted|Permission denied' && fail "hardening errors"

echo "== TasksMax=40 drop-in"
# On this VM's hybrid cgroups the container sees the pids controller
# read-only, so its systemd cannot write pids.max and TasksMax= is not
# enforced; LimitNPROC= (the dynamic user's thread limit, which mmproxyd
# also reads) makes the same limit real. Where pids.max is writable,
# TasksMax= alone would do.
in_c sh -c 'mkdir -p /etc/systemd/system/mmproxyd.service.d &&
    printf "[Service]\nTasksMax=40\nLimitNPROC=40\n" \
    >/etc/systemd/system/mmproxyd.service.d/tasks.conf &&
    systemctl daemon-reload'
in_c systemctl start mmproxyd || fail "start with TasksMax=40"
[ "$(in_c systemctl show -p TasksMax --value mmproxyd)" = 40 ] ||
    fail "TasksMax not applied"
inv=$(in_c systemctl show -p InvocationID --value mmproxyd)
r=$(in_c python3 /mnt/deploy/tool.py hold 127.0.0.1 443 12) ||
    fail "12 concurrent connections: $r"
echo "12 concurrent connections: $r"
[ "$r" = "ok 12" ] || fail "12 concurrent connections: $r"
in_c journalctl --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$inv" >"$D/tasks.log"
cat "$D/tasks.log"
grep -q "no thread for the" "$D/tasks.log" &&
    fail "ran out of threads under TasksMax=40"
pid=$(in_c systemctl show -p MainPID --value mmproxyd)
pmax=$(in_c sh -c "p=\$(sed -n 's/^[0-9]*:pids:\(.*\)/\1/p;s/^0::\(.*\)/\1/p' /proc/$pid/cgroup | head -n 1)
    cat /sys/fs/cgroup/pids\$p/pids.max /sys/fs/cgroup\$p/pids.max 2>/dev/null | head -n 1" || true)
echo "pids.max of the service cgroup: ${pmax:-not visible}"
if grep -qiE 'max-conns.*task limit' "$D/tasks.log"; then
	echo "ok: -max-conns capped by the task limit"
elif ! grep -qi 'task limit' "$top"/src/*.c; then
	echo "SKIP: this tree's mmproxyd has no task-limit cap yet"
else
	fail "no warning that -max-conns was capped by the task limit"
fi
in_c systemctl stop mmproxyd || fail "stop"

echo "== mmproxyd@udp beside mmproxyd, sharing table 123"
# The template unit is in the package, disabled; an instance reads its own
# /etc/default/mmproxyd-NAME. Both count themselves on table 123's routes:
# stopping either must leave them up for the other.
[ "$(in_c systemctl is-enabled mmproxyd@udp)" = disabled ] ||
    fail "mmproxyd@udp enabled by the package"
in_c systemd-run -q --unit=mmpd-udp-backend \
    python3 /mnt/deploy/tool.py udpbackend 8053 /run/udp-backend.log
in_c sh -c 'printf "%s\n" "MMPROXYD_OPTS=\"-p udp -l 127.0.0.1:53 -4 127.0.0.1:8053 -allowed-subnets /etc/mmproxyd/allowed.txt\"" \
    "ROUTING_TABLE=123" >/etc/default/mmproxyd-udp'
in_c systemctl start mmproxyd mmproxyd@udp || fail "start both"
for u in mmproxyd mmproxyd@udp; do
	[ "$(in_c systemctl show -p SubState --value "$u")" = running ] ||
	    fail "$u not running"
done
users=$(in_c /usr/sbin/mmproxyd-routing status 123 | sed -n 's/^used by: //p')
echo "table 123 used by: $users"
[ "$users" = "mmproxyd mmproxyd@udp" ] || fail "instances on table 123: $users"
udp() { in_c python3 /mnt/deploy/tool.py udpclient 127.0.0.1 53 "$1"; }
tcp() { in_c python3 /mnt/deploy/tool.py client 127.0.0.1 443 \
    "PROXY TCP4 $1 127.0.0.1 40020 8080"; }
r=$(udp 198.51.100.20)
echo "UDP client got: $r"
[ "$r" = "peer 198.51.100.20" ] || fail "UDP through mmproxyd@udp: $r"
in_c systemctl stop mmproxyd || fail "stop mmproxyd"
r=$(udp 198.51.100.21)
echo "mmproxyd stopped; UDP client got: $r"
[ "$r" = "peer 198.51.100.21" ] || fail "mmproxyd's stop cut mmproxyd@udp: $r"
in_c systemctl start mmproxyd || fail "start mmproxyd again"
in_c systemctl stop mmproxyd@udp || fail "stop mmproxyd@udp"
r=$(tcp 198.51.100.22)
echo "mmproxyd@udp stopped; TCP client got: $r"
[ "$r" = "peer 198.51.100.22" ] || fail "mmproxyd@udp's stop cut mmproxyd: $r"
in_c systemctl stop mmproxyd || fail "stop"
if in_c ip rule | grep -c "lookup 123" >/dev/null; then
	fail "routes of table 123 left after both stopped"
fi
echo "routes gone once both stopped"
echo "== ok: the packaged unit works under systemd $(in_c systemctl --version | awk 'NR == 1 { print $2 }')"
