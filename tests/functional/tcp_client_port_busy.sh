#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_client_port_busy.sh -- two PROXY headers with the same client
# address and port, the second while the first one's four-tuple is
# still taken, without HAProxy. Each way the port can be taken:
#   - by our own connection, closing (its backend closed first), on
#     another listener: the second waits and gets the client's own port;
#     when the first stays past -client-port-wait, the second falls back
#     to a port the kernel picks;
#   - by our own connection, open: the second falls back at once;
#   - by our own connection in TIME_WAIT: taken over when TCP timestamps
#     are on, EADDRNOTAVAIL and a fallback when they are off;
#   - by another process's socket without SO_REUSEADDR: EADDRINUSE from
#     bind, and a fallback.
# The open-holder case runs over IPv6 too.
# -client-port-busy fail and wait turn the fallbacks into failures,
# fallback falls back without waiting; the fallback's line at -v 1 is
# rate-limited.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_client_port_busy
mm_netns NS portbusy
N=198.51.100

cat >"$MM_TMP/busy.py" <<'PY'
import json, socket, sys, time

def header(src):
    host, port = src.rsplit(":", 1)
    return ("PROXY TCP4 %s 192.0.2.1 %s 443\r\n" % (host, port)).encode()

def open_via(port, src):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(header(src))
    return s

def read_to_eof(s):
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data, "eof"
            data += d
    except OSError as e:
        return data, "error:%s" % e

if sys.argv[1] == "closing":
    # The first connection's backend greets and closes; we keep our
    # side open for DELAY seconds while the second one arrives.
    first, second, src, delay = sys.argv[2:6]
    a = open_via(int(first), src)
    g1, how1 = read_to_eof(a)
    b = open_via(int(second), src)
    time.sleep(float(delay))
    a.close()
    g2, how2 = read_to_eof(b)
    b.close()
    print(json.dumps({"first": len(g1), "how1": how1, "second": len(g2),
                      "how2": how2}))
elif sys.argv[1] == "hold":
    # Another process on the client's address and port.
    host, port = sys.argv[2].rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_IP, 19, 1)          # IP_TRANSPARENT
    s.bind((host, int(port)))
    open(sys.argv[3], "w").write("ready\n")
    time.sleep(300)
PY
busy() { timeout -k 2 20 ip netns exec "$NS" "$PYTHON" "$MM_TMP/busy.py" "$@"; }

BE="$MM_TMP/echo.log" BG="$MM_TMP/greet.log" BR="$MM_TMP/reply.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
mm_backend "$NS" 127.0.0.1:9002 greet-halfclose "$BG"
mm_backend "$NS" 127.0.0.1:9003 reply-after-eof "$BR"
BE6="$MM_TMP/echo6.log"
mm_backend "$NS" '[::1]:9001' echo "$BE6"
# 8444 and 8446 reach the same backend from two listeners.
mm_daemon "$NS" -l 127.0.0.1:8443 -l 127.0.0.1:8444 -l 127.0.0.1:8445 \
    -l 127.0.0.1:8446 -4 127.0.0.1:9001 -4 127.0.0.1:9002 \
    -4 127.0.0.1:9003 -4 127.0.0.1:9002 -6 '[::1]:9001' -v 1
D=$MM_PID DLOG=$MM_LOG

# seen LOG IP PORT: connections the backend saw from IP:PORT; others
# LOG IP PORT: from IP, but another port. Each case has an IP of its own.
seen() { logq "$1" --event accept --field peer | grep -c "^$2:$3\$"; }
others() { logq "$1" --event accept --field peer | grep "^$2:" |
    grep -vc ":$3\$"; }

# Open, ours: fall back at once.
mm_bg "$NS" "$MM_TMP/hold1.json" "$PYTHON" "$PP_TOOL" client \
    --connect 127.0.0.1:8443 --src $N.1:41001 --mode hold --timeout 300 \
    --ready-file "$MM_TMP/hold1.ready"
