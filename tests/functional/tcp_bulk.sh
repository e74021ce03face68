#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_bulk.sh -- 64 MiB each way at the same time through one connection,
# sha256 checked at both ends, for an IPv4 and an IPv6 client; the -v 2
# summary line counts the same bytes.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_bulk
mm_netns NS bulk

N=$((64 * 1024 * 1024))
B4="$MM_TMP/backend4.log"
B6="$MM_TMP/backend6.log"
mm_backend "$NS" 127.0.0.1:9001 stream "$B4" --bytes $N
mm_backend "$NS" '[::1]:9001' stream "$B6" --bytes $N
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D=$MM_PID
DLOG=$MM_LOG

for src in 198.51.100.7:43001 '[2001:db8::7]:43002'; do
	case $src in
	\[*) blog=$B6 dst='[2001:db8::1]:443' hdr=v2 ;;
	*) blog=$B4 dst=192.0.2.1:443 hdr=v1 ;;
	esac
	res=$(mm_client "$NS" 120 -- --connect 127.0.0.1:8443 --header $hdr \
	    --src "$src" --dst "$dst" --mode stream --bytes $N --timeout 100) ||
	    mm_fail "$src: client: $res"
	mm_wait_test 10 'test "$(logq "$blog" --event close --peer "$src")" = 1' ||
	    { mm_fail "$src: backend never finished"; continue; }
	assert_eq "$src: client->backend bytes" $N \
	    "$(logq "$blog" --event close --peer "$src" --field rx_bytes)"
	assert_eq "$src: client->backend sha256" \
	    "$(printf '%s\n' "$res" | jget sent_sha256)" \
	    "$(logq "$blog" --event close --peer "$src" --field rx_sha256)"
	assert_eq "$src: backend->client bytes" $N \
	    "$(printf '%s\n' "$res" | jget rx_bytes)"
	assert_eq "$src: backend->client sha256" \
	    "$(logq "$blog" --event close --peer "$src" --field tx_sha256)" \
	    "$(printf '%s\n' "$res" | jget rx_sha256)"
	summary() {
		grep -F "$src via" "$DLOG" |
		    grep -F "closed after" |
		    grep -qF "$N bytes in, $N bytes out"
	}
	mm_wait_until 5 summary ||
	    mm_fail "$src: no summary line with $N bytes each way"
done

mm_alive "$D" daemon
mm_finish
