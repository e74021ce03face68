# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# lib.sh -- shared helpers for mmproxyd's functional scenarios.
#
# Source it from a bash scenario, then call mm_init NAME. Everything a
# scenario starts (namespaces, daemons, backends) is registered here and torn
# down by the EXIT trap, pass or fail. Scenarios exit 0 (pass), 1 (fail) or
# 77 (skip: not root, or a tool is missing).
#
# Conventions: every wait has a timeout; every foreground command that talks
# to the network runs under timeout(1); traffic stays inside namespaces.

MM_SKIP=77
: "${TOP_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR}"
: "${MMPROXYD:=$TOP_BUILDDIR/mmproxyd}"
# The distribution's python3 starts faster than a version-manager shim.
if [ -z "$PYTHON" ] && [ -x /usr/bin/python3 ]; then
	PYTHON=/usr/bin/python3
fi
: "${PYTHON:=python3}"
PP_TOOL="$TOP_SRCDIR/tests/functional/pp_tool.py"

MM_NAME=
MM_TMP=
MM_FAILED=0
MM_PIDS=()		# processes to kill on exit
MM_NETNS=()		# namespaces to delete on exit
MM_DAEMON_LOGS=()	# printed when the scenario fails

mm_log() { printf '%s: %s\n' "$MM_NAME" "$*" >&2; }

# Record a failure and carry on, so one run reports every broken check.
mm_fail() {
	printf '%s: FAIL: %s\n' "$MM_NAME" "$*" >&2
	MM_FAILED=1
}

mm_skip() {
	printf '%s: SKIP: %s\n' "$MM_NAME" "$*" >&2
	exit "$MM_SKIP"
}

mm_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || mm_skip "$t not found"
	done
}

mm_init() {
	MM_NAME=$1
	# .ci/run sets this for distcheck: the scenarios already ran on the tree.
	[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] ||
	    mm_skip "MMPROXYD_SKIP_FUNCTIONAL is set"
	[ "$(id -u)" = 0 ] || mm_skip "needs root"
	mm_need ip ss timeout "$PYTHON"
	[ -x "$MMPROXYD" ] || { mm_log "ERROR: no daemon at $MMPROXYD"; exit 99; }
	[ -r "$PP_TOOL" ] || { mm_log "ERROR: no $PP_TOOL"; exit 99; }
	MM_TMP=$(mktemp -d "/tmp/mmpx-$MM_NAME.XXXXXX") || exit 99
	trap mm_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	# A probe namespace tells us whether we may create them at all.
	if ! ip netns add "mmpx-$$-probe" 2>/dev/null; then
		mm_skip "cannot create network namespaces"
	fi
	ip netns del "mmpx-$$-probe"
}

