#!/bin/bash
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/upgrade.sh -- a package upgrade under a real systemd
# refuses no connection.
#
# Builds this tree twice as .deb, the second reporting another --version,
# boots systemd in a throwaway systemd-nspawn container (the recipe of
# nspawn.sh, machine mmpd-upg-PID), installs the first package and runs
# mmproxyd (TCP, with -metrics) and mmproxyd@udp. Under load -- new TCP
# connections at 400 a second, 50 long-lived ones echoing, 64 UDP flows
# at 2,000 datagrams a second -- it installs the second package, whose
# postinst upgrades both units in place with SIGUSR2, and checks: no TCP
# connection refused, reset or cut, the 50 long-lived ones still echo to
# the end, at most 1 % of the datagrams lost; systemd's MainPID is the new
# generation, which runs the new binary (its metrics report the new
# version) as the dynamic user with the same capabilities, and serves new
# UDP flows; the old generations are gone, nothing in the journal
# complains; a new generation that fails to start leaves the unit as it
# was; reload and stop still act on the right process; systemd notices
# when an upgraded main process dies. Then the same package upgrade on a
# machine without systemd upgrades the SysV instances main and udp
# through /etc/init.d/mmproxyd upgrade, refusing nothing.
# See /work/shared/systemd-nspawn.md. Needs root, systemd-container and
# dpkg-buildpackage. DEB_DIR=DIR keeps the two packages there between runs
# (they are built only when missing: remove them after changing the tree).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
t0=$(date +%s)
. tests/deploy/nspawn_lib.sh

command -v systemd-nspawn >/dev/null ||
    { echo "systemd-nspawn missing" >&2; exit 1; }
command -v dpkg-buildpackage >/dev/null ||
    { echo "dpkg-buildpackage missing" >&2; exit 1; }

D=$(mktemp -d /tmp/mmpd-upg.XXXXXX)
nspawn_init "$D" "mmpd-upg-$$"
cleanup() {
	rc=$?
	nspawn_cleanup
	rm -rf "$D"
	echo "upgrade test: $(( $(date +%s) - t0 )) s, exit $rc"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -n "${L:-}" ] && in_c journalctl -b --no-pager -n 60 \
	    -u mmproxyd -u mmproxyd@udp >&2
	exit 1
}

# build_deb VERSION: this tree as a .deb in $DEBS/VERSION/, reporting
# VERSION in --version (and in the package's version, VERSION-1).
build_deb() {
	local v=$1 src=$DEBS/$1/src
	ls "$DEBS/$v"/mmproxyd_"$v"-1_*.deb >/dev/null 2>&1 && return 0
	rm -rf "$DEBS/$v"
	mkdir -p "$src"
	git ls-files -z --cached --others --exclude-standard |
	    tar --null -T - -cf - | tar -C "$src" -xf -
	sed -i "s/^AC_INIT(\[mmproxyd\], \[[^]]*\]/AC_INIT([mmproxyd], [$v]/" \
	    "$src/configure.ac"
	if ! head -n 1 "$src/debian/changelog" | grep -q "($v-1)"; then
		{
			printf 'mmproxyd (%s-1) unstable; ' "$v"
			printf 'urgency=medium\n\n'
			printf '  * Rebuilt for the upgrade test.\n\n'
			printf ' -- The mmproxyd authors '
			printf '<mmproxyd@example.org>  %s\n\n' "$(date -R)"
			cat "$src/debian/changelog"
		} >"$src/debian/changelog.new"
		mv "$src/debian/changelog.new" "$src/debian/changelog"
	fi
	(cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) \
	    >"$DEBS/$v/build.log" 2>&1 ||
	    { tail -n 30 "$DEBS/$v/build.log"; fail "dpkg-buildpackage $v"; }
	ls "$DEBS/$v"/mmproxyd_"$v"-1_*.deb >/dev/null || fail "no .deb for $v"
	rm -rf "$src"
}

OLDV=$(sed -n 's/^AC_INIT(\[mmproxyd\], \[\([^]]*\)\].*/\1/p' configure.ac)
NEWV="$OLDV+upgradetest"
DEBS=${DEB_DIR:-$D}
echo "== building $OLDV and $NEWV in $DEBS"
build_deb "$OLDV"
build_deb "$NEWV"
mkdir -p "$D/share"
cp "$DEBS/$OLDV"/mmproxyd_*.deb "$DEBS/$NEWV"/mmproxyd_*.deb \
    tests/functional/churn_tool.py "$D/share/"
# A backend in C (bench's), so that the load measures the proxy, not a
# Python echo server on a busy machine.
cc -std=c11 -O2 -o "$D/share/echo_backend" bench/echo_backend.c ||
    fail "cc echo_backend"
