#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_halfclose.sh -- half-close in both directions. The client sends and
# shuts down its write side; the backend replies only after it has seen EOF,
# and the client gets that reply. The mirror: the backend greets and
# half-closes first; the client, having seen EOF, keeps sending 1 MiB, and
# the backend receives all of it.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_halfclose
mm_netns NS half

BR="$MM_TMP/reply.log"
BG="$MM_TMP/greet.log"
mm_backend "$NS" 127.0.0.1:9001 reply-after-eof "$BR"
mm_backend "$NS" '[::1]:9001' greet-halfclose "$BG" --bytes 65536
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D=$MM_PID

# Client half-closes first (IPv4 client -> reply-after-eof backend).
for hdr in v1 v2; do
	res=$(mm_client "$NS" 30 -- --connect 127.0.0.1:8443 --header $hdr \
	    --src "198.51.100.7:4400${hdr#v}" --mode halfclose --bytes 300000 \
	    --timeout 20) || mm_fail "client half-close ($hdr): $res"
done
# A half-close right after the header, with no payload at all.
res=$(mm_client "$NS" 30 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:44003 --mode halfclose --bytes 0 --timeout 20) ||
    mm_fail "client half-close with no payload: $res"

# Backend half-closes first (IPv6 client -> greet-halfclose backend).
for hdr in v1 v2; do
	src="[2001:db8::7]:4401${hdr#v}"
	res=$(mm_client "$NS" 30 -- --connect 127.0.0.1:8443 --header $hdr \
	    --src "$src" --dst '[2001:db8::1]:443' --mode recv-first \
	    --bytes 1048576 --timeout 20) ||
	    mm_fail "backend half-close ($hdr): $res"
	assert_json "greeting size ($hdr)" "$res" greeting_bytes 65536
	mm_wait_test 10 'test "$(logq "$BG" --event close --peer "$src")" = 1' ||
	    { mm_fail "backend never finished ($hdr)"; continue; }
	assert_eq "bytes after the backend's half-close ($hdr)" 1048576 \
	    "$(logq "$BG" --event close --peer "$src" --field rx_bytes)"
	assert_eq "sha256 after the backend's half-close ($hdr)" \
	    "$(printf '%s\n' "$res" | jget sent_sha256)" \
	    "$(logq "$BG" --event close --peer "$src" --field rx_sha256)"
	assert_eq "backend saw EOF ($hdr)" eof \
	    "$(logq "$BG" --event close --peer "$src" --field how)"
done

mm_alive "$D" daemon
mm_finish
