#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# selfcheck.sh -- the startup checks against real routing: in a namespace
# without the policy rules the return-route check reports them missing and
# advises the right commands, for IPv4 and IPv6, loopback and non-loopback
# backends; running exactly the advice makes the check pass; half the
# advice (route without rule, rule without route) is still missing; a
# backend on another host is not ours to check. IP_TRANSPARENT passes as
# root and, refused to an unprivileged user, names CAP_NET_ADMIN.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init selfcheck
PROBE=$TOP_BUILDDIR/tests/selfcheck_probe
[ -x "$PROBE" ] || { mm_log "ERROR: no $PROBE (make check builds it)"; exit 99; }

# mm_netns adds the rules; these namespaces must start without them.
bare_netns() {
	local var=$1 ns="mmpx-$$-$2"
	ip netns add "$ns" || { mm_log "ERROR: ip netns add $ns"; exit 99; }
	MM_NETNS+=("$ns")
	ip -n "$ns" link set lo up || exit 99
	# Local, but not loopback: the advice must name the address itself.
	ip -n "$ns" addr add 203.0.113.77/32 dev lo || exit 99
	ip -n "$ns" -6 addr add 2001:db8:77::5/128 dev lo nodad || exit 99
	printf -v "$var" '%s' "$ns"
}

# probe_is WHAT NS EXPECTED_STATUS EXPECTED_OUTPUT ARGS...: runs the probe
# with ARGS in NS, under the command in RUNAS when that is set.
RUNAS=()
probe_is() {
	local what=$1 ns=$2 want_rc=$3 want=$4 out rc
	shift 4
	out=$(timeout -k 2 10 ip netns exec "$ns" "${RUNAS[@]}" "$PROBE" "$@")
	rc=$?
	assert_eq "$what: output" "$want" "$out"
	assert_eq "$what: exit status" "$want_rc" "$rc"
}

# apply NS ADVICE: run each "; "-separated command of ADVICE in NS. A rule
# or route that is already there is fine: the advice names both.
apply() {
	local ns=$1 advice=$2 cmd err
	while [ -n "$advice" ]; do
		cmd=${advice%%; *}
		if [ "$cmd" = "$advice" ]; then advice=; else advice=${advice#*; }; fi
		case $cmd in
		"ip "*) ;;
		*) mm_fail "advice \"$cmd\" is not an ip command"; continue ;;
		esac
		err=$(ip -n "$ns" ${cmd#ip } 2>&1) || case $err in
		*"File exists"*) ;;
		*) mm_fail "advice \"$cmd\": $err" ;;
		esac
	done
}

A4="ip rule add from 127.0.0.1/8 iif lo table 123; ip route add local 0.0.0.0/0 dev lo table 123"
A6="ip -6 rule add from ::1/128 iif lo table 123; ip -6 route add local ::/0 dev lo table 123"
H4="ip rule add from 203.0.113.77/32 iif lo table 123; ip route add local 0.0.0.0/0 dev lo table 123"
H6="ip -6 rule add from 2001:db8:77::5/128 iif lo table 123; ip -6 route add local ::/0 dev lo table 123"

bare_netns NS bare
probe_is "IPv4 loopback without rules" "$NS" 1 "missing: $A4" \
    route 127.0.0.1:9001
probe_is "IPv4 loopback (127.0.0.2) without rules" "$NS" 1 "missing: $A4" \
    route 127.0.0.2:9001
probe_is "IPv6 loopback without rules" "$NS" 1 "missing: $A6" \
    route '[::1]:9001'
probe_is "IPv4 host address without rules" "$NS" 1 "missing: $H4" \
    route 203.0.113.77:9001
probe_is "IPv6 host address without rules" "$NS" 1 "missing: $H6" \
    route '[2001:db8:77::5]:9001'
probe_is "IPv4 backend on another host" "$NS" 0 ok route 203.0.113.9:9001
probe_is "IPv6 backend on another host" "$NS" 0 ok route '[2001:db8:99::9]:9001'

apply "$NS" "$A4"
apply "$NS" "$A6"
probe_is "IPv4 loopback after the advice" "$NS" 0 ok route 127.0.0.1:9001
probe_is "IPv4 loopback (127.0.0.2) after the advice" "$NS" 0 ok \
    route 127.0.0.2:9001
probe_is "IPv6 loopback after the advice" "$NS" 0 ok route '[::1]:9001'
probe_is "IPv4-mapped loopback after the advice" "$NS" 0 ok \
    route '[::ffff:127.0.0.1]:9001'
# The loopback rule does not cover a host address: it needs its own.
probe_is "IPv4 host address with loopback rules only" "$NS" 1 \
    "missing: $H4" route 203.0.113.77:9001
probe_is "IPv6 host address with loopback rules only" "$NS" 1 \
    "missing: $H6" route '[2001:db8:77::5]:9001'
apply "$NS" "$H4"
apply "$NS" "$H6"
probe_is "IPv4 host address after its advice" "$NS" 0 ok route 203.0.113.77:9001
probe_is "IPv6 host address after its advice" "$NS" 0 ok \
    route '[2001:db8:77::5]:9001'

# Half the advice is not enough, either half.
bare_netns NS2 route-only
ip -n "$NS2" route add local 0.0.0.0/0 dev lo table 123
ip -n "$NS2" -6 route add local ::/0 dev lo table 123
probe_is "IPv4 route without rule" "$NS2" 1 "missing: $A4" \
    route 127.0.0.1:9001
probe_is "IPv6 route without rule" "$NS2" 1 "missing: $A6" route '[::1]:9001'
bare_netns NS3 rule-only
ip -n "$NS3" rule add from 127.0.0.1/8 iif lo table 123
ip -n "$NS3" -6 rule add from ::1/128 iif lo table 123
probe_is "IPv4 rule without route" "$NS3" 1 "missing: $A4" \
    route 127.0.0.1:9001
probe_is "IPv6 rule without route" "$NS3" 1 "missing: $A6" route '[::1]:9001'

# IP_TRANSPARENT: root may; nobody may not, and is told what to grant.
probe_is "IPv4 transparent as root" "$NS" 0 ok transparent 4
probe_is "IPv6 transparent as root" "$NS" 0 ok transparent 6
if command -v setpriv >/dev/null 2>&1 && getent passwd nobody >/dev/null
then
	RUNAS=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)"
	    --clear-groups)
	for fam in 4 6; do
		[ $fam = 6 ] && opt=IPV6_TRANSPARENT || opt=IP_TRANSPARENT
		probe_is "IPv$fam transparent as nobody" "$NS" 1 \
		    "error: cannot set $opt: Operation not permitted; run mmproxyd as root or grant it CAP_NET_ADMIN" \
		    transparent $fam
	done
	RUNAS=()
else
	mm_log "no setpriv or no user nobody: unprivileged check skipped"
fi

# The daemon's own warning, in a namespace without the rules, names the
# script that adds them as well as the commands.
bare_netns NS4 daemon
mm_daemon "$NS4" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001'
grep -q 'replies from 127\.0\.0\.1:9001 to spoofed clients will not come back to mmproxyd; run mmproxyd-routing up, or add the routes: ip rule add' \
    "$MM_LOG" || mm_fail "daemon warning: $(grep 'come back' "$MM_LOG")"
mm_finish