rm -f "$D"/share/mmproxyd-dbgsym_*

nspawn_boot "$D/share" || fail "boot"
echo "== container PID 1 is $L: $(in_c systemctl --version | head -n 1)"

echo "== install $OLDV, run mmproxyd and mmproxyd@udp"
in_c dpkg -i "/mnt/deploy/mmproxyd_$OLDV-1_amd64.deb" >"$D/dpkg1.log" 2>&1 ||
    { cat "$D/dpkg1.log"; fail "dpkg -i $OLDV"; }
in_c systemd-run -q --unit=mmpd-echo /mnt/deploy/echo_backend -p 8080
in_c sh -c 'mkdir -p /etc/mmproxyd &&
    printf "127.0.0.0/8\n" >/etc/mmproxyd/allowed.txt &&
    chmod 644 /etc/mmproxyd/allowed.txt &&
    sed -i "s|^MMPROXYD_OPTS=.*|MMPROXYD_OPTS=\"-l 127.0.0.1:443 -4 127.0.0.1:8080 -allowed-subnets /etc/mmproxyd/allowed.txt -metrics 127.0.0.1:9100\"|" /etc/default/mmproxyd &&
    printf "%s\n" "MMPROXYD_OPTS=\"-p udp -l 127.0.0.1:53 -4 127.0.0.1:8080 -listeners 2\"" \
    "ROUTING_TABLE=123" >/etc/default/mmproxyd-udp'
in_c systemctl start mmproxyd mmproxyd@udp || fail "systemctl start"
prop() { in_c systemctl show -p "$2" --value "$1"; }
# new_main UNIT OLD SECONDS: UNIT's main pid once it is not OLD (or OLD).
new_main() {
	local p=$2
	for _ in $(seq $(($3 * 10))); do
		p=$(prop "$1" MainPID)
		[ "$p" != "$2" ] && [ "$p" -gt 0 ] && break
		sleep 0.1
	done
	echo "$p"
}
tcp1=$(prop mmproxyd MainPID)
udp1=$(prop mmproxyd@udp MainPID)
echo "running: mmproxyd $tcp1, mmproxyd@udp $udp1"
version_served() {
	in_c python3 -c '
import re, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=5).read()
print(re.search(rb"mmproxyd_build_info\{version=\"([^\"]*)\"", t).group(1)
      .decode())'
}
[ "$(version_served)" = "$OLDV" ] || fail "serves $(version_served)"

echo "== load, and dpkg -i $NEWV meanwhile"
in_c python3 /mnt/deploy/churn_tool.py tcp --connect 127.0.0.1:443 \
    --rate 400 --seconds 2 --long 50 --timeout 20 \
    --ready-file /run/tcp.ready --until-file /run/load.done \
    >"$D/tcp.json" 2>"$D/tcp.err" &
LT=$!
in_c python3 /mnt/deploy/churn_tool.py udp --connect 127.0.0.1:53 \
    --flows 64 --rate 2000 --seconds 2 --ready-file /run/udp.ready \
    --until-file /run/load.done >"$D/udp.json" 2>"$D/udp.err" &
LU=$!
for _ in $(seq 200); do
	in_c test -e /run/tcp.ready -a -e /run/udp.ready && break
	sleep 0.1
done
in_c test -e /run/tcp.ready -a -e /run/udp.ready || fail "load did not start"
sleep 1
in_c dpkg -i "/mnt/deploy/mmproxyd_$NEWV-1_amd64.deb" >"$D/dpkg2.log" 2>&1 ||
    { cat "$D/dpkg2.log"; fail "dpkg -i $NEWV"; }
grep "mmproxyd" "$D/dpkg2.log" |
    grep -v "^Preparing\|^Unpacking\|^Setting\|^(Reading" || true
tcp2=$(prop mmproxyd MainPID)
udp2=$(prop mmproxyd@udp MainPID)
echo "after the upgrade: mmproxyd $tcp2, mmproxyd@udp $udp2"
[ "$tcp2" != "$tcp1" ] && [ "$tcp2" -gt 0 ] || fail "mmproxyd's MainPID"
[ "$udp2" != "$udp1" ] && [ "$udp2" -gt 0 ] || fail "mmproxyd@udp's MainPID"
sleep 2
in_c touch /run/load.done
wait "$LT" || fail "TCP load: $(cat "$D/tcp.err")"
wait "$LU" || fail "UDP load: $(cat "$D/udp.err")"
echo "TCP: $(cat "$D/tcp.json")"
echo "UDP: $(cat "$D/udp.json")"
python3 - "$D/tcp.json" "$D/udp.json" <<'EOF' || fail "load across the upgrade"
import json, sys
t = json.load(open(sys.argv[1]))
u = json.load(open(sys.argv[2]))
bad = []
for k in ("refused", "reset", "cut", "timeout", "other", "corrupt"):
    if t[k]:
        bad.append("TCP %s %d" % (k, t[k]))
