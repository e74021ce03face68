#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_allow.sh -- -allowed-subnets: the datagram's sender (the load
# balancer, not the client in the header) must be listed. Others are
# dropped unanswered and counted; SIGHUP swaps the list while serving.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_allow
mm_netns NS uallow

A="$MM_TMP/allowed"
printf '# the trusted balancer\n127.0.0.2/32\n::1\n' >"$A"

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -allowed-subnets "$A" \
    -v 1
D=$MM_PID
L=$MM_LOG

# The client in the header is 127.0.0.2 for the denied one: only the
# sender's address counts.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --bind 127.0.0.1:0 \
    --src 127.0.0.2:5001 --expect none --timeout 0.5) ||
    mm_fail "sender 127.0.0.1 was answered: $res"
res=$(udp_send "$NS" --to 127.0.0.1:8443 --bind 127.0.0.2:0 \
    --src 192.0.2.2:5002) || mm_fail "sender 127.0.0.2 denied: $res"
assert_eq "backend saw the denied sender's client" 0 \
    "$(udp_peer_count "$B" 127.0.0.2:5001)"
assert_eq "backend saw the allowed sender's client" 1 \
    "$(udp_peer_count "$B" 192.0.2.2:5002)"
grep -q 'denied 1 datagram(s) from outside the allow-list, last from 127\.0\.0\.1' "$L" ||
    mm_fail "no line about the denied datagram"

# SIGHUP: now only 127.0.0.1 may send.
printf '127.0.0.1\n' >"$A"
kill -HUP "$D"
sleep 0.5
res=$(udp_send "$NS" --to 127.0.0.1:8443 --bind 127.0.0.1:0 \
    --src 192.0.2.3:5003) || mm_fail "127.0.0.1 denied after reload: $res"
res=$(udp_send "$NS" --to 127.0.0.1:8443 --bind 127.0.0.2:0 \
    --src 192.0.2.4:5004 --expect none --timeout 0.5) ||
    mm_fail "127.0.0.2 answered after reload: $res"
assert_eq "backend saw 192.0.2.4" 0 "$(udp_peer_count "$B" 192.0.2.4:5004)"
mm_alive "$D" mmproxyd

mm_stop "$D"
assert_eq "daemon exit status" 0 "$MM_RC"
mm_finish
