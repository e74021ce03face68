#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# dynamic_dest_allow.sh -- -dynamic-destination-allow bounds where a
# header may send mmproxyd, over TCP and UDP: a destination in the list is
# served, one outside is refused before anything is sent to it, counted,
# and logged at -v 1; SIGHUP re-reads the list. Without the list every
# destination is dialled, as in go-mmproxy, and a warning says so. The
# refusals show in the counters line and in -metrics.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init dynamic_dest_allow
mm_netns NS dda

BIN="$MM_TMP/inside.log"
BOUT="$MM_TMP/outside.log"
mm_backend "$NS" 127.0.0.2:9002 echo "$BIN"
mm_backend "$NS" 127.0.0.1:9001 echo "$BOUT"
# denied_metric PORT WANT: the scrape of -metrics on PORT counts the
# refused destinations as WANT says.
denied_metric() {
	timeout -k 2 10 ip netns exec "$NS" "$PYTHON" \
	    "$TOP_SRCDIR/tests/functional/http_tool.py" get \
	    --connect "127.0.0.1:$1" --out "$MM_TMP/scrape.txt" \
	    >/dev/null 2>&1 || mm_fail "scrape on $1"
	assert_eq "refused destinations in the metrics" \
	    "mmproxyd_destinations_denied_total{$2" \
	    "$(grep '^mmproxyd_destinations_denied_total{' "$MM_TMP/scrape.txt")"
}

DL="$MM_TMP/destinations.txt"
printf '# where headers may send us\n127.0.0.2/32\n::1/128\n' >"$DL"

# Unbounded: served, with a warning at startup.
mm_daemon "$NS" -l 127.0.0.1:8440 -dynamic-destination -v 1
grep -q 'without -dynamic-destination-allow: a header may send mmproxyd to any address' \
    "$MM_LOG" || mm_fail "no warning about an unbounded -dynamic-destination"
mm_client "$NS" 20 -- --connect 127.0.0.1:8440 --src 198.51.100.7:40001 \
    --dst 127.0.0.1:9001 --mode echo >/dev/null || mm_fail "unbounded"

mm_daemon "$NS" -l 127.0.0.1:8443 -dynamic-destination \
    -dynamic-destination-allow "$DL" -v 1 -metrics 127.0.0.1:9101
D=$MM_PID
L=$MM_LOG
grep -q 'a header may send' "$L" && mm_fail "warning despite the list"

res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 \
    --src 198.51.100.7:40002 --dst 127.0.0.2:9002 --mode echo) ||
    mm_fail "inside the list: $res"
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:40003 --dst 127.0.0.1:9001 --mode expect-close \
    --payload secret --timeout 8) || mm_fail "outside the list: $res"
assert_eq "connections to the outside backend" 1 \
    "$(logq "$BOUT" --event accept)"
grep -q '198\.51\.100\.7:40003 via 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:9001: destination not in -dynamic-destination-allow, closed' \
    "$L" || mm_fail "no -v 1 line for the refused destination"
kill -USR1 "$D"
mm_wait_until 5 grep -q 'counters:.*destination denied 1$' "$L" ||
    mm_fail "counters: $(grep 'counters:' "$L")"
denied_metric 9101 "listener=\"127.0.0.1:8443\",proto=\"tcp\"} 1"

# SIGHUP: now only 127.0.0.1 is allowed.
printf '127.0.0.1/32\n' >"$DL"
kill -HUP "$D"
mm_wait_until 5 grep -q "SIGHUP: reloaded $DL: 1 subnet" "$L" ||
    mm_fail "no reload line for the destination list"
mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --src 198.51.100.7:40004 \
    --dst 127.0.0.1:9001 --mode echo >/dev/null ||
    mm_fail "allowed after the reload"
mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --src 198.51.100.7:40005 \
    --dst 127.0.0.2:9002 --mode expect-close --payload x --timeout 8 \
    >/dev/null || mm_fail "refused after the reload"
assert_eq "connections inside the first list" 1 "$(logq "$BIN" --event accept)"
# An emptied file keeps the old list.
: >"$DL"
kill -HUP "$D"
mm_wait_until 5 grep -q 'keeping the old -dynamic-destination-allow list' \
    "$L" || mm_fail "an empty destination list was taken"

# UDP, the same file format.
printf '127.0.0.2/32\n' >"$DL"
B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000 127.0.0.2:9000
udp_daemon "$NS" -l 127.0.0.1:8445 -dynamic-destination \
    -dynamic-destination-allow "$DL" -v 1 -metrics 127.0.0.1:9100
DU=$MM_PID
LU=$MM_LOG
res=$(udp_send "$NS" --to 127.0.0.1:8445 --src 192.0.2.1:5001 \
    --dst 127.0.0.2:9000) || mm_fail "udp inside: $res"
res=$(udp_send "$NS" --to 127.0.0.1:8445 --src 192.0.2.2:5002 \
    --dst 127.0.0.1:9000 --expect none --timeout 0.5) ||
    mm_fail "udp outside answered: $res"
assert_eq "datagrams at 127.0.0.1:9000" 0 \
    "$(grep -c -F '"local": "127.0.0.1:9000"' "$B")"
grep -q 'denied 1 datagram(s) to destinations not in -dynamic-destination-allow, last 192\.0\.2\.2:5002 via 127\.0\.0\.1:[0-9]* -> 127\.0\.0\.1:9000' \
    "$LU" || mm_fail "no -v 1 line for the refused UDP destination"
mm_wait_listen "$NS" 9100 1 10 "$DU" || mm_fail "no metrics listener"
denied_metric 9100 "listener=\"127.0.0.1:8445\",proto=\"udp\"} 1"
mm_stop "$DU" >/dev/null
assert_eq "udp exit status" 0 "$MM_RC"
grep -q 'exit: .* 1 destination denied,' "$LU" ||
    mm_fail "udp counters: $(grep 'exit:' "$LU")"
mm_stop "$D" >/dev/null
assert_eq "tcp exit status" 0 "$MM_RC"
mm_finish