if t["ok"] != t["opened"]:
    bad.append("TCP ok %d of %d" % (t["ok"], t["opened"]))
if t["cps"] < 300:
    bad.append("TCP only %.0f connections/s" % t["cps"])
if t["long"]["kept"] != 50 or t["long"]["failed"]:
    bad.append("long-lived %r" % t["long"])
if u["loss_pct"] > 1.0:
    bad.append("UDP lost %.2f %%" % u["loss_pct"])
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF

echo "== the new generations"
for pid in "$tcp1" "$udp1"; do
	for _ in $(seq 250); do
		in_c kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	in_c kill -0 "$pid" 2>/dev/null && fail "old generation $pid still runs"
done
[ "$(version_served)" = "$NEWV" ] || fail "serves $(version_served), not $NEWV"
for pid in "$tcp2" "$udp2"; do
	exe=$(in_c readlink "/proc/$pid/exe")
	[ "$exe" = /usr/sbin/mmproxyd ] || fail "pid $pid runs $exe"
	in_c grep -E '^(Uid|Cap(Prm|Eff|Bnd)):' "/proc/$pid/status" >"$D/st"
	uid=$(awk '/^Uid:/ { print $2 }' "$D/st")
	[ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] || fail "pid $pid uid $uid"
	for c in CapPrm CapEff CapBnd; do
		grep -q "^$c:[[:space:]]*0000000000001400$" "$D/st" ||
		    fail "pid $pid $c: $(grep "^$c" "$D/st")"
	done
done
for u in mmproxyd mmproxyd@udp; do
	st="$(prop "$u" ActiveState) $(prop "$u" SubState)"
	[ "$st" = "active running" ] || fail "$u: $st"
done
in_c systemctl status --no-pager -n 0 mmproxyd | grep "Main PID: $tcp2" ||
    fail "systemctl status does not name $tcp2"
in_c python3 /mnt/deploy/churn_tool.py udp --connect 127.0.0.1:53 \
    --flows 64 --rate 1000 --seconds 1 --net 203.0.113 >"$D/udp2.json"
echo "new UDP flows: $(cat "$D/udp2.json")"
grep -q '"lost": 0,' "$D/udp2.json" || fail "new flows after the upgrade"
in_c journalctl -b --no-pager -o cat -u mmproxyd -u mmproxyd@udp \
    >"$D/journal"
grep -E "upgraded in place" "$D/dpkg2.log" | grep -c . | grep -qx 2 ||
    fail "postinst did not upgrade both units in place"
# "not our child": systemd would neither wait for the drain on stop nor
# see the new generation exit; "reception only permitted": a notification
# from a process that is no longer the main one.
bad="not our child|reception only permitted|status=|SIGSYS"
if grep -iE "$bad|Operation not permitted|fatal" "$D/journal"; then
	fail "complaints in the journal"
fi

echo "== a new generation that fails leaves the unit as it was"
in_c sh -c 'echo "not a subnet" >/etc/mmproxyd/allowed.txt'
in_c systemctl kill --kill-whom=main --signal=USR2 mmproxyd
for _ in $(seq 100); do
	in_c journalctl -b --no-pager -o cat -u mmproxyd |
	    grep -q "upgrade failed" && break
	sleep 0.1
done
in_c journalctl -b --no-pager -o cat -u mmproxyd | grep "upgrade failed" ||
    fail "no failure line"
[ "$(prop mmproxyd MainPID)" = "$tcp2" ] || fail "MainPID changed"
[ "$(prop mmproxyd ActiveState)" = active ] || fail "not active"
in_c sh -c 'printf "127.0.0.0/8\n" >/etc/mmproxyd/allowed.txt'

echo "== reload and stop act on the new generation"
in_c systemctl reload mmproxyd || fail "reload"
for _ in $(seq 50); do
	in_c journalctl -b --no-pager -o cat "_PID=$tcp2" |
	    grep -q "SIGHUP: reloaded" && break
	sleep 0.1
done
in_c journalctl -b --no-pager -o cat "_PID=$tcp2" | grep "SIGHUP: reloaded" ||
    fail "pid $tcp2 did not reload"
in_c systemctl stop mmproxyd mmproxyd@udp || fail "stop"
for u in mmproxyd mmproxyd@udp; do
	res="$(prop "$u" ActiveState) $(prop "$u" Result)"
	[ "$res" = "inactive success" ] || fail "$u after stop: $res"
done
in_c ip rule | grep -c "lookup 123" >/dev/null && fail "routes left"