H1=$MM_LASTPID
mm_wait_until 10 test -s "$MM_TMP/hold1.ready" || mm_fail "hold1: no echo"
# Three of them at once: one line for all at -v 1.
for i in 1 2 3; do
	res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8443 \
	    --src $N.1:41001) || mm_fail "open holder: connection $i: $res"
done
assert_eq "open holder: backend saw the port once" 1 \
    "$(seen "$BE" $N.1 41001)"
assert_eq "open holder: and other ports" 3 "$(others "$BE" $N.1 41001)"

# The same over IPv6.
V6=2001:db8::7
mm_bg "$NS" "$MM_TMP/hold6.json" "$PYTHON" "$PP_TOOL" client \
    --connect 127.0.0.1:8443 --src "[$V6]:41007" --dst '[2001:db8::1]:443' \
    --mode hold --timeout 300 --ready-file "$MM_TMP/hold6.ready"
H6=$MM_LASTPID
mm_wait_until 10 test -s "$MM_TMP/hold6.ready" || mm_fail "hold6: no echo"
res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8443 --src "[$V6]:41007" \
    --dst '[2001:db8::1]:443') || mm_fail "IPv6 open holder: $res"
assert_eq "IPv6 open holder: backend saw the port once" 1 \
    "$(seen "$BE6" "\[$V6\]" 41007)"
assert_eq "IPv6 open holder: and another port" 1 \
    "$(others "$BE6" "\[$V6\]" 41007)"
kill "$H6" 2>/dev/null

# Closing, ours, on another listener, for longer than the wait (the
# default, 100ms): wait, then fall back.
res=$(busy closing 8444 8446 $N.3:41003 1)
assert_json "closing holder stays" "$res" second 4096
assert_eq "closing holder stays: its port once" 1 "$(seen "$BG" $N.3 41003)"
assert_eq "closing holder stays: and another port" 1 \
    "$(others "$BG" $N.3 41003)"

# TIME_WAIT, ours (we closed first): taken over with TCP timestamps.
for ts in 1 0; do
	port=$((41004 + ts))
	nsx "$NS" sysctl -qw net.ipv4.tcp_timestamps=$ts
	res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8445 \
	    --src $N.$((4 + ts)):$port --mode halfclose) ||
	    mm_fail "timestamps $ts: first connection: $res"
	mm_wait_test 5 "nsx '$NS' ss -Htan state time-wait \
	    'sport = :$port' | grep -q ." ||
	    mm_fail "timestamps $ts: no TIME_WAIT from port $port"
	res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8445 \
	    --src $N.$((4 + ts)):$port --mode halfclose) ||
	    mm_fail "timestamps $ts: second connection: $res"
done
nsx "$NS" sysctl -qw net.ipv4.tcp_timestamps=1
assert_eq "TIME_WAIT, timestamps on: the same port twice" 2 \
    "$(seen "$BR" $N.5 41005)"
assert_eq "TIME_WAIT, timestamps off: the port once" 1 \
    "$(seen "$BR" $N.4 41004)"
assert_eq "TIME_WAIT, timestamps off: and another port" 1 \
    "$(others "$BR" $N.4 41004)"

# Another process's socket: EADDRINUSE from bind, then a fallback.
mm_bg "$NS" "$MM_TMP/hold2.out" "$PYTHON" "$MM_TMP/busy.py" hold \
    $N.6:41006 "$MM_TMP/hold2.ready"
mm_wait_until 10 test -s "$MM_TMP/hold2.ready" || mm_fail "hold2 not up"
res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8443 --src $N.6:41006) ||
    mm_fail "other holder: connection: $res"
assert_eq "other holder: backend never saw the port" 0 \
    "$(seen "$BE" $N.6 41006)"
assert_eq "other holder: but another one" 1 "$(others "$BE" $N.6 41006)"

# fail: the old way, for the open holder and the other process alike.
# -v 2: both failures come within a second, and -v 1 would fold the
# second into the first one's "more like it suppressed".
mm_daemon "$NS" -l 127.0.0.1:8453 -4 127.0.0.1:9001 -v 2 \
    -client-port-busy fail
