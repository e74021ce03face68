#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_haproxy.sh -- interoperability with a real HAProxy. HAProxy listens on
# a veth address and forwards to mmproxyd with send-proxy (v1, TCP mode)
# and send-proxy-v2 (HTTP mode, with PROXY v2 health checks, which send
# LOCAL headers). A client in a second namespace makes HTTP requests; the
# HTTP backend behind mmproxyd sees, and answers with, the client's veth
# address, over IPv4 and IPv6.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_haproxy
mm_need haproxy
mm_netns SRV hasrv
mm_netns CLI hacli
mm_veth "$SRV" 169.254.78.1/24 "$CLI" 169.254.78.2/24 \
    2001:db8:1::1/64 2001:db8:1::2/64

cat >"$MM_TMP/haproxy.cfg" <<'CFG'
global
	maxconn 200
defaults
	timeout connect 5s
	timeout client 10s
	timeout server 10s
frontend tcp_v1
	mode tcp
	bind 169.254.78.1:8080
	bind [2001:db8:1::1]:8080
	default_backend mm_v1
backend mm_v1
	mode tcp
	server mm 127.0.0.1:8443 send-proxy
frontend http_v2
	mode http
	bind 169.254.78.1:8081
	bind [2001:db8:1::1]:8081
	default_backend mm_v2
backend mm_v2
	mode http
	server mm 127.0.0.1:8443 send-proxy-v2 check inter 500ms check-send-proxy
CFG
BE4="$MM_TMP/http4.log"
BE6="$MM_TMP/http6.log"
mm_backend "$SRV" 127.0.0.1:9080 http "$BE4"
mm_backend "$SRV" '[::1]:9080' http "$BE6"
mm_daemon "$SRV" -l 127.0.0.1:8443 -4 127.0.0.1:9080 -6 '[::1]:9080' -v 2
D=$MM_PID
mm_bg "$SRV" "$MM_TMP/haproxy.out" haproxy -db -f "$MM_TMP/haproxy.cfg"
MM_DAEMON_LOGS+=("$MM_TMP/haproxy.out")
mm_wait_listen "$SRV" 8081 2 10 "$MM_LASTPID" || {
	cat "$MM_TMP/haproxy.out" >&2
	exit 99
}

req='GET / HTTP/1.0\r\nHost: mmproxyd.test\r\n\r\n'
for fe in 169.254.78.1:8080 '[2001:db8:1::1]:8080' 169.254.78.1:8081 \
    '[2001:db8:1::1]:8081'; do
	case $fe in
	\[*) want=2001:db8:1::2 blog=$BE6 ;;
	*) want=169.254.78.2 blog=$BE4 ;;
	esac
	for i in 1 2 3; do
		res=$(mm_client "$CLI" 20 -- --connect "$fe" --header none \
		    --mode request --payload "$req" --timeout 10) ||
		    { mm_fail "GET via $fe: $res"; continue; }
		body=$(printf '%s\n' "$res" | jget reply |
		    awk 'NF { l = $0 } END { print l }')
		case $(printf '%s\n' "$res" | jget reply) in
		*"200 OK"*) ;;
		*) mm_fail "GET via $fe: no 200: $res" ;;
		esac
		assert_eq "GET via $fe: client address seen by the backend" \
		    "$want" "$body"
	done
	assert_ge "backend accepts from $want" 3 \
	    "$(logq "$blog" --event accept --field peer_ip | grep -cxF "$want")"
done

# Health checks with send-proxy-v2 send LOCAL headers: they reach the
# backend from the daemon's own address, and HAProxy keeps the server up.
sleep 1.2
assert_ge "health checks proxied as LOCAL" 1 \
    "$(logq "$BE4" --event accept --field peer_ip | grep -cxF 127.0.0.1)"
grep -q "Server mm_v2/mm is DOWN" "$MM_TMP/haproxy.out" &&
    mm_fail "HAProxy marked mmproxyd DOWN"
mm_alive "$D" daemon
mm_finish
