#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_log_flood.sh -- at -v 1 a flood of failing TCP connections costs a
# few log lines, not one each: denied and bad-header connections are
# logged at most once a second per kind, each line saying how many more
# it stands for, so the lines still account for every failure; the
# daemon serves meanwhile. With its stderr stalled (a pipe nobody reads)
# the acceptor does not wait on the log: an allowed client is still
# served, and the lines it skipped are counted in the next one.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_log_flood
mm_netns NS logflood
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
# Only 127.0.0.1 may connect; 127.0.0.9 is denied.
printf '127.0.0.1/32\n' >"$MM_TMP/allow"

# deny N: N connections from 127.0.0.9, each closed at once by us.
deny() {
	timeout -k 2 60 ip netns exec "$NS" "$PYTHON" -c '
import socket, sys
for i in range(int(sys.argv[1])):
    socket.create_connection(("127.0.0.1", 8443), 5,
                             ("127.0.0.9", 0)).close()
' "$1"
}
NCLIENT=0
allowed_served() {
	NCLIENT=$((NCLIENT + 1))
	mm_client "$NS" 10 -- --connect 127.0.0.1:8443 --header v1 --src "198.51.100.7:$((42000 + NCLIENT))" --mode echo \
	    --bytes 100 --timeout 5 >/dev/null
}
# accounted LOG PATTERN: the failures that LOG's lines matching PATTERN
# stand for (one each, plus the "N more like it suppressed").
accounted() {
	grep -- "$2" "$1" | awk '{
		n += 1
		if (match($0, /\(([0-9]+) more like it suppressed\)/))
			n += substr($0, RSTART + 1, RLENGTH - 1) + 0
	} END { print n + 0 }'
}

# 1. Floods of denied and of bad-header connections.
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -v 1 \
    -allowed-subnets "$MM_TMP/allow"
D=$MM_PID L=$MM_LOG
t0=$(date +%s.%N)
deny 400 || mm_fail "denied flood"
mm_tool "$NS" 60 garbage --connect 127.0.0.1:8443 --count 200 \
    >"$MM_TMP/garbage.json" || mm_fail "garbage flood: $(cat "$MM_TMP/garbage.json")"
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print int(b - a) + 1 }')
allowed_served || mm_fail "allowed client not served after the floods"
# One more of each, a second after the floods: due now, and standing
# for every failure since the last line.
sleep 1.1
deny 1
mm_tool "$NS" 10 garbage --connect 127.0.0.1:8443 --count 1 >/dev/null
mm_wait_test 5 'test "$(accounted "$L" "not in the allowed subnets")" -ge 401'
mm_wait_test 5 'test "$(accounted "$L" "bad PROXY header")" -ge 201'
nd=$(grep -c "not in the allowed subnets" "$L")
nb=$(grep -c "bad PROXY header" "$L")
mm_log "$nd denied lines, $nb bad-header lines for floods over ${secs}s"
# A line at the start of each second at most, and the final one.
assert_lt "denied lines for 401 denials" "$((secs + 3))" "$nd"
assert_lt "bad-header lines for 201 bad headers" "$((secs + 3))" "$nb"
assert_eq "denials the lines account for" 401 \
    "$(accounted "$L" "not in the allowed subnets")"
assert_eq "bad headers the lines account for" 201 \
    "$(accounted "$L" "bad PROXY header")"
grep -q "more like it suppressed" "$L" || mm_fail "no suppressed count"
allowed_served || mm_fail "allowed client not served at the end"
mm_stop "$D" >"$MM_TMP/rc"
assert_eq "exit status" 0 "$(cat "$MM_TMP/rc")"

# 2. stderr stalled: a pipe that nobody reads, filled up.
F="$MM_TMP/stderr.fifo"
mkfifo "$F"
exec 7<>"$F"		# keeps the pipe open; read only when we say
mm_bg "$NS" "$F" "$MMPROXYD" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -v 1 \
    -allowed-subnets "$MM_TMP/allow"
D=$MM_LASTPID
mm_wait_listen "$NS" 8443 1 10 "$D" || exit 1
drain() {
	"$PYTHON" -c '
import fcntl, os, sys
fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK)
while True:
    try:
        d = os.read(0, 65536)
    except BlockingIOError:
        break
    sys.stdout.buffer.write(d.replace(b"\0", b""))
' <&7 >>"$MM_TMP/stderr.log"
}
sleep 0.3		# the startup lines are in
drain
"$PYTHON" -c '
import fcntl, os
fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK)
try:
    while True:
        os.write(1, b"\0" * 4096)
except BlockingIOError:
    pass
' >&7
deny 50 || mm_fail "denied flood, stderr stalled"
allowed_served ||
    mm_fail "allowed client not served while stderr is stalled"
drain
sleep 1.1
deny 1
drained_has() { drain; grep -q -- "$1" "$MM_TMP/stderr.log"; }
mm_wait_until 5 drained_has "not in the allowed subnets" ||
    mm_fail "no denied line once stderr drains"
assert_eq "denials the line after the stall accounts for" 51 \
    "$(accounted "$MM_TMP/stderr.log" "not in the allowed subnets")"
mm_alive "$D" mmproxyd
kill -TERM "$D"
mm_wait_until 10 drained_has "stopped" || mm_fail "daemon did not stop"
mm_stop "$D" >"$MM_TMP/rc"
assert_eq "exit status (stderr stalled)" 0 "$(cat "$MM_TMP/rc")"
exec 7>&-
mm_finish
