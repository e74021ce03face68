#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# privdrop.sh -- mmproxyd -user nobody: once listening, the daemon runs as
# nobody (all four uids and gids, nobody's groups only) with CAP_NET_ADMIN
# and CAP_NET_BIND_SERVICE alone as effective, permitted and bounding set,
# nothing inheritable or ambient, and no_new_privs; and it still spoofs, for
# IPv4 and IPv6 clients, also those with a source port below 1024. The
# relay threads, started after the drop, carry the same credentials; the
# -metrics thread has no capability at all. So does the generation that
# SIGUSR2 starts, as nobody.
# Started under capsh --drop=cap_net_bind_service (a bounding set without
# it), it keeps CAP_NET_ADMIN alone, says so, and spoofs clients with
# ports from 1024 up.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/upgrade_lib.sh"

mm_init privdrop
getent passwd nobody >/dev/null || mm_skip "no user nobody"
mm_need awk capsh
NUID=$(id -u nobody)
NGID=$(id -g nobody)
BOTH=0000000000001400	# CAP_NET_ADMIN (12), CAP_NET_BIND_SERVICE (10)
NET_ADMIN=0000000000001000
NONE=0000000000000000

# field STATUSFILE KEY: the values of one line, separated by single spaces.
field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }' "$1"
}

# check_status WHAT STATUSFILE CAPS [BOUNDING]: the credentials one task
# must have (the bounding set CAPS too unless given).
check_status() {
	local what=$1 f=$2 caps=$3 bnd=${4:-$3}
	assert_eq "$what Uid" "$NUID $NUID $NUID $NUID" "$(field "$f" Uid)"
	assert_eq "$what Gid" "$NGID $NGID $NGID $NGID" "$(field "$f" Gid)"
	assert_eq "$what Groups" "$(id -G nobody | tr ' ' '\n' | sort -n |
	    tr '\n' ' ')" "$(field "$f" Groups | tr ' ' '\n' | sort -n |
	    tr '\n' ' ')"
	assert_eq "$what CapEff" "$caps" "$(field "$f" CapEff)"
	assert_eq "$what CapPrm" "$caps" "$(field "$f" CapPrm)"
	assert_eq "$what CapBnd" "$bnd" "$(field "$f" CapBnd)"
	assert_eq "$what CapInh" $NONE "$(field "$f" CapInh)"
	assert_eq "$what CapAmb" $NONE "$(field "$f" CapAmb)"
	assert_eq "$what NoNewPrivs" 1 "$(field "$f" NoNewPrivs)"
}

mm_netns NS priv
B4="$MM_TMP/backend4.log"
B6="$MM_TMP/backend6.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$B4"
mm_backend "$NS" '[::1]:9001' echo "$B6"

# check_threads WHAT PID CAPS: threads made after the drop (acceptors,
# relays kept warm) inherited it; the -metrics thread, which parses what
# any client sends, keeps no capability at all.
check_threads() {
	local what=$1 pid=$2 caps=$3 t ntask=0 nmetrics=0
	for t in /proc/"$pid"/task/*; do
		[ -r "$t/status" ] || continue	# a relay that just left
		if [ "$(cat "$t/comm" 2>/dev/null)" = metrics ]; then
			cp "$t/status" "$MM_TMP/task.status" || continue
			check_status "$what metrics thread ${t##*/}" \
			    "$MM_TMP/task.status" $NONE "$caps"
			nmetrics=$((nmetrics + 1))
			continue
		fi
		cp "$t/status" "$MM_TMP/task.status" 2>/dev/null || continue
		check_status "$what thread ${t##*/}" "$MM_TMP/task.status" \
		    "$caps"
		ntask=$((ntask + 1))
	done
	assert_ge "$what threads checked" 2 "$ntask"
	assert_eq "$what metrics threads" 1 "$nmetrics"
}

# proxy WHAT LB HDR FAM SPORT: one echo client; fails unless the backend
# saw the header's client at SPORT with the bytes sent.
proxy() {
	local what=$1 lb=$2 hdr=$3 fam=$4 sport=$5 src dst blog res sha
	if [ "$fam" = 4 ]; then
		src="198.51.100.7:$sport" dst=192.0.2.1:443 blog=$B4
	else
		src="[2001:db8::7]:$sport" dst='[2001:db8::1]:443' blog=$B6
	fi
	what="$what: $hdr client $src"
	res=$(mm_client "$NS" 20 -- --connect "$lb" --header "$hdr" \
	    --src "$src" --dst "$dst" --mode echo --bytes 20000) ||
	    { mm_fail "$what: client: $res"; return 1; }
	sha=$(printf '%s\n' "$res" | jget sent_sha256)
	mm_wait_test 5 'test "$(logq "$blog" --event close \
	    --peer "$src")" = 1' ||
	    { mm_fail "$what: backend never saw $src"; return 1; }
	assert_eq "$what: bytes at backend" "$sha" \
	    "$(logq "$blog" --event close --peer "$src" --field rx_sha256)"
}

