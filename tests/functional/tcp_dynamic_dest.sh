#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_dynamic_dest.sh -- with -dynamic-destination the header's destination
# is dialled (127.0.0.2:9002, [::1]:9003), not -4/-6; without it, -4/-6.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_dynamic_dest
mm_netns NS dyn

BD4="$MM_TMP/default4.log"
BD6="$MM_TMP/default6.log"
BX4="$MM_TMP/dyn4.log"
BX6="$MM_TMP/dyn6.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BD4"
mm_backend "$NS" '[::1]:9001' echo "$BD6"
mm_backend "$NS" 127.0.0.2:9002 echo "$BX4"
mm_backend "$NS" '[::1]:9003' echo "$BX6"

T="-4 127.0.0.1:9001 -6 [::1]:9001 -v 2"
mm_daemon "$NS" -l 127.0.0.1:8443 -dynamic-destination $T
mm_daemon "$NS" -l 127.0.0.1:8444 $T

n=48000
for hdr in v1 v2; do
	n=$((n + 1))
	res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header $hdr \
	    --src "198.51.100.7:$n" --dst 127.0.0.2:9002 --mode echo) ||
	    mm_fail "dynamic IPv4 $hdr: $res"
	mm_wait_test 5 'test "$(logq "$BX4" --event close \
	    --peer "198.51.100.7:$n")" = 1' ||
	    mm_fail "dynamic IPv4 $hdr: 127.0.0.2:9002 did not see the client"
	n=$((n + 1))
	res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header $hdr \
	    --src "[2001:db8::7]:$n" --dst '[::1]:9003' --mode echo) ||
	    mm_fail "dynamic IPv6 $hdr: $res"
	mm_wait_test 5 'test "$(logq "$BX6" --event close \
	    --peer "[2001:db8::7]:$n")" = 1' ||
	    mm_fail "dynamic IPv6 $hdr: [::1]:9003 did not see the client"
done
assert_eq "default IPv4 backend accepts with -dynamic-destination" 0 \
    "$(logq "$BD4" --event accept)"
assert_eq "default IPv6 backend accepts with -dynamic-destination" 0 \
    "$(logq "$BD6" --event accept)"

# Without the flag the same header goes to -4.
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v1 \
    --src 198.51.100.7:48100 --dst 127.0.0.2:9002 --mode echo) ||
    mm_fail "static: $res"
mm_wait_test 5 'test "$(logq "$BD4" --event close \
    --peer 198.51.100.7:48100)" = 1' ||
    mm_fail "without -dynamic-destination the -4 target was not used"
mm_finish
