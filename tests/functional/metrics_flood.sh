#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# metrics_flood.sh -- a connect flood on -metrics does not keep a scraper
# out. With 128 ports an answer (300 KB) takes a while to reach a scraper
# that reads it as one far away would; meanwhile clients connect as fast
# as they can and hold their connections, sending nothing or half a
# request line. Every scrape taken during the flood is answered whole
# (its body as long as its Content-Length).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init metrics_flood
mm_netns NS mflood
mm_netns CLI mfloodc
# The scraper comes over a real link (MTU 1500): the kernel sends an
# answer as the scraper acknowledges it, not at once as over loopback.
mm_veth "$NS" 169.254.77.1/24 "$CLI" 169.254.77.2/24
HT="$TOP_SRCDIR/tests/functional/http_tool.py"
ht() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$CLI" \
    "$PYTHON" "$HT" "$@"; }
M=169.254.77.1:9100

mm_daemon "$NS" -l 127.0.0.1:20000-20127 -4 127.0.0.1:9001 -metrics "$M" \
    -v 1
D=$MM_PID
# The metrics thread starts after the 128 acceptors.
mm_wait_until 20 grep -q ready "$MM_LOG" || mm_fail "no ready line"
res=$(ht 10 get --connect "$M" --out "$MM_TMP/scrape.txt") ||
    mm_fail "scrape before the flood: $res"
len=$(printf '%s\n' "$res" | jget len)
assert_ge "bytes in an answer for 128 ports" 100000 "$len"

src=1
for kind in idle partial; do
	src=$((src + 1))
	rm -f "$MM_TMP/ready"
	# From the daemon's own namespace, for a flood faster than a link;
	# each from an address of its own, which it runs out of ports of.
	timeout -k 2 30 ip netns exec "$NS" "$PYTHON" "$HT" flood \
	    --connect "$M" --secs 20 --threads 4 --hold 16 \
	    --bind 127.0.0.$src --ready-file "$MM_TMP/ready" \
	    --stop-file "$MM_TMP/stop-$kind" \
	    $([ $kind = partial ] && echo --partial) \
	    >"$MM_TMP/flood-$kind.json" 2>&1 &
	FLOOD=$!
	mm_wait_until 10 test -e "$MM_TMP/ready" || mm_fail "$kind flood"
	sleep 0.3
	res=$(ht 30 scrapes --connect "$M" --count 10 --timeout 5 \
	    --pause 0.002) ||
	    mm_fail "scrapes during a flood of $kind clients: $res"
	mm_log "scrapes during a flood of $kind clients: $res"
	touch "$MM_TMP/stop-$kind"
	wait $FLOOD
	# Many times the 8 slots: each newcomer took someone's place.
	assert_ge "connections of the $kind flood" 1000 \
	    "$(jget connects <"$MM_TMP/flood-$kind.json")"
done
# -v 1 says so, a line a second at most, with the count.
n=$(grep -c 'metrics: all 8 slots taken: dropped [0-9]* client(s)' "$MM_LOG")
assert_ge "lines about dropped clients" 1 "$n"
assert_lt "lines about dropped clients (rate-limited)" 15 "$n"
mm_alive "$D" daemon
mm_finish
