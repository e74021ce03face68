#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# checkmode.sh -- mmproxyd -t checks without serving: a good configuration
# (both list files, a port range, UDP) exits 0 with one OK line and leaves
# nothing bound; a broken or missing allow-list file, a bad address, an
# address that is not this host's, ranges of unequal length, an unknown
# -user, and missing CAP_NET_ADMIN or CAP_NET_BIND_SERVICE each exit 2
# naming the problem. The ports of a running instance pass, and checks
# run against it take none of its connections or datagrams. A start that
# fails on a configuration problem exits 2 too, which systemd does not
# retry.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init checkmode
mm_netns NS check
printf '%s\n' '# load balancers' 127.0.0.0/8 ::1/128 >"$MM_TMP/allowed"
printf '%s\n' 127.0.0.1/32 >"$MM_TMP/dest"
printf '%s\n' 127.0.0.0/8 300.0.0.0/8 >"$MM_TMP/broken"

# t WANT_RC PATTERN ARGS...: mmproxyd -t ARGS in NS, under the command in
# RUNAS when that is set, must exit WANT_RC and print PATTERN (a fixed
# string) on stdout or stderr.
RUNAS=()
t() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$(timeout -k 2 20 ip netns exec "$NS" "${RUNAS[@]}" "$MMPROXYD" \
	    -t "$@" 2>&1)
	rc=$?
	assert_eq "exit status of -t $*" "$want" "$rc"
	printf '%s\n' "$out" | grep -q -F -- "$pat" ||
	    mm_fail "-t $*: no \"$pat\" in: $out"
}

t 0 "mmproxyd: configuration OK: tcp on 11 ports, -allowed-subnets 2 subnets, -dynamic-destination-allow 1 subnet" \
    -l 127.0.0.1:20000-20010 -allowed-subnets "$MM_TMP/allowed" \
    -dynamic-destination -dynamic-destination-allow "$MM_TMP/dest" \
    -metrics 127.0.0.1:9100
t 0 "mmproxyd: configuration OK: udp on 1 port" -p udp -l '[::]:5353'
assert_eq "nothing left bound" "" \
    "$(ip netns exec "$NS" ss -Htuan '( sport >= :5353 and sport <= :20010 )')"

t 2 "mmproxyd: -allowed-subnets $MM_TMP/broken:2: bad subnet \"300.0.0.0/8\"" \
    -l 127.0.0.1:8443 -allowed-subnets "$MM_TMP/broken"
t 2 "mmproxyd: -allowed-subnets $MM_TMP/none: No such file or directory" \
    -allowed-subnets "$MM_TMP/none"
t 2 "mmproxyd: -dynamic-destination-allow $MM_TMP/broken:2: bad subnet" \
    -dynamic-destination -dynamic-destination-allow "$MM_TMP/broken"
t 2 "mmproxyd: configuration check failed: 1 problem" \
    -allowed-subnets "$MM_TMP/broken"
t 2 "-l: " -l 300.1.2.3:8443
t 2 "mmproxyd: -l 203.0.113.9:8443: not an address of this host" \
    -l 203.0.113.9:8443
t 2 "mmproxyd: -metrics 203.0.113.9:9100: not an address of this host" \
    -metrics 203.0.113.9:9100
t 0 "configuration OK: tcp on 1 port" -l 203.0.113.9:8443 \
    -listen-transparent
t 2 "has 3 ports but -4 127.0.0.1:9000-9001 has 2" \
    -l 127.0.0.1:8000-8002 -4 127.0.0.1:9000-9001
t 2 "mmproxyd: -user no-such-user-here: no such user" \
    -user no-such-user-here
# Every problem is named, and counted.
t 2 "mmproxyd: configuration check failed: 3 problems" \
    -l 203.0.113.9:8443 -allowed-subnets "$MM_TMP/none" -user no-such-user-here

# Capabilities: none at all as nobody; root without CAP_NET_BIND_SERVICE.
if getent passwd nobody >/dev/null; then
	NOBODY=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)"
	    --clear-groups)
	RUNAS=("${NOBODY[@]}")
	t 2 "cannot set IP_TRANSPARENT: Operation not permitted; run mmproxyd as root or grant it CAP_NET_ADMIN" \
	    -l 127.0.0.1:8443
fi
NOBIND=(capsh --drop=cap_net_bind_service -- -c 'exec "$0" "$@"')
RUNAS=("${NOBIND[@]}")
t 2 "mmproxyd: -l 127.0.0.1:443: a port below 1024 needs CAP_NET_BIND_SERVICE" \
    -l 127.0.0.1:443
