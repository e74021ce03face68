#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# cleanup_race.sh -- the EXIT traps of scripts/demo and debian/tests/
# netns-demo survive a kill that races a process's exit. Both run under
# set -e and kill what "ip netns pids" lists; a process that exits in
# between makes kill fail. A wrapper of ip adds such a process (a pid no
# process has) to that list: each script must still delete its namespace
# and keep its own exit status, 0. Both run against this build (MMPROXYD,
# scripts/mmproxyd-routing), in namespaces of their own. Root only.
set -u
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] ||
    { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
for t in ip ss python3; do
	command -v $t >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
TOP_SRCDIR=$(cd "${TOP_SRCDIR:-.}" && pwd)
MMPROXYD=${MMPROXYD:-$(pwd)/mmproxyd}
[ -x "$MMPROXYD" ] || { echo "no $MMPROXYD"; exit 99; }
IP=$(command -v ip)

tmp=$(mktemp -d /tmp/mmpx-race.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/state"
# pid_max is at most 4194304: this pid never belongs to a process, so kill
# fails with ESRCH, as when the process exits after ip listed it.
cat >"$tmp/bin/ip" <<WRAP
#!/bin/sh
if [ "\$1 \$2" = "netns pids" ]; then
	"$IP" "\$@"
	echo 999999999
	exit 0
fi
exec "$IP" "\$@"
WRAP
chmod +x "$tmp/bin/ip"

fail=0
# run NAME PATTERN CMD...: CMD must exit 0 and leave no namespace PATTERN.
run() {
	name=$1 pat=$2
	shift 2
	before=$("$IP" netns list | awk -v p="$pat" 'index($1, p) == 1' | wc -l)
	env PATH="$tmp/bin:$PATH" MMPROXYD_ROUTING_STATE="$tmp/state" \
	    AUTOPKGTEST_TMP="$tmp" "$@" >"$tmp/$name.log" 2>&1
	rc=$?
	left=$("$IP" netns list |
	    awk -v p="$pat" 'index($1, p) == 1 { print $1 }')
	if [ "$rc" = 0 ] && [ "$(echo "$left" | grep -c .)" -le "$before" ]
	then
		echo "ok: $name exits 0 and deletes its namespace"
	else
		echo "FAIL: $name: exit status $rc, namespaces left: $left"
		tail -n 20 "$tmp/$name.log"
		fail=1
	fi
	# A namespace left behind is ours to remove.
	for ns in $left; do
		case " $before_all " in
		*" $ns "*) ;;
		*) "$IP" netns del "$ns" ;;
		esac
	done
}
before_all=$("$IP" netns list | awk '{ print $1 }' | tr '\n' ' ')
run netns-demo mmpd-adt- env DAEMON="$MMPROXYD" \
    ROUTING="$TOP_SRCDIR/scripts/mmproxyd-routing" \
    sh "$TOP_SRCDIR/debian/tests/netns-demo"
run demo mmpd-demo- env MMPROXYD="$MMPROXYD" sh "$TOP_SRCDIR/scripts/demo"
exit $fail
