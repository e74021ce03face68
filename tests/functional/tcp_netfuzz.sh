#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_netfuzz.sh -- random and mutated headers at a running daemon: it never
# dies, and no byte of a connection it rejected reaches the backend.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_netfuzz
mm_netns NS fuzz
SINK="$MM_TMP/sink.log"
: >"$SINK"
mm_bg "$NS" "$MM_TMP/sink.err" "$PYTHON" "$ST" sink --listen 127.0.0.1:9001 \
    --log "$SINK"
mm_wait_listen "$NS" 9001 1 10 "$MM_LASTPID" || exit 99
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -header-timeout 3 -v 2
D=$MM_PID
COUNT=${NETFUZZ_COUNT:-1500}
stool 200 fuzz --connect 127.0.0.1:8443 --count "$COUNT" --seed "${NETFUZZ_SEED:-$$}" \
    --record "$MM_TMP/sent.jsonl" --timeout 6 --total-timeout 190 >/dev/null ||
    mm_fail "fuzz client failed"
mm_alive "$D" mmproxyd
sleep 1

"$PYTHON" - "$MM_TMP/sent.jsonl" "$SINK" "$MM_LOG" <<'PY' || mm_fail "a rejected connection reached the backend"
import json, re, sys
sent = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    sent[r["i"]] = r
rejected = set()
accepted = set()
for line in open(sys.argv[3]):
    m = re.search(r" 127\.0\.0\.1:(\d+): (bad PROXY header|closed before|no complete)", line)
    if m:
        rejected.add(int(m.group(1)))
    m = re.search(r" via 127\.0\.0\.1:(\d+) -> .*connected$", line)
    if m:
        accepted.add(int(m.group(1)))
bad = 0
marks = 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    i = int(r["mark"].split("-")[1])
    marks += 1
    lport = sent[i]["lport"]
    if lport in rejected or lport not in accepted:
        print("marker %d (lb port %d) reached the backend but the daemon "
              "did not accept it; header %s" % (i, lport, sent[i]["hdr"]))
        bad += 1
print("sent %d, rejected %d, accepted %d, markers at backend %d"
      % (len(sent), len(rejected), len(accepted), marks), file=sys.stderr)
# Both kinds must occur, or the check proves nothing.
if not rejected or not marks:
    print("fuzz run too one-sided to check anything")
    sys.exit(1)
sys.exit(1 if bad else 0)
PY
# Still serving normally: a good header's marker gets through.
timeout 10 ip netns exec "$NS" "$PYTHON" -c '
import socket
s = socket.create_connection(("127.0.0.1", 8443), 5)
s.sendall(b"PROXY TCP4 198.51.100.9 192.0.2.1 5555 443\r\nMARK-999999\n")
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
s.recv(1)
' || mm_fail "good connection after the fuzz failed"
mm_wait_until 5 grep -q '"MARK-999999"' "$SINK" ||
    mm_fail "good connection after the fuzz did not reach the backend"
mm_alive "$D" mmproxyd
mm_finish