F=$MM_PID FLOG=$MM_LOG
mm_daemon "$NS" -l 127.0.0.1:8463-8464 -l 127.0.0.1:8465-8466 \
    -4 127.0.0.1:9002 -4 127.0.0.1:9001 -v 1 -client-port-busy wait \
    -client-port-wait 5s
W=$MM_PID WLOG=$MM_LOG
res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8453 --src $N.1:41001 \
    --mode expect-close) || mm_fail "fail, open holder: not closed: $res"
res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8453 --src $N.6:41006 \
    --mode expect-close) || mm_fail "fail, other holder: not closed: $res"
kill "$H1" 2>/dev/null
# wait: for ours, closing on another listener, and get the client's
# own port; but never for an open one, and never fall back.
res=$(busy closing 8463 8464 $N.12:41012 0.3)
assert_json "wait, closing holder let go" "$res" second 4096
assert_eq "wait, closing holder: the same port twice" 2 \
    "$(seen "$BG" $N.12 41012)"
mm_bg "$NS" "$MM_TMP/hold3.json" "$PYTHON" "$PP_TOOL" client \
    --connect 127.0.0.1:8465 --src $N.13:41013 --mode hold --timeout 300 \
    --ready-file "$MM_TMP/hold3.ready"
H3=$MM_LASTPID
mm_wait_until 10 test -s "$MM_TMP/hold3.ready" || mm_fail "hold3: no echo"
res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8466 --src $N.13:41013 \
    --mode expect-close) || mm_fail "wait, open holder: not closed: $res"
kill "$H3" 2>/dev/null
# fallback: at once, without a look at who holds the port.
mm_daemon "$NS" -l 127.0.0.1:8473-8474 -4 127.0.0.1:9002 -v 1 \
    -client-port-busy fallback
B=$MM_PID BLOG=$MM_LOG
res=$(busy closing 8473 8474 $N.14:41014 0.5)
assert_json "fallback, closing holder" "$res" second 4096
assert_eq "fallback: another port" 1 "$(others "$BG" $N.14 41014)"

for d in D F W B; do
	mm_stop "${!d}" >/dev/null
	assert_eq "daemon $d exit status" 0 "$MM_RC"
done
# counter LOG NAME: from the exit lines, summed over the listeners.
counter() {
	grep -o "exit: listener .*" "$1" | grep -o "$2 [0-9]*" |
	    awk '{ n += $NF } END { print n + 0 }'
}
assert_eq "default: waited" 0 "$(counter "$DLOG" "client port waited")"
assert_eq "default: fell back" 7 "$(counter "$DLOG" "client port fallback")"
assert_eq "default: failed" 0 "$(counter "$DLOG" "backend failed")"
assert_eq "default: one fallback line for the three" 1 \
    "$(grep -c "$N.1:41001 via .* connected from port" "$DLOG")"
grep -q "$N.1:41001 via .*: client port held by an open connection of" \
    "$DLOG" || mm_fail "default: no fallback line for the open holder"
assert_eq "fail: backend failed" 2 "$(counter "$FLOG" "backend failed")"
assert_eq "fail: client port failed" 2 \
    "$(counter "$FLOG" "client port failed")"
grep -q "$N.1:41001 via .*: connect: Cannot assign requested address" \
    "$FLOG" || mm_fail "fail: no EADDRNOTAVAIL for the open holder"
grep -q "$N.6:41006 via .*: backend socket: Address already in use" \
    "$FLOG" || mm_fail "fail: no EADDRINUSE for the other process"
assert_eq "wait: waited" 1 "$(counter "$WLOG" "client port waited")"
assert_eq "wait: client port failed" 1 \
    "$(counter "$WLOG" "client port failed")"
assert_eq "fallback: fell back" 1 "$(counter "$BLOG" "client port fallback")"
grep -q "$N.14:41014 via .*: client port in use, connected from port" \
    "$BLOG" || mm_fail "fallback: no fallback line"
mm_finish
