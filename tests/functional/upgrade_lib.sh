# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# upgrade_lib.sh -- helpers for the SIGUSR2 (hot upgrade) scenarios;
# source it after lib.sh. A generation that an upgrade starts is not a
# child of the scenario's shell: it is found through the pidfile, and
# stopped and waited for here.

CHURN="$TOP_SRCDIR/tests/functional/churn_tool.py"

# up_echo NS TCP UDP: churn_tool's echo backend on TCP and UDP ADDR:PORT
# ("-" for none); waits until it is bound.
up_echo() {
	local ns=$1 tcp=$2 udp=$3 args=()
	[ "$tcp" = - ] || args+=(--tcp "$tcp")
	[ "$udp" = - ] || args+=(--udp "$udp")
	mm_bg "$ns" "$MM_TMP/echo.log" "$PYTHON" "$CHURN" echo \
	    --lifetime 300 "${args[@]}"
	if [ "$tcp" != - ]; then
		mm_wait_listen "$ns" "$(mm_port_of "$tcp")" 1 10 \
		    "$MM_LASTPID" || exit 99
	else
		mm_wait_until 10 eval "ip netns exec $ns ss -Hlun \
		    'sport = :$(mm_port_of "$udp")' | grep -q ." || exit 99
	fi
}

# up_copy_binary: run the daemon from a copy that the scenario may swap
# (UP_COPY=1), unless MMPROXYD is a wrapper script (valgrind): then the
# binary it runs is not ours to replace (UP_COPY=0).
up_copy_binary() {
	UP_COPY=0
	if [ "$(head -c 4 "$MMPROXYD" | od -An -c | tr -d ' ')" = '177ELF' ]
	then
		mkdir -p "$MM_TMP/bin"
		cp "$MMPROXYD" "$MM_TMP/bin/mmproxyd"
		MMPROXYD="$MM_TMP/bin/mmproxyd"
		UP_COPY=1
	fi
}

# up_wait_new_pid PIDFILE OLD SECONDS: print the pid that replaces OLD in
# PIDFILE once that process runs; 1 if none did in time.
up_wait_new_pid() {
	local f=$1 old=$2 secs=$3 i p
	for ((i = 0; i < secs * 20; i++)); do
		p=$(cat "$f" 2>/dev/null)
		if [ -n "$p" ] && [ "$p" != "$old" ] && kill -0 "$p" 2>/dev/null
		then
			MM_PIDS+=("$p")
			echo "$p"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# up_listeners NS PORT: how many processes hold a socket on PORT.
up_listeners() {
	ip netns exec "$1" ss -Hlnp -tu "sport = :$2" |
	    grep -o 'pid=[0-9]*' | sort -u | wc -l
}

# up_metrics_ok NS ADDR:PORT: GET /metrics answers 200.
up_metrics_ok() {
	timeout -k 2 10 ip netns exec "$1" "$PYTHON" -c '
import sys, urllib.request
r = urllib.request.urlopen("http://%s/metrics" % sys.argv[1], timeout=5)
sys.exit(0 if r.status == 200 else 1)' "$2"
}

# up_conn NS ADDR:PORT: one proxied echo; its JSON line.
up_conn() {
	mm_client "$1" 20 -- --connect "$2" --header v1 \
	    --src "198.51.100.99:$((30000 + RANDOM % 20000))" --mode echo
}

# up_stop PID SECONDS: SIGTERM a process that is not our child and wait
# for it to go.
up_stop() {
	kill -TERM "$1" 2>/dev/null || return 1
	mm_wait_until "$2" eval "! kill -0 $1 2>/dev/null"
}

# up_expect_failure PID LOG TEXT: SIGUSR2 to PID fails with TEXT in the
# "upgrade failed" line; PID serves on and stays in the pidfile.
up_expect_failure() {
	local pid=$1 log=$2 text=$3 n
	n=$(grep -c "SIGUSR2: upgrade failed" "$log")
	kill -USR2 "$pid"
	if ! mm_wait_until 20 eval \
	    '[ "$(grep -c "SIGUSR2: upgrade failed" "$log")" -gt "$n" ]'; then
		mm_fail "no failure line for: $text"
		return 1
	fi
	grep "SIGUSR2: upgrade failed" "$log" | tail -n 1 | grep -qF "$text" ||
	    mm_fail "failure line without \"$text\": $(grep \
	    "SIGUSR2: upgrade failed" "$log" | tail -n 1)"
	mm_alive "$pid" "generation after a failed upgrade"
	[ -z "${PIDF:-}" ] || assert_eq "pidfile after a failed upgrade" \
	    "$pid" "$(cat "$PIDF")"
}

# up_json_check WHAT JSON EXPR...: each EXPR, Python over the dict d,
# must hold (one interpreter for all of them).
up_json_check() {
	local what=$1 json=$2 out
	shift 2
	out=$("$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
for e in sys.argv[2:]:
    if not eval(e, {}, {"d": d}):
        print("not %s;" % e)' "$json" "$@" 2>&1) || out="cannot check: $out"
	[ -z "$out" ] || mm_fail "$what: $out in $json"
}

# up_wait_exit PID SECONDS: wait at most SECONDS for PID, our child, to
# exit; MM_RC gets its exit status, or "timeout".
up_wait_exit() {
	local pid=$1 secs=$2 i st
	MM_RC=timeout
	for ((i = 0; i < secs * 20; i++)); do
		st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null |
		    cut -d' ' -f1)
		if [ -z "$st" ] || [ "$st" = Z ]; then
			wait "$pid"
			MM_RC=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}
