#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_urgent.sh -- TCP urgent data does not end the stream: each side
# sends 256 KiB, one byte with MSG_OOB, then 256 KiB more, while reading
# the other's. Each receives every byte in order, the urgent byte inline
# in its place (as ordinary data: the urgent mark is not relayed), and
# the connection ends as it should, with both half-closes.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_urgent
mm_netns NS urgent
N=262144
B="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 urgent "$B" --bytes $N --conn-timeout 20
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -v 2
D=$MM_PID

# what_came GOT JSON PREFIX: how a stream compares with what was sent.
what_came() {
	case $1 in
	"$(printf '%s\n' "$2" | jget "${3}_sha256")") echo "all, urgent inline" ;;
	"$(printf '%s\n' "$2" | jget "${3}_sha256_no_urgent")")
		echo "all but the urgent byte" ;;
	*) echo "other bytes" ;;
	esac
}

for i in 1 2 3; do
	src="198.51.100.7:4400$i"
	res=$(mm_client "$NS" 30 -- --connect 127.0.0.1:8443 --header v2 \
	    --src "$src" --dst 192.0.2.1:443 --mode urgent --bytes $N \
	    --timeout 20) || mm_fail "client $i: $res"
	mm_wait_test 5 'test "$(logq "$B" --event close --peer "$src")" = 1' ||
	    { mm_fail "client $i: backend connection not closed"; continue; }
	bq() { logq "$B" --event close --peer "$src" --field "$1"; }
	assert_eq "client $i: client to backend" \
	    "all, urgent inline ($((2 * N + 1)) bytes)" \
	    "$(what_came "$(bq rx_sha256)" "$res" sent) ($(bq rx_bytes) bytes)"
	assert_eq "client $i: backend to client" \
	    "all, urgent inline ($((2 * N + 1)) bytes)" \
	    "$(what_came "$(printf '%s\n' "$res" | jget rx_sha256)" "$res" \
	    back) ($(printf '%s\n' "$res" | jget rx_bytes) bytes)"
	assert_eq "client $i: how the backend's stream ended" eof "$(bq how)"
	assert_json "client $i: how the client's stream ended" "$res" how eof
done
assert_eq "connections closed as eof" 3 "$(grep -c '(eof)$' "$MM_LOG")"
mm_alive "$D" daemon
mm_finish
