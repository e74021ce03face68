#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# routing_script.sh -- mmproxyd-routing in a namespace of its own: without
# CAP_NET_ADMIN it says once that it needs it (no RTNETLINK noise) and
# changes nothing; "up" says what it added; instances sharing a table keep
# the routes until the last one goes; routes that were there before "up"
# are never removed; parallel "up"s (instances starting together) all
# succeed. Needs root and setpriv (exit 77 otherwise).
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] || { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
for t in ip setpriv; do
	command -v $t >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
TOP_SRCDIR=${TOP_SRCDIR:-.}
R=$TOP_SRCDIR/scripts/mmproxyd-routing
NS=mmpd-rt-$$
tmp=$(mktemp -d)
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NS" || exit 99
ip -n "$NS" link set lo up

fail=0
check() {	# DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then echo "ok: $d"; else echo "FAIL: $d"; fail=1; fi
}
rt() {	# as root in the namespace
	ip netns exec "$NS" env MMPROXYD_ROUTING_STATE="$tmp/state" sh "$R" "$@"
}
rules() {
	{ ip -n "$NS" rule show; ip -n "$NS" -6 rule show; } |
	    grep -c "lookup $1\$"
}
up() { [ "$(rules "$1")" -ge 1 ] && rt status "$1" >/dev/null; }
down() { [ "$(rules "$1")" -eq 0 ]; }
is() { [ "$1" = "$2" ]; }
has() { grep -q -- "$2" "$1"; }
hasnt() { ! grep -q -- "$2" "$1"; }

# Unprivileged: one line saying why, exit 4, nothing changed.
ip netns exec "$NS" setpriv --reuid nobody --regid nogroup --clear-groups \
    env MMPROXYD_ROUTING_STATE="$tmp/nobody" sh "$R" up 150 \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
check "unprivileged up exits 4 (got $rc)" is "$rc" 4
check "it says it needs CAP_NET_ADMIN" has "$tmp/err" 'root or CAP_NET_ADMIN'
check "in one line" is "$(wc -l <"$tmp/err")" 1
check "without RTNETLINK noise" hasnt "$tmp/err" RTNETLINK
check "nothing added" down 150
ip netns exec "$NS" setpriv --reuid nobody --regid nogroup --clear-groups \
    sh "$R" down 150 2>"$tmp/err"
check "unprivileged down says so once" is "$(wc -l <"$tmp/err")" 1
cat "$tmp/err"

# Two instances share table 150.
rt up 150 mmproxyd >"$tmp/out"; rc=$?
cat "$tmp/out"
check "up returns 0 (got $rc)" is "$rc" 0
check "up says it added the IPv4 rule" has "$tmp/out" \
    'added rule from 127.0.0.1/8 iif lo'
check "up says it added the IPv4 route" has "$tmp/out" \
    'added route local 0.0.0.0/0'
check "routes are up" up 150
rt up 150 mmproxyd@udp >"$tmp/out"
check "a second up adds nothing" hasnt "$tmp/out" added
check "and names both users" has "$tmp/out" 'used by mmproxyd mmproxyd@udp'
check "one rule, not two" is "$(rules 150)" "$(rt status 150 |
    grep -c '^-[46]: up')"
rt down 150 mmproxyd >"$tmp/out"; rc=$?
cat "$tmp/out"
check "down of one returns 0 (got $rc)" is "$rc" 0
check "routes stay up for the other" up 150
check "down says why" has "$tmp/out" 'still used by mmproxyd@udp'
rt down 150 mmproxyd >/dev/null
check "a repeated down of the same one changes nothing" up 150
rt down 150 mmproxyd@udp >"$tmp/out"
cat "$tmp/out"
check "the last down removes them" down 150
check "and says so" has "$tmp/out" 'removed rule from 127.0.0.1/8'

# Routes set up by hand before are not the script's to remove.
ip -n "$NS" route add local 0.0.0.0/0 dev lo table 151
ip -n "$NS" rule add from 127.0.0.1/8 iif lo table 151
rt up 151 mmproxyd >"$tmp/out"
check "up finds the IPv4 routes there" has "$tmp/out" \
    '-4 rule from 127.0.0.1/8 iif lo was already there'
rt down 151 mmproxyd >"$tmp/out"
cat "$tmp/out"
check "down keeps routes it did not add" is "$(ip -n "$NS" rule show | grep -c "lookup 151$")" 1
check "and says so" has "$tmp/out" 'not added by mmproxyd-routing'

# Instances starting together.
i=0
while [ $i -lt 6 ]; do
	rt up 152 "inst$i" >"$tmp/par$i.out" 2>&1 &
	i=$((i + 1))
done
wait
i=0
while [ $i -lt 6 ]; do
	check "parallel up $i succeeded" hasnt "$tmp/par$i.out" 'File exists'
	i=$((i + 1))
done
check "one rule after parallel ups" is "$(rules 152)" "$(rt status 152 |
    grep -c '^-[46]: up')"
for i in 0 1 2 3 4 5; do rt down 152 "inst$i" >/dev/null; done
check "routes gone after every instance's down" down 152
exit $fail
