# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_lib.sh -- helpers for the -p udp scenarios, on top of lib.sh.
#
# Source after lib.sh. The backend is udp_tool.py echo: it answers every
# datagram byte-exact and logs one JSON line per datagram with the peer it
# saw, which is the spoofed client address when the daemon works.

UDP_TOOL="$TOP_SRCDIR/tests/functional/udp_tool.py"
[ -r "$UDP_TOOL" ] || { mm_log "ERROR: no $UDP_TOOL"; exit 99; }

# udp_bound NS PORT [ADDR]: some UDP socket is bound to [ADDR:]PORT in NS.
udp_bound() {
	local ns=$1 port=$2 addr=$3
	timeout -k 2 15 ip netns exec "$ns" "$PYTHON" "$UDP_TOOL" wait \
	    --port "$port" ${addr:+--addr "$addr"} --timeout 0.01 2>/dev/null
}

# udp_wait_bound NS PORT [ADDR [SECONDS]] / udp_wait_gone: poll ss.
udp_wait_bound() {
	timeout -k 2 30 ip netns exec "$1" "$PYTHON" "$UDP_TOOL" wait \
	    --port "$2" ${3:+--addr "$3"} --timeout "${4:-10}"
}
udp_wait_gone() {
	timeout -k 2 30 ip netns exec "$1" "$PYTHON" "$UDP_TOOL" wait --gone \
	    --port "$2" ${3:+--addr "$3"} --timeout "${4:-10}"
}

# udp_echo NS LOG [--hold N] ADDR:PORT...: the echo backend, waited for;
# --hold N answers in bursts of N datagrams.
udp_echo() {
	local ns=$1 log=$2 a args=()
	shift 2
	if [ "$1" = --hold ]; then
		args+=(--hold "$2")
		shift 2
	fi
	for a in "$@"; do args+=(--listen "$a"); done
	: >"$log"
	mm_bg "$ns" "$log.err" "$PYTHON" "$UDP_TOOL" echo --log "$log" \
	    --lifetime 300 "${args[@]}"
	udp_wait_bound "$ns" "$(mm_port_of "$1")" || {
		cat "$log.err" >&2
		exit 99
	}
}

# udp_daemon NS ARGS...: mmproxyd -p udp ARGS in NS, waited for until its
# -l port (default 8443) is bound. Sets MM_PID and MM_LOG.
udp_daemon() {
	local ns=$1 port=8443 a prev=
	shift
	for a in "$@"; do
		[ "$prev" = -l ] && port=$(mm_port_of "$a")
		prev=$a
	done
	mm_daemon "$ns" -p udp "$@"
	if ! udp_wait_bound "$ns" "$port" "" 10; then
		grep -q 'udp is not available' "$MM_LOG" &&
		    mm_skip "this mmproxyd does not serve -p udp yet"
		mm_log "ERROR: mmproxyd -p udp $* did not come up; log:"
		cat "$MM_LOG" >&2
		exit 1
	fi
}

# udp_send NS ARGS...: one udp_tool send; prints its JSON line.
udp_send() {
	local ns=$1
	shift
	timeout -k 2 60 ip netns exec "$ns" "$PYTHON" "$UDP_TOOL" send "$@"
}

# udp_burst NS ARGS...: one udp_tool burst; prints its JSON line.
udp_burst() {
	local ns=$1
	shift
	timeout -k 2 60 ip netns exec "$ns" "$PYTHON" "$UDP_TOOL" burst "$@"
}

# udp_peer_count LOG PEER: datagrams the backend got from PEER.
udp_peer_count() {
	grep -c -F "\"peer\": \"$2\"" "$1"
}