t 2 "mmproxyd: -metrics 127.0.0.1:99: a port below 1024 needs CAP_NET_BIND_SERVICE" \
    -metrics 127.0.0.1:99
t 0 "configuration OK" -l 127.0.0.1:8443
RUNAS=()

# A start fails on the same problems with exit 2: not worth a retry.
run_start() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$(timeout -k 2 20 ip netns exec "$NS" "$@" 2>&1)
	rc=$?
	assert_eq "exit status of the start $*" "$want" "$rc"
	printf '%s\n' "$out" | grep -q -F -- "$pat" ||
	    mm_fail "start $*: no \"$pat\" in: $out"
}
run_start 2 "mmproxyd: -user no-such-user-here: no such user" \
    "$MMPROXYD" -l 127.0.0.1:8443 -user no-such-user-here
run_start 2 "needs CAP_NET_BIND_SERVICE" "${NOBIND[@]}" "$MMPROXYD" \
    -l 127.0.0.1:443
[ -n "${NOBODY+x}" ] && run_start 2 "grant it CAP_NET_ADMIN" "${NOBODY[@]}" \
    "$MMPROXYD" -l 127.0.0.1:8443
# An address that is not ours yet may come (a VIP): 1, worth a retry.
run_start 1 "listen on 203.0.113.9:8443 (tcp)" "$MMPROXYD" \
    -l 203.0.113.9:8443

# A running instance: its ports pass, and -t takes none of its traffic.
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -metrics 127.0.0.1:9100
TCP=$MM_PID
udp_echo "$NS" "$MM_TMP/udp-backend.log" 127.0.0.1:9002
udp_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9002 -listeners 2
UDP=$MM_PID
t 0 "configuration OK: tcp on 1 port" -l 127.0.0.1:8443 \
    -4 127.0.0.1:9001 -metrics 127.0.0.1:9100
t 0 "configuration OK: udp on 1 port" -p udp -l 127.0.0.1:8444 \
    -4 127.0.0.1:9002 -listeners 2
# A port held by another program passes as well: -t cannot tell it from
# the running instance (mmproxyd(8)).
t 0 "configuration OK" -l 127.0.0.1:9001

# The check never joins the instance's SO_REUSEPORT group, so it can take
# none of its datagrams or connections: each of its binds is refused.
binds_refused() {
	local port=$1 out
	shift
	# LeakSanitizer cannot run under ptrace: an ASan build would fail.
	ip netns exec "$NS" env \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -qq -e trace=bind -o "$MM_TMP/strace" \
	    "$MMPROXYD" -t "$@" >/dev/null 2>&1 || mm_fail "-t $* under strace"
	out=$(grep "htons($port)" "$MM_TMP/strace")
	[ -n "$out" ] || mm_fail "-t $*: no bind of port $port"
	printf '%s\n' "$out" | grep -v -q 'EADDRINUSE' &&
	    mm_fail "-t $*: a bind of port $port was not refused: $out"
}
if command -v strace >/dev/null 2>&1; then
	binds_refused 8444 -p udp -l 127.0.0.1:8444
	binds_refused 8443 -l 127.0.0.1:8443
	binds_refused 9100 -metrics 127.0.0.1:9100
else
	mm_log "no strace: the binds of -t are not looked at"
fi

checks() {
	local i
	for i in $(seq 20); do
		ip netns exec "$NS" "$MMPROXYD" -t -p udp -l 127.0.0.1:8444 \
		    >/dev/null 2>&1 || echo "udp check $i failed"
		ip netns exec "$NS" "$MMPROXYD" -t -l 127.0.0.1:8443 \
		    >/dev/null 2>&1 || echo "tcp check $i failed"
	done
}
checks >"$MM_TMP/checks.out" 2>&1 &
CHECKS=$!
res=$(udp_send "$NS" --to 127.0.0.1:8444 --src 198.51.100.1:20000 \
    --clients 200 --interval 0.005 --timeout 2) ||
    mm_fail "UDP datagrams during the checks: $res"
assert_json "UDP datagrams answered during the checks" "$res" echoed 200
res=$(mm_tool "$NS" 60 many --connect 127.0.0.1:8443 \
    --src 198.51.100.7:30000 --count 100 --parallel 4) ||
    mm_fail "TCP connections during the checks: $res"
assert_json "TCP connections during the checks" "$res" good 100
wait "$CHECKS"
assert_eq "every check passed" "" "$(cat "$MM_TMP/checks.out")"

for p in "$TCP" "$UDP"; do
	mm_alive "$p" mmproxyd
	mm_stop "$p" >/dev/null
	assert_eq "exit status of $p" 0 "$MM_RC"
done
mm_finish
