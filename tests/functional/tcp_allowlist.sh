#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_allowlist.sh -- -allowed-subnets is matched against the load balancer
# (the TCP peer: 127.0.0.1 or ::1), not the header's client. A list that
# holds neither denies: the connection closes and the backend gets nothing.
# A list that holds them allows, over IPv4 and IPv6. A file that lists no
# subnet (or none at all) stops the start with exit 2 and says why; one
# emptied later is refused by SIGHUP, which keeps the old list serving.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_allowlist
mm_netns NS allow

BE4="$MM_TMP/backend4.log"
BE6="$MM_TMP/backend6.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE4"
mm_backend "$NS" '[::1]:9001' echo "$BE6"

# The header's client (198.51.100.7, 2001:db8::7) is inside the deny file's
# lists on purpose: only the peer counts.
printf '192.0.2.0/24\n198.51.100.0/24\n2001:db8::/32\n' >"$MM_TMP/deny.txt"
printf '127.0.0.0/8\n::1/128\n' >"$MM_TMP/allow.txt"

T="-4 127.0.0.1:9001 -6 [::1]:9001 -v 2"
mm_daemon "$NS" -l 127.0.0.1:8443 -allowed-subnets "$MM_TMP/deny.txt" $T
mm_daemon "$NS" -l '[::1]:8443' -allowed-subnets "$MM_TMP/deny.txt" $T
mm_daemon "$NS" -l 127.0.0.1:8444 -allowed-subnets "$MM_TMP/allow.txt" $T
D_ALLOW4=$MM_PID
L_ALLOW4=$MM_LOG
mm_daemon "$NS" -l '[::1]:8444' -allowed-subnets "$MM_TMP/allow.txt" $T

n=47000
for lb in 127.0.0.1:8443 '[::1]:8443'; do
	for src in 198.51.100.7 '[2001:db8::7]'; do
		for hdr in v1 v2; do
			n=$((n + 1))
			case $src in
			\[*) dst='[2001:db8::1]:443' ;;
			*) dst=192.0.2.1:443 ;;
			esac
			res=$(mm_client "$NS" 20 -- --connect "$lb" \
			    --header $hdr --src "$src:$n" --dst "$dst" \
			    --mode expect-close --payload hello --timeout 8) ||
			    mm_fail "deny via $lb $hdr $src: $res"
			assert_lt "deny via $lb: seconds until closed" 3 \
			    "$(printf '%s\n' "$res" | jget elapsed)"
		done
	done
done
sleep 0.3
assert_eq "IPv4 backend accepts while denied" 0 "$(logq "$BE4" --event accept)"
assert_eq "IPv6 backend accepts while denied" 0 "$(logq "$BE6" --event accept)"

for lb in 127.0.0.1:8444 '[::1]:8444'; do
	for src in 198.51.100.7 '[2001:db8::7]'; do
		n=$((n + 1))
		case $src in
		\[*) dst='[2001:db8::1]:443' blog=$BE6 ;;
		*) dst=192.0.2.1:443 blog=$BE4 ;;
		esac
		res=$(mm_client "$NS" 20 -- --connect "$lb" --header v2 \
		    --src "$src:$n" --dst "$dst" --mode echo) ||
		    mm_fail "allow via $lb $src: $res"
		mm_wait_test 5 'test "$(logq "$blog" --event close \
		    --peer "$src:$n")" = 1' ||
		    mm_fail "allow via $lb $src: backend did not see $src:$n"
	done
done

# Comments only (a truncated file looks like this) or no file: no start.
printf '# the load balancers were here\n\n' >"$MM_TMP/empty.txt"
for f in empty.txt missing.txt; do
	case $f in
	empty.txt) why="lists no subnet, which would refuse every peer" ;;
	*) why="No such file or directory" ;;
	esac
	timeout -k 2 5 ip netns exec "$NS" "$MMPROXYD" -l 127.0.0.1:8445 $T \
	    -allowed-subnets "$MM_TMP/$f" >"$MM_TMP/start.out" 2>&1
	assert_eq "exit status with $f" 2 "$?"
	grep -qF "mmproxyd: -allowed-subnets $MM_TMP/$f: $why" \
	    "$MM_TMP/start.out" ||
	    mm_fail "$f: no message naming flag, file and reason: \
$(cat "$MM_TMP/start.out")"
done

# Emptied while serving: SIGHUP says why and the old list keeps serving.
: >"$MM_TMP/allow.txt"
kill -HUP "$D_ALLOW4"
mm_wait_until 5 grep -qF "SIGHUP: keeping the old allow-list: \
$MM_TMP/allow.txt: lists no subnet" "$L_ALLOW4" ||
    mm_fail "emptied file: no line saying the old list stays"
n=$((n + 1))
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v2 \
    --src "198.51.100.7:$n" --dst 192.0.2.1:443 --mode echo) ||
    mm_fail "allow after an emptied file: $res"
mm_wait_test 5 'test "$(logq "$BE4" --event close \
    --peer "198.51.100.7:$n")" = 1' ||
    mm_fail "allow after an emptied file: backend did not see it"
mm_alive "$D_ALLOW4" mmproxyd
mm_finish
