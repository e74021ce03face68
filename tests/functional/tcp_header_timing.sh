#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_header_timing.sh -- headers that arrive one byte per segment are
# accepted (v1 and v2); a header that is complete is acted on without
# waiting for payload (server-speaks-first backend); clients that stall
# (nothing, half a v1 line, half a v2 header, a header dribbled one byte
# every 0.4 s) are closed after -header-timeout 3 while other clients are
# served meanwhile, and the backend never sees the stalled ones.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_header_timing
mm_netns NS timing

BE="$MM_TMP/echo.log"
BG="$MM_TMP/greet.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
mm_backend "$NS" '[::1]:9002' greet-halfclose "$BG" --bytes 100
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9002' \
    -header-timeout 3 -v 2
D=$MM_PID

# The stalled clients go first and wait up to 12 s for the daemon to close.
v2half=$(mm_tool "$NS" 10 header --header v2 --src 198.51.100.66:1 \
    --dst 192.0.2.1:443 | cut -c1-40)
declare -A STALL=(
	[silent]=none
	[halfv1]='text:PROXY TCP4 198.51'
	[halfv2]="hex:$v2half"
	[dribble]=v1
)
declare -A SPID
for k in "${!STALL[@]}"; do
	# dribble: a whole header, one byte every 0.4 s (20 s in all); the
	# timeout runs from accept, so it must not restart with each byte.
	extra=
	[ "$k" = dribble ] && extra="--split --delay 0.4"
	ip netns exec "$NS" "$PYTHON" "$PP_TOOL" client --connect 127.0.0.1:8443 \
	    --header "${STALL[$k]}" --mode expect-close --timeout 12 $extra \
	    >"$MM_TMP/stall-$k.json" 2>&1 &
	SPID[$k]=$!
	MM_PIDS+=("$!")
done
sleep 0.5

# Meanwhile: split headers, byte by byte, with payload after them.
t0=$(date +%s.%N)
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:42001 --split --delay 0.01 --mode echo) ||
    mm_fail "split v1 header: $res"
t1=$(date +%s.%N)

# That was served while the stalled clients still waited.
for k in "${!SPID[@]}"; do
	if ! kill -0 "${SPID[$k]}" 2>/dev/null; then
		mm_fail "stalled client $k was closed before $(awk -v a="$t0" \
		    -v b="$t1" 'BEGIN { print b - a }')s of other traffic ended"
	fi
done
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 --crc \
    --src 198.51.100.7:42002 --split --delay 0.01 --mode echo) ||
    mm_fail "split v2 header: $res"
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:42003 --mode echo) ||
    mm_fail "plain v1 header: $res"
# A complete header and no payload: the backend speaks first.
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src '[2001:db8::7]:42004' --dst '[2001:db8::1]:443' --split --delay 0.01 \
    --mode recv-first --bytes 1000) ||
    mm_fail "split header, server speaks first: $res"
assert_json "server-speaks-first greeting" "$res" greeting_bytes 100

for k in "${!SPID[@]}"; do
	wait "${SPID[$k]}"
	res=$(cat "$MM_TMP/stall-$k.json")
	assert_json "stalled client $k closed" "$res" ok True
	el=$(printf '%s\n' "$res" | jget elapsed)
	assert_ge "stalled client $k closed after (s)" 2.4 "$el"
	assert_lt "stalled client $k closed after (s)" 6.5 "$el"
done

mm_wait_test 5 'test "$(logq "$BE" --event close)" -ge 3'
assert_eq "echo backend accepts" 3 "$(logq "$BE" --event accept)"
assert_eq "echo backend peers" \
    "198.51.100.7 198.51.100.7 198.51.100.7" \
    "$(logq "$BE" --event accept --field peer_ip | sort | xargs)"
mm_wait_test 5 'test "$(logq "$BG" --event close)" -ge 1'
assert_eq "greet backend accepts" 1 "$(logq "$BG" --event accept)"
assert_eq "greet backend got the client's bytes after its half-close" 1000 \
    "$(logq "$BG" --event close --field rx_bytes)"
mm_alive "$D" daemon
mm_finish