mm_cleanup() {
	local rc=$? pid ns i
	trap - EXIT
	for pid in "${MM_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for pid in "${MM_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for pid in "${MM_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${MM_NETNS[@]}"; do
		# Anything still running in our own namespace was started by us.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" != 0 ] && [ "$rc" != "$MM_SKIP" ]; then
		for i in "${MM_DAEMON_LOGS[@]}"; do
			[ -s "$i" ] || continue
			echo "---- last lines of $i" >&2
			tail -n 40 "$i" >&2
		done
	fi
	if [ -n "$MM_TMP" ] && [ -z "$MM_KEEP" ]; then
		rm -rf "$MM_TMP"
	elif [ -n "$MM_TMP" ]; then
		mm_log "kept $MM_TMP"
	fi
	exit "$rc"
}

# Finish: exit 1 if any check failed.
mm_finish() {
	if [ "$MM_FAILED" = 0 ]; then
		mm_log "PASS"
		exit 0
	fi
	exit 1
}

# mm_netns VAR SUFFIX: create namespace mmpx-$$-SUFFIX with lo up and the
# local-delivery routing that transparent proxying needs; name into VAR.
mm_netns() {
	local var=$1 ns="mmpx-$$-$2"
	ip netns add "$ns" || { mm_log "ERROR: ip netns add $ns"; exit 99; }
	MM_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip -n "$ns" route add local 0.0.0.0/0 dev lo table 123
	ip -n "$ns" -6 route add local ::/0 dev lo table 123
	ip -n "$ns" rule add from 127.0.0.1/8 iif lo table 123
	ip -n "$ns" -6 rule add from ::1/128 iif lo table 123
	printf -v "$var" '%s' "$ns"
}

# mm_veth NS_A ADDR_A NS_B ADDR_B [ADDR6_A ADDR6_B]: a veth pair between two
# namespaces, addresses with prefix (e.g. 169.254.77.1/24).
MM_NVETH=0
mm_veth() {
	local a=$1 aa=$2 b=$3 ba=$4 a6=$5 b6=$6 n
	MM_NVETH=$((MM_NVETH + 1))
	n="vm$$x$MM_NVETH"
	ip link add "${n}a" netns "$a" type veth peer name "${n}b" netns "$b" ||
	    { mm_log "ERROR: veth"; exit 99; }
	ip -n "$a" link set "${n}a" name veth0
	ip -n "$b" link set "${n}b" name veth0
	ip -n "$a" addr add "$aa" dev veth0
	ip -n "$b" addr add "$ba" dev veth0
	if [ -n "$a6" ]; then
		ip -n "$a" addr add "$a6" dev veth0 nodad
		ip -n "$b" addr add "$b6" dev veth0 nodad
	fi
	ip -n "$a" link set veth0 up
	ip -n "$b" link set veth0 up
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# mm_tproxy_pair SRV CLI PROTO PORT4 PORT6: the TPROXY topology of the
# example rules. CLI reaches SRV over a veth (169.254.77.0/24,
# 2001:db8:1::/64) and routes 203.0.113.0/24 and 2001:db8:2::/64 there;
# SRV diverts PROTO ports 10000-10010 on those to its local PORT4 (v4)
# and PORT6 (v6) with nft tproxy, mark 1, table 100. Skips without
# TPROXY.
mm_tproxy_pair() {
	local srv=$1 cli=$2 proto=$3 p4=$4 p6=$5
	mm_veth "$srv" 169.254.77.1/24 "$cli" 169.254.77.2/24 \
	    2001:db8:1::1/64 2001:db8:1::2/64
	ip -n "$cli" route add 203.0.113.0/24 via 169.254.77.1
	ip -n "$cli" -6 route add 2001:db8:2::/64 via 2001:db8:1::1
	nsx "$srv" nft -f - <<NFT ||
table inet mmpxtproxy {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr 203.0.113.0/24 $proto dport 10000-10010 tproxy ip to :$p4 meta mark set 1 accept
		ip6 daddr 2001:db8:2::/64 $proto dport 10000-10010 tproxy ip6 to :$p6 meta mark set 1 accept
	}
}
NFT
	    mm_skip "nftables TPROXY rules cannot be loaded"
	ip -n "$srv" rule add fwmark 1 lookup 100
	ip -n "$srv" route add local 0.0.0.0/0 dev lo table 100
	ip -n "$srv" -6 rule add fwmark 1 lookup 100
	ip -n "$srv" -6 route add local ::/0 dev lo table 100
}

# mm_bg NS LOG cmd...: start cmd in NS in the background; pid in MM_LASTPID.
mm_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	MM_LASTPID=$!
	MM_PIDS+=("$MM_LASTPID")
}

# mm_wait_listen NS PORT [COUNT [SECONDS [PID]]]: until COUNT TCP listeners
# (default 1) exist on PORT; fails if PID dies first.
mm_wait_listen() {
	local ns=$1 port=$2 count=${3:-1} secs=${4:-10} pid=$5 i n
	for ((i = 0; i < secs * 20; i++)); do
		n=$(ip netns exec "$ns" ss -Hltn "sport = :$port" | wc -l)
		[ "$n" -ge "$count" ] && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			mm_log "process $pid died before listening on $port"
			return 1
		fi
		sleep 0.05
	done
	mm_log "nothing listening on $port after ${secs}s"
	return 1
}

