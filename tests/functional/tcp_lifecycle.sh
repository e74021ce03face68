#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_lifecycle.sh -- at -v 2 every connection ends with one summary line
# naming the client; at -v 0 the daemon is quiet per connection; SIGTERM
# exits 0, promptly when idle and within -shutdown-timeout when a
# connection is still open.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_lifecycle
mm_netns NS life

mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
mm_backend "$NS" '[::1]:9001' echo "$MM_TMP/backend6.log"

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D=$MM_PID
DLOG=$MM_LOG
srcs="198.51.100.7:50001 198.51.100.7:50002 [2001:db8::7]:50003"
for src in $srcs; do
	case $src in
	\[*) dst='[2001:db8::1]:443' ;;
	*) dst=192.0.2.1:443 ;;
	esac
	res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
	    --src "$src" --dst "$dst" --mode echo) || mm_fail "$src: $res"
done
# One connection that is refused by the parser is summarised too (as a
# failure), but it must not be counted as proxied.
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 \
    --header 'text:GARBAGE\r\n' --mode expect-close --timeout 8) ||
    mm_fail "garbage: $res"
sleep 0.3
for src in $srcs; do
	n=$(grep -F "$src" "$DLOG" | grep -c "closed after")
	assert_eq "summary lines for $src" 1 "$n"
done
assert_eq "summary lines in all" 3 "$(grep -c "closed after" "$DLOG")"
mm_stop "$D" 5 >/dev/null
assert_eq "daemon exit status on SIGTERM (idle)" 0 "$MM_RC"

# -v 0: no per-connection lines.
mm_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 0
D=$MM_PID
DLOG=$MM_LOG
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v1 \
    --src 198.51.100.7:50010 --mode echo) || mm_fail "-v 0: $res"
sleep 0.3
assert_eq "lines naming the client at -v 0" 0 \
    "$(grep -c -F 198.51.100.7:50010 "$DLOG")"
mm_stop "$D" 5 >/dev/null
assert_eq "daemon exit status on SIGTERM (-v 0)" 0 "$MM_RC"

# A connection still open: SIGTERM waits at most -shutdown-timeout.
mm_daemon "$NS" -l 127.0.0.1:8445 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2 \
    -shutdown-timeout 2
D=$MM_PID
ip netns exec "$NS" "$PYTHON" "$PP_TOOL" client --connect 127.0.0.1:8445 \
    --header v1 --src 198.51.100.7:50020 --mode expect-close --timeout 15 \
    >"$MM_TMP/open.json" 2>&1 &
OPEN=$!
MM_PIDS+=("$OPEN")
mm_wait_until 5 grep -q "198.51.100.7:50020.*connected" "$MM_LOG" ||
    mm_fail "the open connection was not proxied"
t0=$(date +%s.%N)
mm_stop "$D" 8 >/dev/null
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
assert_eq "daemon exit status on SIGTERM with a connection open" 0 "$MM_RC"
assert_lt "seconds to exit with -shutdown-timeout 2" 4.5 "$el"
wait "$OPEN"
assert_json "open client closed by the shutdown" "$(cat "$MM_TMP/open.json")" \
    ok True
mm_finish
