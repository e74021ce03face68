#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# scripts_configured.sh -- scripts/demo and scripts/check build in a
# directory of their own, which configure refuses beside a tree configured
# in place. In a copy of the tree with a config.status, each must stop at
# once, say so and what to do, and build nothing. Root (scripts/demo
# insists on it).
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] ||
    { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
TOP_SRCDIR=$(cd "${TOP_SRCDIR:-.}" && pwd)
tmp=$(mktemp -d /tmp/mmpx-configured.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
(cd "$TOP_SRCDIR" && tar --exclude='./build*' --exclude=./.git \
    --exclude=./bench/build --exclude=./config.status \
    --exclude=./autom4te.cache -cf - .) |
    tar -C "$tmp/src" -xf - || exit 99
# What ./configure run in place leaves behind, as far as configure cares.
echo "#! /bin/sh" >"$tmp/src/config.status"

fail=0
for s in demo check; do
	t0=$(date +%s)
	env -u MMPROXYD timeout 60 sh "$tmp/src/scripts/$s" >"$tmp/$s.out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	if [ "$rc" = 1 ] &&
	    grep -q "configured in place.*make distclean" "$tmp/$s.out" &&
	    [ ! -e "$tmp/src/build-demo" ] && [ ! -e "$tmp/src/build" ] &&
	    [ ! -e "$tmp/src/autom4te.cache" ] && [ "$secs" -lt 30 ]; then
		echo "ok: scripts/$s stops at once: $(cat "$tmp/$s.out")"
	else
		echo "FAIL: scripts/$s: exit $rc after ${secs}s:"
		tail -n 5 "$tmp/$s.out"
		ls "$tmp/src" | grep -E '^build|autom4te'
		fail=1
	fi
done
exit $fail