# mm_listen_count NS PORT: TCP listening sockets on PORT.
mm_listen_count() {
	ip netns exec "$1" ss -Hltn "sport = :$2" | wc -l
}

# mm_port_of ADDR:PORT -> PORT; ADDR:FIRST-LAST -> FIRST
mm_port_of() { local p=${1##*:}; printf '%s\n' "${p%%-*}"; }

# mm_limit_nofile N: from now on mm_daemon starts mmproxyd with an fd limit
# of N (soft and hard), through a wrapper that execs, so the daemon keeps
# the pid that is waited on.
mm_limit_nofile() {
	mm_need prlimit
	printf '#!/bin/sh\nexec prlimit --nofile=%d:%d %s "$@"\n' "$1" "$1" \
	    "$MMPROXYD" >"$MM_TMP/mmproxyd-nofile-$1"
	chmod +x "$MM_TMP/mmproxyd-nofile-$1"
	MMPROXYD="$MM_TMP/mmproxyd-nofile-$1"
}

# mm_daemon NS ARGS...: start mmproxyd in NS with ARGS; waits until its
# listen port (from -l, default 8443) has as many listeners as -listeners.
# Sets MM_PID and MM_LOG (stderr of the daemon). Fails the scenario hard
# when the daemon does not come up.
MM_NDAEMON=0
mm_daemon() {
	local ns=$1 port=8443 nl=1 a prev= wait=1
	shift
	for a in "$@"; do
		case $prev in
		-l|--l) port=$(mm_port_of "$a") ;;
		-listeners|--listeners) nl=$a ;;
		-p|--p) [ "$a" = udp ] && wait=0 ;;
		esac
		case $a in
		-l=*|--l=*) port=$(mm_port_of "${a#*=}") ;;
		-listeners=*|--listeners=*) nl=${a#*=} ;;
		esac
		prev=$a
	done
	MM_NDAEMON=$((MM_NDAEMON + 1))
	MM_LOG="$MM_TMP/daemon$MM_NDAEMON.log"
	MM_DAEMON_LOGS+=("$MM_LOG")
	mm_bg "$ns" "$MM_LOG" "$MMPROXYD" "$@"
	MM_PID=$MM_LASTPID
	if [ $wait = 1 ] && ! mm_wait_listen "$ns" "$port" "$nl" 10 "$MM_PID"; then
		mm_log "ERROR: mmproxyd $* did not come up; log:"
		cat "$MM_LOG" >&2
		exit 1
	fi
}

