#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_basic.sh -- v1 and v2 headers, IPv4 and IPv6 clients, behind IPv4 and
# IPv6 load balancers: the backend sees exactly the header's source address
# and port, the family picks -4 or -6, and the payload (sent in the same
# segment as the header, and containing a second PROXY header as data) comes
# back byte-exact. LOCAL and UNKNOWN headers reach the backend from the
# daemon's own address.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_basic
mm_netns NS basic

B4="$MM_TMP/backend4.log"
B6="$MM_TMP/backend6.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$B4"
mm_backend "$NS" '[::1]:9001' echo "$B6"

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D4=$MM_PID
mm_daemon "$NS" -l '[::1]:8444' -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D6=$MM_PID

port=41000
for lb in 127.0.0.1:8443 '[::1]:8444'; do
	for ver in v1 v2 v2crc; do
		for fam in 4 6; do
			port=$((port + 1))
			if [ $fam = 4 ]; then
				src="198.51.100.7:$port" dst=192.0.2.1:443
				peer=$src blog=$B4 target=127.0.0.1:9001
			else
				src="[2001:db8::7]:$port" dst='[2001:db8::1]:443'
				peer=$src blog=$B6 target='[::1]:9001'
			fi
			hdr=$ver extra=
			[ $ver = v2crc ] && { hdr=v2; extra=--crc; }
			what="lb $lb $ver client $src"
			res=$(mm_client "$NS" 20 -- --connect "$lb" \
			    --header "$hdr" $extra --src "$src" --dst "$dst" \
			    --mode echo --bytes 20000) ||
			    mm_fail "$what: client: $res"
			sha=$(printf '%s\n' "$res" | jget sent_sha256)
			mm_wait_test 5 'test "$(logq "$blog" --event close \
			    --peer "$peer")" = 1' ||
			    { mm_fail "$what: backend never saw $peer"; continue; }
			assert_eq "$what: backend local address" "$target" \
			    "$(logq "$blog" --event close --peer "$peer" \
			    --field local)"
			assert_eq "$what: bytes at backend" "$sha" \
			    "$(logq "$blog" --event close --peer "$peer" \
			    --field rx_sha256)"
		done
	done
done

# LOCAL (v2) and UNKNOWN (v1): proxied without spoofing, so the backend sees
# the daemon's own address; the family follows the load balancer's.
for lb in 127.0.0.1:8443 '[::1]:8444'; do
	case $lb in
	127*) blog=$B4 own=127.0.0.1 ;;
	*) blog=$B6 own=::1 ;;
	esac
	for hdr in v2-local 'text:PROXY UNKNOWN\r\n' \
	    'text:PROXY UNKNOWN ignored stuff 1 2\r\n'; do
		before=$(logq "$blog" --event close)
		res=$(mm_client "$NS" 20 -- --connect "$lb" --header "$hdr" \
		    --mode echo) || mm_fail "lb $lb $hdr: client: $res"
		mm_wait_test 5 'test "$(logq "$blog" --event close)" -gt \
		    "$before"' || { mm_fail "lb $lb $hdr: backend saw nothing"; continue; }
		got=$(logq "$blog" --event close --field peer_ip | tail -n 1)
		assert_eq "lb $lb $hdr: backend peer" "$own" "$got"
	done
done

# Nothing went to the wrong family's backend.
assert_eq "IPv4 backend peers" "" \
    "$(logq "$B4" --event accept --field peer_ip | grep -v -e '^198\.51\.100\.7$' -e '^127\.0\.0\.1$')"
assert_eq "IPv6 backend peers" "" \
    "$(logq "$B6" --event accept --field peer_ip | grep -v -e '^2001:db8::7$' -e '^::1$')"

mm_alive "$D4" "IPv4 daemon"
mm_alive "$D6" "IPv6 daemon"
mm_finish