# As root with every capability.
PIDF="$MM_TMP/mmproxyd.pid"
mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' \
    -user nobody -v 2 -metrics 127.0.0.1:9100 -pidfile "$PIDF"
D=$MM_PID
# The port listens before privileges drop; "ready" is logged after.
mm_wait_until 5 grep -q "ready" "$MM_LOG" || mm_fail "no ready line"
check_status "main thread" "/proc/$D/status" $BOTH

# Spoofing needs CAP_NET_ADMIN at every connection: it must still work.
# v1 clients use ports below 1024: spoofing those needs CAP_NET_BIND_SERVICE.
port=1000
for hdr in v1 v2; do
	for fam in 4 6; do
		port=$((port + 1))
		sport=$port
		[ $hdr = v2 ] && sport=$((port + 41000))
		proxy "all capabilities" 127.0.0.1:8443 $hdr $fam $sport
	done
done
check_threads "all capabilities:" "$D" $BOTH
mm_alive "$D" "daemon"

# SIGUSR2: the new generation, executed by nobody, keeps the same two
# capabilities (ambient through execve, shed once it runs) and spoofs,
# below port 1024 too; it cannot switch users again, nor needs to.
kill -USR2 "$D"
D2=$(up_wait_new_pid "$PIDF" "$D" 20) ||
    mm_fail "no new generation under -user: $(grep upgrade "$MM_LOG")"
if [ -n "$D2" ]; then
	mm_wait_until 10 grep -q "took over from pid $D" "$MM_LOG" ||
	    mm_fail "the new generation did not take over"
	up_wait_exit "$D" 30
	assert_eq "old generation's exit status" 0 "$MM_RC"
	check_status "new generation" "/proc/$D2/status" $BOTH
	proxy "after SIGUSR2" 127.0.0.1:8443 v1 4 1010
	proxy "after SIGUSR2" 127.0.0.1:8443 v2 6 46000
	check_threads "after SIGUSR2:" "$D2" $BOTH
	up_stop "$D2" 10 || mm_fail "new generation did not stop"
fi

# Under a bounding set without CAP_NET_BIND_SERVICE (capsh drops it before
# exec, so the permitted set lacks it too): CAP_NET_ADMIN alone is kept.
cat >"$MM_TMP/nobind.sh" <<EOF
#!/bin/sh
exec capsh --drop=cap_net_bind_service -- -c 'exec "\$0" "\$@"' \
    "$MMPROXYD" "\$@"
EOF
chmod +x "$MM_TMP/nobind.sh"
MMPROXYD="$MM_TMP/nobind.sh" mm_daemon "$NS" -l 127.0.0.1:8444 \
    -4 127.0.0.1:9001 -6 '[::1]:9001' -user nobody -v 2 \
    -metrics 127.0.0.1:9101
D=$MM_PID
# Privileges drop after the listener is bound: wait for "ready", which
# comes after the drop.
mm_wait_until 5 grep -q "ready" "$MM_LOG" || mm_fail "no ready line"
check_status "without NET_BIND_SERVICE: main thread" "/proc/$D/status" \
    $NET_ADMIN
grep -q 'CAP_NET_BIND_SERVICE was not there to keep' "$MM_LOG" ||
    mm_fail "without NET_BIND_SERVICE: no warning about low ports"
port=2000
for hdr in v1 v2; do
	for fam in 4 6; do
		port=$((port + 1))
		proxy "without NET_BIND_SERVICE" 127.0.0.1:8444 $hdr $fam $port
	done
done
# The price, as the warning says: a port below 1024 cannot be bound.
mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --header v1 \
    --src 198.51.100.7:999 --dst 192.0.2.1:443 --mode echo --timeout 5 \
    >/dev/null
sleep 0.3
assert_eq "without NET_BIND_SERVICE: backend connections from port 999" 0 \
    "$(logq "$B4" --event accept --peer 198.51.100.7:999)"
check_threads "without NET_BIND_SERVICE:" "$D" $NET_ADMIN
mm_alive "$D" "daemon without NET_BIND_SERVICE"
mm_stop "$D"
assert_eq "without NET_BIND_SERVICE: exit status after SIGTERM" 0 "$MM_RC"
mm_finish
