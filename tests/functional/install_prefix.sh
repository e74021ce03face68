#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# install_prefix.sh -- packaging check: configure --prefix=TMP, make
# install. Every installed file is under TMP (the systemd units too) and
# nothing named mmproxyd changed outside it; the allow-list that the
# defaults file names is installed and mmproxyd starts with it; the
# logrotate file passes logrotate -d and rotates; a second install keeps an
# edited allow-list; make uninstall leaves no file and no directory of ours.
# Configures a build of its own, so the source tree must not be configured
# in place (exit 77 then, as without a compiler).
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] || { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
TOP_SRCDIR=$(cd "${TOP_SRCDIR:-.}" && pwd)
[ -x "$TOP_SRCDIR/configure" ] || { echo "no $TOP_SRCDIR/configure"; exit 77; }
[ -f "$TOP_SRCDIR/config.status" ] &&
    { echo "source tree configured in place: cannot build beside it"; exit 77; }
command -v make >/dev/null 2>&1 || { echo "no make"; exit 77; }

tmp=$(mktemp -d /tmp/mmpx-install.XXXXXX) || exit 99
P=$tmp/prefix
NS=mmpd-inst-$$
cleanup() {
	[ -s "$tmp/d.pid" ] && kill "$(cat "$tmp/d.pid")" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
check() {	# DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

touch "$tmp/stamp"
sleep 1	# -newer compares whole seconds on some file systems
mkdir "$tmp/build"
(cd "$tmp/build" && "$TOP_SRCDIR/configure" -q --prefix="$P" &&
    make -s -j2 >/dev/null 2>&1 && make -s install >"$tmp/install.log" 2>&1) ||
    { cat "$tmp/install.log" 2>/dev/null; echo "FAIL: build/install"; exit 1; }

# Everything under the prefix, and these in particular.
for f in sbin/mmproxyd sbin/mmproxyd-routing etc/init.d/mmproxyd \
    etc/default/mmproxyd etc/logrotate.d/mmproxyd \
    etc/mmproxyd/allowed-subnets.txt etc/prometheus/rules/mmproxyd.yml \
    lib/systemd/system/mmproxyd.service \
    lib/systemd/system/mmproxyd@.service \
    share/man/man8/mmproxyd.8 share/doc/mmproxyd/README.md \
    share/doc/mmproxyd/examples/allowed-subnets.txt; do
	check "installed $f" test -f "$P/$f"
done
# systemd's unit directories by name (they may be mounts of their own),
# then a sweep of the usual places.
sysd=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
outside=$(find ${sysd:+"$sysd"} /lib/systemd/system /usr/lib/systemd/system \
    /etc/systemd/system /usr/local/lib/systemd/system -maxdepth 1 \
    -newer "$tmp/stamp" -name '*mmproxyd*' 2>/dev/null;
    find /etc /lib/ /usr /var /opt /srv -xdev -newer "$tmp/stamp" \
    -name '*mmproxyd*' 2>/dev/null)
check "nothing named mmproxyd changed outside the prefix: $outside" \
    test -z "$outside"
unit=$P/lib/systemd/system/mmproxyd.service
check "the unit runs the installed daemon" \
    grep -q "^ExecStart=$P/sbin/mmproxyd " "$unit"
check "the template reads defaults per instance" grep -q \
    "^EnvironmentFile=$P/etc/default/mmproxyd-%i\$" "${unit%.service}@.service"
if command -v systemd-analyze >/dev/null 2>&1; then
	for u in "$unit" "${unit%.service}@.service"; do
		MANPATH=$P/share/man systemd-analyze verify "$u" \
		    >"$tmp/verify.log" 2>&1
		check "systemd-analyze verify $(basename "$u") is clean" \
		    test ! -s "$tmp/verify.log"
		cat "$tmp/verify.log"
	done
fi

# The allow-list that the defaults file and the README name exists and
# lists subnets; the daemon starts with it.
list=$P/etc/mmproxyd/allowed-subnets.txt
check "the defaults file names the installed allow-list" \
    grep -q -- "-allowed-subnets $list" "$P/etc/default/mmproxyd"
check "README names the same path" grep -q \
    -- '-allowed-subnets /etc/mmproxyd/allowed-subnets.txt' \
    "$TOP_SRCDIR/README.md"
check "the allow-list lists 127.0.0.0/8" grep -qx '127.0.0.0/8' "$list"
if [ "$(id -u)" -eq 0 ] && ip netns add "$NS" 2>/dev/null; then
	ip -n "$NS" link set lo up
	ip netns exec "$NS" "$P/sbin/mmproxyd" -l 127.0.0.1:18444 \
	    -allowed-subnets "$list" >"$tmp/d.log" 2>&1 &
	echo $! >"$tmp/d.pid"
	listening() {
		ip netns exec "$NS" ss -Htln 'sport = :18444' | grep -q .
	}
	i=0
	until listening || [ $i -gt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	check "mmproxyd starts with the installed allow-list" listening
	cat "$tmp/d.log"
	kill "$(cat "$tmp/d.pid")"
	: >"$tmp/d.pid"
fi

if command -v logrotate >/dev/null 2>&1; then
	lr=$P/etc/logrotate.d/mmproxyd
	if logrotate -d -s "$tmp/lr.state" "$lr" >"$tmp/lr.log" 2>&1 &&
	    ! grep -qi 'error' "$tmp/lr.log"; then
		ok "logrotate -d accepts the logrotate file"
	else
		bad "logrotate -d: errors"
		cat "$tmp/lr.log"
	fi
	mkdir -p "$P/var/log"
	echo "old line" >"$P/var/log/mmproxyd.log"
	echo "old line" >"$P/var/log/mmproxyd-udp.log"
	logrotate -f -s "$tmp/lr.state" "$lr" >"$tmp/lr.log" 2>&1 ||
	    { bad "logrotate -f"; cat "$tmp/lr.log"; }
	for l in mmproxyd mmproxyd-udp; do
		check "$l.log rotated to $l.log.1" \
		    grep -q 'old line' "$P/var/log/$l.log.1"
		check "$l.log truncated in place" \
		    test -f "$P/var/log/$l.log" -a ! -s "$P/var/log/$l.log"
	done
	rm -rf "${P:?}/var"
else
	echo "no logrotate: its file is not checked"
fi

# An edited allow-list survives a reinstall.
echo "192.0.2.10/32" >>"$list"
(cd "$tmp/build" && make -s install >"$tmp/install.log" 2>&1) ||
    bad "second make install"
check "a second install keeps the edited allow-list" \
    grep -qx '192.0.2.10/32' "$list"
sed -i '/^192.0.2.10\/32$/d' "$list"

(cd "$tmp/build" && make -s uninstall >"$tmp/uninstall.log" 2>&1) ||
    { bad "make uninstall"; cat "$tmp/uninstall.log"; }
left=$(find "$P" -type f -o -type l)
check "make uninstall leaves no file: $left" test -z "$left"
left=$(find "$P" -name '*mmproxyd*')
check "make uninstall leaves no directory of ours: $left" test -z "$left"
exit $fail
