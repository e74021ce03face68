#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_mark.sh -- -mark 77: every datagram a flow sends to the backend
# (spoofed or LOCAL) carries fwmark 77, as an nftables counter sees it.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_mark
mm_need nft
mm_netns NS umark

nsx "$NS" nft -f - <<'NFT' || mm_skip "nftables does not work here"
table inet mmpx {
	counter marked { }
	counter unmarked { }
	chain out {
		type filter hook output priority 0;
		udp dport 9000 meta mark 77 counter name marked
		udp dport 9000 meta mark != 77 counter name unmarked
	}
}
NFT
packets() {
	nsx "$NS" nft list counter inet mmpx "$1" |
	    sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000 '[::1]:9000'
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -6 '[::1]:9000' -mark 77
D=$MM_PID

res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 192.0.2.1:5001 --count 3) ||
    mm_fail "IPv4 client: $res"
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src '[2001:db8::1]:5002' \
    --dst '[2001:db8::2]:53' --count 2) || mm_fail "IPv6 client: $res"
res=$(udp_send "$NS" --to 127.0.0.1:8443 --kind local) ||
    mm_fail "LOCAL: $res"
assert_eq "marked datagrams to the backend" 6 "$(packets marked)"
assert_eq "unmarked datagrams to the backend" 0 "$(packets unmarked)"

mm_stop "$D"
assert_eq "daemon exit status" 0 "$MM_RC"
mm_finish