echo "== systemd notices when an upgraded main process dies"
in_c systemctl start mmproxyd || fail "start again"
p1=$(prop mmproxyd MainPID)
in_c systemctl kill --kill-whom=main --signal=USR2 mmproxyd
p2=$(new_main mmproxyd "$p1" 20)
[ "$p2" != "$p1" ] || fail "no upgrade after the restart"
for _ in $(seq 100); do in_c kill -0 "$p1" 2>/dev/null || break; sleep 0.1; done
in_c kill -KILL "$p2"
p3=$(new_main mmproxyd "$p2" 10)
for _ in $(seq 50); do
	[ "$(prop mmproxyd ActiveState)" = active ] && break
	sleep 0.1
done
echo "killed $p2; Restart= started $p3: $(prop mmproxyd ActiveState)"
[ "$p3" != "$p2" ] && [ "$(prop mmproxyd ActiveState)" = active ] ||
    fail "systemd did not notice that $p2 died"
in_c systemctl stop mmproxyd || fail "stop"
echo "== ok: $OLDV -> $NEWV in place under systemd" \
    "$(in_c systemctl --version | awk 'NR == 1 { print $2 }')"

echo "== without systemd: the SysV instances main and udp"
# A container that runs a script instead of booting: no systemd, so
# postinst upgrades through /etc/init.d/mmproxyd upgrade.
cat >"$D/share/sysv.sh" <<EOF
set -eu
ip link set lo up
dpkg -i /mnt/deploy/mmproxyd_$OLDV-1_amd64.deb >/tmp/dpkg1.log 2>&1 ||
    { cat /tmp/dpkg1.log; exit 1; }
/mnt/deploy/echo_backend -p 8080 >/dev/null &
sed -i 's|^MMPROXYD_OPTS=.*|MMPROXYD_OPTS="-l 127.0.0.1:443 -4 127.0.0.1:8080"|' \\
    /etc/default/mmproxyd
printf '%s\\n' 'MMPROXYD_OPTS="-p udp -l 127.0.0.1:53 -4 127.0.0.1:8080"' \\
    ROUTING_TABLE=123 >/etc/default/mmproxyd-udp
/etc/init.d/mmproxyd start main udp
echo "before: \$(cat /run/mmproxyd.pid) \$(cat /run/mmproxyd-udp.pid)"
python3 /mnt/deploy/churn_tool.py tcp --connect 127.0.0.1:443 --rate 300 \\
    --seconds 2 --long 10 --until-file /tmp/done >/tmp/tcp.json &
sleep 1
dpkg -i /mnt/deploy/mmproxyd_$NEWV-1_amd64.deb 2>&1 | grep -i upgrad || true
echo "after: \$(cat /run/mmproxyd.pid) \$(cat /run/mmproxyd-udp.pid)"
sleep 1
touch /tmp/done
wait \$!
echo "TCP: \$(cat /tmp/tcp.json)"
/etc/init.d/mmproxyd status main udp
echo "runs: \$(readlink /proc/\$(cat /run/mmproxyd.pid)/exe)"
/etc/init.d/mmproxyd stop main udp
EOF
nspawn_run "$D/share" /bin/sh /mnt/deploy/sysv.sh 2>&1 | tr -d '\r' \
    >"$D/sysv.out" || { cat "$D/sysv.out"; fail "SysV run"; }
cat "$D/sysv.out"
read -r _ b1 b2 <<<"$(grep '^before:' "$D/sysv.out")"
read -r _ a1 a2 <<<"$(grep '^after:' "$D/sysv.out")"
[ -n "$a1" ] && [ "$a1" != "$b1" ] && [ -n "$a2" ] && [ "$a2" != "$b2" ] ||
    fail "SysV instances not upgraded: $b1 $b2 -> $a1 $a2"
grep -q "mmproxyd is running (pid $a1)" "$D/sysv.out" &&
    grep -q "mmproxyd-udp is running (pid $a2)" "$D/sysv.out" ||
    fail "SysV status after the upgrade"
grep -q "^runs: /usr/sbin/mmproxyd$" "$D/sysv.out" || fail "SysV binary"
sed -n 's/^TCP: //p' "$D/sysv.out" >"$D/sysv-tcp.json"
python3 - "$D/sysv-tcp.json" <<'PY' || fail "load across the SysV upgrade"
import json, sys
t = json.load(open(sys.argv[1]))
bad = [k for k in ("refused", "reset", "cut", "timeout", "other", "corrupt")
       if t[k]]
if t["ok"] != t["opened"] or t["long"]["kept"] != 10 or bad:
    print("FAIL:", bad, t)
    sys.exit(1)
PY
echo "== ok: SysV instances upgraded in place by the package"
