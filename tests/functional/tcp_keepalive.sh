#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_keepalive.sh -- a peer that vanishes without a word (here: its
# namespace drops everything on its veth) does not hold a connection slot
# for ever. With -keepalive 2 a dead client and a dead backend are each let
# go within about 5 x 2 s, the close line says "client timed out" /
# "backend timed out", the "timed out" counter counts them, the client of
# the dead backend sees a reset, and a -max-conns 1 daemon serves a new
# connection afterwards. With -keepalive 0 the same dead backend keeps its
# connection: the control that shows the keepalive did it. A dead client
# that had half-closed, its backend still holding the reply, is let go as
# well, and that backend sees a reset.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_keepalive
mm_need nft
mm_netns NS ka
mm_netns P peer
mm_veth "$NS" 203.0.113.1/24 "$P" 203.0.113.2/24
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }

mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/local.log"
mm_backend "$P" 203.0.113.2:9002 echo "$MM_TMP/remote.log"

# D1: its client is in P. D2 and D3: their backend is in P.
mm_daemon "$NS" -l 0.0.0.0:8443 -4 127.0.0.1:9001 -keepalive 2 \
    -max-conns 1 -v 2
D1=$MM_PID L1=$MM_LOG
mm_daemon "$NS" -l 127.0.0.1:8444 -4 203.0.113.2:9002 -keepalive 2 \
    -max-conns 1 -v 2
D2=$MM_PID L2=$MM_LOG
mm_daemon "$NS" -l 127.0.0.1:8445 -4 203.0.113.2:9002 -keepalive 0 \
    -max-conns 1 -v 2
D3=$MM_PID L3=$MM_LOG
# D4: its client is in P and half-closes; its backend never replies.
mm_backend "$NS" 127.0.0.1:9003 drain-hold "$MM_TMP/hold.log" \
    --conn-timeout 60
mm_daemon "$NS" -l 0.0.0.0:8446 -4 127.0.0.1:9003 -keepalive 2 \
    -max-conns 1 -v 2
D4=$MM_PID L4=$MM_LOG

# One idle connection through each, echoed once so each leg is up.
mm_bg "$P" "$MM_TMP/c1.json" "$PYTHON" "$PP_TOOL" client \
    --connect 203.0.113.1:8443 --header v1 --src 198.51.100.7:41001 \
    --mode hold --timeout 60 --ready-file "$MM_TMP/r1"
mm_bg "$NS" "$MM_TMP/c2.json" "$PYTHON" "$PP_TOOL" client \
    --connect 127.0.0.1:8444 --header v2-local --mode hold --timeout 60 \
    --ready-file "$MM_TMP/r2"
C2=$MM_LASTPID
mm_bg "$NS" "$MM_TMP/c3.json" "$PYTHON" "$PP_TOOL" client \
    --connect 127.0.0.1:8445 --header v2-local --mode hold --timeout 60 \
    --ready-file "$MM_TMP/r3"
mm_bg "$P" "$MM_TMP/c4.json" "$PYTHON" "$PP_TOOL" client \
    --connect 203.0.113.1:8446 --header v1 --src 198.51.100.7:41004 \
    --mode halfclose --bytes 1000 --timeout 60
for r in r1 r2 r3; do
	mm_wait_until 10 test -s "$MM_TMP/$r" || mm_fail "$r: no echo"
done
mm_wait_until 10 grep -q '"event": "eof"' "$MM_TMP/hold.log" ||
    mm_fail "half-closed client: its end did not reach the backend"

# P goes silent: no RST, no ICMP, nothing.
nsx "$P" nft -f - <<'EOF' || mm_fail "nft blackhole"
table inet mmpx_bh {
	chain in {
		type filter hook input priority 0; policy accept;
		iifname "veth0" drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "veth0" drop
	}
}
EOF
t0=$(date +%s.%N)

# idle 2 s + 4 probes 2 s apart: about 10 s from the last packet.
mm_wait_until 30 grep -q "(client timed out)" "$L1" ||
    mm_fail "dead client: connection not closed as timed out in 30 s"
took=$(elapsed "$t0")
assert_ge "dead client let go after" 4 "$took"
assert_lt "dead client let go after" 20 "$took"
mm_wait_until 10 grep -q "(backend timed out)" "$L2" ||
    mm_fail "dead backend: connection not closed as timed out"
assert_lt "dead backend let go after" 20 "$(elapsed "$t0")"
mm_wait_until 10 grep -q "(client timed out)" "$L4" ||
    mm_fail "dead half-closed client: connection not closed as timed out"
assert_lt "dead half-closed client let go after" 20 "$(elapsed "$t0")"
mm_wait_until 5 grep -q '"event": "close"' "$MM_TMP/hold.log" ||
    mm_fail "dead half-closed client: its backend connection still open"
assert_eq "dead half-closed client: how its backend saw the end" reset \
    "$(logq "$MM_TMP/hold.log" --event close --field how)"

for d in "$D1:$L1:1, active 0," "$D2:$L2:1, active 0," \
    "$D3:$L3:0, active 1," "$D4:$L4:1, active 0,"; do
	IFS=: read -r pid log want <<<"$d"
	kill -USR1 "$pid"
	mm_wait_until 5 grep -q "counters: .* timed out $want" "$log" ||
	    mm_fail "daemon $pid: no 'timed out $want' counters line:" \
	    "$(grep counters "$log")"
done

# The client of the dead backend was told with a reset.
mm_wait_until 5 sh -c "! kill -0 $C2 2>/dev/null" ||
    mm_fail "client of the dead backend still connected"
assert_json "client of the dead backend" "$(cat "$MM_TMP/c2.json")" how reset

# P speaks again; the freed single slots serve new connections.
nsx "$P" nft delete table inet mmpx_bh
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:41002 --mode echo --timeout 10) ||
    mm_fail "-max-conns 1 daemon after a dead client: $res"
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v2-local \
    --mode echo --timeout 10) ||
    mm_fail "-max-conns 1 daemon after a dead backend: $res"
for pid in "$D1" "$D2" "$D3" "$D4"; do
	mm_alive "$pid" daemon
done
mm_finish
