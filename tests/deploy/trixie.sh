#!/bin/bash
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tests/deploy/trixie.sh -- the Debian package on Debian 13 (trixie).
#
# Debootstraps trixie into a temporary directory and runs scripts/package
# in it: the package is built with trixie's debhelper (units under
# /usr/lib/systemd/system there), checked by trixie's lintian, installed,
# tested by autopkgtest, its SysV script run, and purged without a trace.
# The chroot runs in a mount namespace of its own (its /proc, /sys, /dev,
# /run and the network namespaces the tests make vanish with it) and is
# deleted at the end, on failure too. Nothing is written to this tree.
#
# Root, debootstrap, and the Debian mirror of /etc/apt/sources.list* (or
# MIRROR=URL). About 10 minutes, most of it debootstrap and apt: run it
# before a release or when debian/ changes rather than on every CI run.
# TRIXIE_ROOT=DIR keeps the chroot in DIR (made on the first run, reused
# and kept afterwards; /src in it is replaced each time).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
t0=$(date +%s)
[ "$(id -u)" -eq 0 ] || { echo "trixie: run as root" >&2; exit 1; }
command -v debootstrap >/dev/null ||
    { echo "trixie: no debootstrap" >&2; exit 1; }

# The first Debian mirror this machine uses (deb822 or one-line format).
mirror() {
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null || :; } |
	    sed -n \
	    -e 's|^deb \(\[[^]]*\] \)\{0,1\}\(http[^ ]*/debian\)/* .*|\2|p' \
	    -e 's|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' | head -n 1
}
MIRROR=${MIRROR:-$(mirror)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

T=$(mktemp -d /tmp/mmpd-trixie.XXXXXX)
R=${TRIXIE_ROOT:-$T/root}
cleanup() {
	rc=$?
	set +e
	# The mounts lived in the namespace of the unshare below; anything
	# left there (a killed run) is unmounted here.
	grep -o " $R[^ ]*" /proc/mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	rm -rf "$T"
	echo "trixie test: $(( $(date +%s) - t0 )) s, exit $rc"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM
step() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

if [ ! -x "$R/usr/bin/apt-get" ]; then
	step "debootstrap trixie from $MIRROR"
	debootstrap --variant=minbase --include=ca-certificates trixie "$R" \
	    "$MIRROR" >"$T/debootstrap.log" 2>&1 ||
	    { tail -n 20 "$T/debootstrap.log"; exit 1; }
	echo "deb $MIRROR trixie main" >"$R/etc/apt/sources.list"
fi

step "the source tree into /src"
rm -rf "$R/src"
scripts/tree-copy "$R/src"

step "scripts/package in the chroot"
# policy-rc.d: nothing the packages install starts a service here.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
unshare --mount --propagation private sh -ec '
	R=$1
	# A mount point of its own: "ip netns exec" remounts / as a slave.
	mount --bind "$R" "$R"
	mount -t proc proc "$R/proc"
	mount -t sysfs sys "$R/sys"
	mount --rbind /dev "$R/dev"
	mount -t tmpfs run "$R/run"
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
	    sh -ec "apt-get update -qq && cd /src && scripts/package"
' sh "$R" 2>&1 | tee "$T/package.log" |
    grep -E '^(==|FAIL|units in|netns-demo|not-started|E:)' || :
grep -q '^== ok: built, lintian clean' "$T/package.log" ||
    { tail -n 40 "$T/package.log"; echo "FAIL: scripts/package on trixie";
    exit 1; }
grep -q '^units in /usr/lib/systemd/system$' "$T/package.log" ||
    { echo "FAIL: the units are not under /usr/lib/systemd/system"; exit 1; }
step "ok: built, lintian clean, autopkgtest passed and purged on" \
    "Debian $(cat "$R/etc/debian_version")"