# mm_stop PID [SECONDS]: SIGTERM, wait; sets MM_RC to the exit status, or
# to "timeout" (and kills it) when it did not exit in time, and prints it
# too. Never call it in $(...): only this shell can wait for its children,
# so redirect it to a file or read MM_RC.
mm_stop() {
	local pid=$1 secs=${2:-10} i
	MM_RC=timeout
	if ! kill -TERM "$pid" 2>/dev/null; then
		wait "$pid"
		MM_RC=$?
	else
		for ((i = 0; i < secs * 20; i++)); do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid"
				MM_RC=$?
				break
			fi
			sleep 0.05
		done
		if [ "$MM_RC" = timeout ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	fi
	echo "$MM_RC"
}

# mm_backend NS LISTEN MODE LOG [ARGS...]: a pp_tool backend, waited for.
mm_backend() {
	local ns=$1 listen=$2 mode=$3 log=$4
	shift 4
	: >"$log"
	mm_bg "$ns" "$log.err" "$PYTHON" "$PP_TOOL" backend --listen "$listen" \
	    --mode "$mode" --log "$log" "$@"
	mm_wait_listen "$ns" "$(mm_port_of "$listen")" 1 10 "$MM_LASTPID" || {
		cat "$log.err" >&2
		exit 99
	}
}

# mm_client NS [SECONDS] -- ARGS...: run a pp_tool client; prints its JSON
# line, returns its status (1 also on timeout).
mm_client() {
	local ns=$1 secs=30
	shift
	if [ "$1" != -- ]; then secs=$1; shift; fi
	shift
	timeout -k 2 "$secs" ip netns exec "$ns" "$PYTHON" "$PP_TOOL" client "$@"
}

# mm_tool NS SECONDS SUBCOMMAND ARGS...: any pp_tool subcommand in NS.
mm_tool() {
	local ns=$1 secs=$2
	shift 2
	timeout -k 2 "$secs" ip netns exec "$ns" "$PYTHON" "$PP_TOOL" "$@"
}

# jget KEY: one field of the JSON line on stdin.
jget() { "$PYTHON" "$PP_TOOL" jget "$1"; }

# logq LOG ARGS...: count or select backend log events (see pp_tool logq).
logq() { "$PYTHON" "$PP_TOOL" logq "$@"; }

# mm_fdcount PID: open descriptors of PID.
mm_fdcount() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# mm_sockcount PID: open sockets of PID (pooled pipes and buffers are the
# relays' working set, bounded by the pool; sockets must all come back).
mm_sockcount() { find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

# mm_metric NS ADDR NAME: the value of an unlabelled series NAME scraped
# from -metrics at ADDR in NS (nothing when the scrape fails).
mm_metric() {
	timeout -k 2 10 ip netns exec "$1" "$PYTHON" \
	    "$TOP_SRCDIR/tests/functional/http_tool.py" get --connect "$2" \
	    --out "$MM_TMP/scrape.$$" >/dev/null 2>&1 || return 1
	awk -v n="$3" '$1 == n { print $2 }' "$MM_TMP/scrape.$$"
}

# mm_wait_until SECONDS cmd...: poll cmd every 50 ms until it succeeds.
mm_wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# mm_wait_test SECONDS 'EXPR': poll the shell expression EXPR every 50 ms
# until it is true. Quote it whole, so that a $(...) in it runs on every
# poll: "mm_wait_until 5 test "$(x)" = 1" would compare x's first value.
mm_wait_test() {
	local secs=$1 i
	for ((i = 0; i < secs * 20; i++)); do
		eval "$2" && return 0
		sleep 0.05
	done
	return 1
}

# mm_alive PID: fail the scenario when PID has died.
mm_alive() {
	kill -0 "$1" 2>/dev/null || mm_fail "${2:-process} $1 died"
}

# assert_eq WHAT EXPECTED GOT
assert_eq() {
	if [ "$2" != "$3" ]; then
		mm_fail "$1: expected '$2', got '$3'"
		return 1
	fi
	return 0
}

# assert_ok WHAT cmd...: fail the scenario when cmd fails.
assert_ok() {
	local what=$1
	shift
	if ! "$@"; then
		mm_fail "$what"
		return 1
	fi
	return 0
}

# assert_json WHAT JSON KEY EXPECTED
assert_json() {
	local got
	got=$(printf '%s\n' "$2" | jget "$3")
	assert_eq "$1 ($3) in $2" "$4" "$got"
}

# mm_is_number S: S is a number, such as 3, -2, 0.25 or 1e-05. An empty
# or garbled measurement is not one: awk would read it as 0.
mm_is_number() {
	[[ $1 =~ ^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]
}

# assert_lt WHAT LIMIT VALUE (numbers, floats allowed; anything else fails)
assert_lt() {
	if ! mm_is_number "$2" || ! mm_is_number "$3" ||
	    ! awk -v a="$3" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; then
		mm_fail "$1: expected < $2, got '$3'"
		return 1
	fi
	return 0
}

# assert_ge WHAT LIMIT VALUE
assert_ge() {
	if ! mm_is_number "$2" || ! mm_is_number "$3" ||
	    ! awk -v a="$3" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; then
		mm_fail "$1: expected >= $2, got '$3'"
		return 1
	fi
	return 0
}
