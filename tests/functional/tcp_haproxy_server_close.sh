#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_haproxy_server_close.sh -- HAProxy in HTTP mode with
# http-server-close and send-proxy-v2 in front of mmproxyd and nginx,
# loaded by wrk over 32 keep-alive connections. HAProxy opens a server
# connection per request, each with the PROXY header of the same client
# address and port, while mmproxyd's connection for the previous request
# may still be closing. With the default -client-port-busy not one
# request may fail; with -client-port-busy fail (mmproxyd before it had
# the option) some do, and mmproxyd counts them as backend failures.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_haproxy_server_close
mm_need haproxy nginx wrk
mm_netns SRV hscsrv
mm_netns CLI hsccli
mm_veth "$SRV" 169.254.79.1/24 "$CLI" 169.254.79.2/24
SECS=2

cat >"$MM_TMP/haproxy.cfg" <<'CFG'
global
	maxconn 400
defaults
	mode http
	timeout connect 5s
	timeout client 10s
	timeout server 10s
	option http-server-close
	http-reuse never
frontend fe
	bind 169.254.79.1:8080
	default_backend mm
backend mm
	server mm 127.0.0.1:8443 send-proxy-v2
CFG
cat >"$MM_TMP/nginx.conf" <<EOT
daemon off;
worker_processes 1;
pid $MM_TMP/nginx.pid;
error_log $MM_TMP/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:9080;
		location / { return 200 "ok\n"; }
	}
}
EOT
mm_bg "$SRV" "$MM_TMP/nginx.out" nginx -e "$MM_TMP/nginx-error.log" \
    -p "$MM_TMP" -c "$MM_TMP/nginx.conf"
MM_DAEMON_LOGS+=("$MM_TMP/nginx-error.log")
mm_wait_listen "$SRV" 9080 1 10 "$MM_LASTPID" || exit 99
mm_bg "$SRV" "$MM_TMP/haproxy.out" haproxy -db -f "$MM_TMP/haproxy.cfg"
MM_DAEMON_LOGS+=("$MM_TMP/haproxy.out")
mm_wait_listen "$SRV" 8080 1 10 "$MM_LASTPID" || exit 99

# One counter from the daemon's exit line, summed over its listeners.
counter() {
	grep -o "exit: listener .*" "$1" | grep -o "$2 [0-9]*" |
	    awk '{ n += $NF } END { print n + 0 }'
}

# load NAME ARGS...: mmproxyd with ARGS under wrk for SECS; sets FAILED
# (non-2xx answers and socket errors), REQS, and LOG (the daemon's).
load() {
	local name=$1 out
	shift
	mm_daemon "$SRV" -l 127.0.0.1:8443 -4 127.0.0.1:9080 -listeners 2 \
	    -v 1 "$@"
	LOG=$MM_LOG
	out="$MM_TMP/wrk-$name.txt"
	timeout -k 2 $((SECS + 10)) ip netns exec "$CLI" wrk -t1 -c32 \
	    -d${SECS}s http://169.254.79.1:8080/ >"$out" 2>&1 ||
	    mm_fail "$name: wrk failed: $(cat "$out")"
	mm_stop "$MM_PID" >/dev/null
	assert_eq "$name: mmproxyd exit status" 0 "$MM_RC"
	REQS=$(awk '/requests in/ { print $1 }' "$out")
	FAILED=$(awk '/Non-2xx/ { n += $NF }
	    /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
	    END { print n + 0 }' "$out")
	mm_log "$name: $REQS requests, $FAILED failed," \
	    "backend failed $(counter "$LOG" "backend failed")," \
	    "client port waited $(counter "$LOG" "client port waited")," \
	    "fallback $(counter "$LOG" "client port fallback")"
}

load default
assert_ge "default: requests made" 200 "$REQS"
assert_eq "default: failed requests" 0 "$FAILED"
assert_eq "default: backend failures" 0 "$(counter "$LOG" "backend failed")"
# The test means something only if ports were in fact reused.
assert_ge "default: client ports found taken" 1 \
    "$(( $(counter "$LOG" "client port waited") +
    $(counter "$LOG" "client port fallback") ))"

load fail -client-port-busy fail
assert_ge "fail: requests made" 200 "$REQS"
assert_ge "fail: failed requests" 1 "$FAILED"
assert_ge "fail: backend failures" 1 "$(counter "$LOG" "backend failed")"
assert_ge "fail: client port failures" 1 \
    "$(counter "$LOG" "client port failed")"
grep -q "connect: Cannot assign requested address" "$LOG" ||
    mm_fail "fail: no EADDRNOTAVAIL line at -v 1"
mm_finish
