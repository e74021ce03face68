#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_header_variants.sh -- headers that are valid but unusual: v2 with
# every kind of TLV (ALPN, authority, unique id, SSL with sub-TLVs, cloud
# vendor TLVs) and a CRC; v2 headers far beyond 536 bytes up to the 65551
# maximum; IPv4-mapped IPv6 sources (to the -4 target, unmapped); upper case
# and zero-padded IPv6 groups; the longest v1 line; source port 0; and the
# UNSPEC fallbacks (v2 PROXY with family 0x00, 0x12, 0x22, 0x31, and LOCAL
# carrying addresses), which reach the backend from the daemon's address.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_header_variants
mm_netns NS variants

B4="$MM_TMP/backend4.log"
B6="$MM_TMP/backend6.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$B4"
mm_backend "$NS" '[::1]:9001' echo "$B6"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D=$MM_PID

# case NAME BACKEND_LOG PEER_IP PEER_PORT|- CLIENT_ARGS...: one echo
# connection; the backend's newest connection must come from PEER_IP
# (and PEER_PORT unless "-").
case_() {
	local name=$1 blog=$2 ip=$3 port=$4 before res
	shift 4
	before=$(logq "$blog" --event close)
	res=$(mm_client "$NS" 30 -- --connect 127.0.0.1:8443 --mode echo \
	    --timeout 20 "$@") || { mm_fail "$name: client: $res"; return; }
	mm_wait_test 5 'test "$(logq "$blog" --event close)" -gt "$before"' ||
	    { mm_fail "$name: $blog saw nothing (IPv4 backend's last peer:" \
	    "$(logq "$B4" --event close --field peer | tail -n 1)," \
	    "IPv6 backend's: $(logq "$B6" --event close --field peer |
	    tail -n 1))"; return; }
	assert_eq "$name: backend peer address" "$ip" \
	    "$(logq "$blog" --event close --field peer_ip | tail -n 1)"
	[ "$port" = - ] || assert_eq "$name: backend peer port" "$port" \
	    "$(logq "$blog" --event close --field peer_port | tail -n 1)"
}

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
ssl=07000000002100$(printf '%02x' 7)$(hex TLSv1.3)2200$(printf '%02x' 11)$(hex client.test)
case_ "v2 with every TLV kind and a CRC" "$B4" 198.51.100.7 52001 \
    --header v2 --src 198.51.100.7:52001 --crc \
    --tlv "0x01:$(hex h2)" --tlv "0x02:$(hex www.example.com)" \
    --tlv "0x05:$(printf 'ab%.0s' $(seq 128))" --tlv "0x20:$ssl" \
    --tlv "0xea:01$(hex vpce-08d2bf15fac5001c9)" --tlv 0xee:01deadbeef \
    --tlv 0xe0:0102030405060708 --tlv "0x30:$(hex netns0)" \
    --tlv 0xf0: --noop 600
case_ "v2 header of 4 KiB, split byte by byte" "$B6" 2001:db8::7 52002 \
    --header v2 --src '[2001:db8::7]:52002' --dst '[2001:db8::1]:443' \
    --crc --noop 4000 --split --delay 0
case_ "v2 header of 65551 bytes (the maximum)" "$B4" 198.51.100.7 52003 \
    --header v2 --src 198.51.100.7:52003 --noop 65520
case_ "v1 TCP6 with an IPv4-mapped source" "$B4" 198.51.100.7 52004 \
    --header 'text:PROXY TCP6 ::ffff:198.51.100.7 ::ffff:192.0.2.1 52004 443\r\n'
case_ "v2 INET6 with an IPv4-mapped source" "$B4" 198.51.100.7 52005 \
    --header v2 --src '[::ffff:198.51.100.7]:52005' \
    --dst '[::ffff:192.0.2.1]:443'
case_ "v1 TCP6 in upper case" "$B6" 2001:db8::7 52006 \
    --header 'text:PROXY TCP6 2001:DB8::7 2001:DB8::1 52006 443\r\n'
case_ "the longest v1 line (104 bytes)" "$B6" \
    2001:db8:ffff:ffff:ffff:ffff:ffff:7 65535 \
    --header 'text:PROXY TCP6 2001:0db8:ffff:ffff:ffff:ffff:ffff:0007 2001:0db8:ffff:ffff:ffff:ffff:ffff:0001 65535 65535\r\n'
case_ "v1 source port 0" "$B4" 198.51.100.7 - \
    --header 'text:PROXY TCP4 198.51.100.7 192.0.2.1 0 443\r\n'
case_ "v2 source port 0" "$B6" 2001:db8::7 - \
    --header v2 --src '[2001:db8::7]:0' --dst '[2001:db8::1]:443'
for fam in 0x00 0x12 0x22 0x31 0x32; do
	case $fam in
	0x22) s='[2001:db8::7]:52010' d='[2001:db8::1]:443' ;;
	0x3?) s=/run/client.sock:0 d=/run/server.sock:0 ;;
	*) s=198.51.100.7:52010 d=192.0.2.1:443 ;;
	esac
	# The policy (proxy-protocol.md section 5, rule 4): a TCP proxy
	# treats DGRAM (0x12, 0x22) and UNIX like UNSPEC, real endpoints.
	case_ "v2 PROXY with family $fam (UNSPEC fallback)" "$B4" \
	    127.0.0.1 - --header v2 --fam $fam --src "$s" --dst "$d"
done
case_ "v2 PROXY UNSPEC with a CRC TLV" "$B4" 127.0.0.1 - \
    --header v2 --fam 0x00 --crc --tlv "0x02:$(hex example.com)"
case_ "v2 LOCAL carrying IPv6 addresses and a CRC" "$B4" 127.0.0.1 - \
    --header v2 --v2-cmd 0 --src '[2001:db8::7]:52011' \
    --dst '[2001:db8::1]:443' --crc

assert_eq "IPv6 backend peers" "" \
    "$(logq "$B6" --event accept --field peer_ip | grep -v ^2001:db8:)"
mm_alive "$D" daemon
mm_finish
