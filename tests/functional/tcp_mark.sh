#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_mark.sh -- -mark 0x2a sets SO_MARK on backend connections: an nftables
# counter on "meta mark 0x2a" in the output hook counts packets after one
# connection, and stays at 0 for a daemon without -mark.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_mark
mm_need nft
mm_netns NS mark

nsx "$NS" nft -f - <<'NFT' || mm_skip "nftables rules cannot be loaded"
table inet mmpxtest {
	chain out {
		type filter hook output priority 0; policy accept;
		meta mark 0x2a counter
	}
}
NFT
packets() {
	nsx "$NS" nft list chain inet mmpxtest out |
	    sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
mm_backend "$NS" '[::1]:9001' echo "$MM_TMP/backend6.log"
mm_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9001 -6 '[::1]:9001'
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v1 \
    --src 198.51.100.7:49001 --mode echo) || mm_fail "unmarked: $res"
assert_eq "marked packets without -mark" 0 "$(packets)"

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' \
    -mark 0x2a
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:49002 --mode echo) || mm_fail "IPv4: $res"
p4=$(packets)
assert_ge "marked packets after one IPv4 connection" 1 "$p4"
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 \
    --src '[2001:db8::7]:49003' --dst '[2001:db8::1]:443' --mode echo) ||
    mm_fail "IPv6: $res"
assert_ge "marked packets after one IPv6 connection" $((p4 + 1)) \
    "$(packets)"
mm_finish
