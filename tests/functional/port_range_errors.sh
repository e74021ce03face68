#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# port_range_errors.sh -- mistakes with -l ranges stop the start: a target
# range of another length, overlapping -l, more than 1,024 ports, an fd
# limit too low for the listening sockets, and a port of a range already
# taken (TCP and UDP), which names that port and leaves nothing bound.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init port_range_errors
mm_netns NS perr

# run WANT_RC PATTERN ARGS...: mmproxyd must exit WANT_RC, saying PATTERN.
run() {
	local want=$1 pat=$2 out rc
	shift 2
	case $1 in
	sh) out=$(timeout -k 2 20 ip netns exec "$NS" "$@" 2>&1) ;;
	*) out=$(timeout -k 2 20 ip netns exec "$NS" "$MMPROXYD" "$@" 2>&1) ;;
	esac
	rc=$?
	assert_eq "exit status of mmproxyd $*" "$want" "$rc"
	printf '%s\n' "$out" | grep -q -F -- "$pat" ||
	    mm_fail "mmproxyd $*: no \"$pat\" in: $out"
}

run 2 "-l 127.0.0.1:27015-27030 has 16 ports but -4 127.0.0.1:37015-37029 \
has 15: give a range as long, or a single port" \
    -l 127.0.0.1:27015-27030 -4 127.0.0.1:37015-37029
run 2 "-4 given 2 times for 3 -l" -l 127.0.0.1:1 -l 127.0.0.1:2 \
    -l 127.0.0.1:3 -4 127.0.0.1:1 -4 127.0.0.1:2
run 2 "-l 0.0.0.0:27015-27030 and -l 127.0.0.1:27020 overlap on port 27020" \
    -l 0.0.0.0:27015-27030 -l 127.0.0.1:27020
run 2 "-l [::]:80 and -l 127.0.0.1:80 overlap on port 80" \
    -l :80 -l 127.0.0.1:80
run 2 "-l: 1025 ports, more than the 1024" -l 127.0.0.1:20000-21024
run 2 "(-listen-transparent with -dynamic-destination)" -p udp \
    -l 127.0.0.1:20000-21024
run 2 "-l: \"127.0.0.1:30-20\": bad port range" -l 127.0.0.1:30-20
# 64 sockets need 8 to run at all + 64 + 2 fds: a limit of 70 is too low,
# and no retry raises it: exit 2, as for any configuration error.
run 2 "64 listening sockets need at least 74 file descriptors but the \
limit is 70" sh -c "ulimit -n 70 && exec \"$MMPROXYD\" \
-l 127.0.0.1:20000-20063 -4 127.0.0.1:9 -6 [::1]:9"

# A port in the middle of a range is taken: the start fails naming it,
# and the ports bound before it are closed again.
mm_backend "$NS" 127.0.0.1:27020 echo "$MM_TMP/taken.log"
run 1 "listen on 127.0.0.1:27020 (tcp): Address already in use" \
    -l 127.0.0.1:27015-27030 -4 127.0.0.1:9 -6 '[::1]:9'
assert_eq "TCP sockets left on 27015" 0 "$(mm_listen_count "$NS" 27015)"
# Held without SO_REUSEADDR, which would let two UDP sockets share it.
mm_bg "$NS" "$MM_TMP/hold.err" "$PYTHON" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 27022))
time.sleep(120)'
udp_wait_bound "$NS" 27022 127.0.0.1 || exit 99
run 1 "listen on 127.0.0.1:27022 (udp): Address already in use" \
    -p udp -l 127.0.0.1:27015-27030 -4 127.0.0.1:9 -6 '[::1]:9'
udp_bound "$NS" 27015 && mm_fail "a UDP socket is left on 27015"

mm_finish
