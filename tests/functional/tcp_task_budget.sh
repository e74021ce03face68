#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_task_budget.sh -- under a task limit (a cgroup's pids.max, what a
# unit's TasksMax= sets) the default -max-conns shrinks to what two
# threads per connection allow, with a warning; more clients than that
# wait in the backlog and are all served, instead of losing their reply
# thread to pthread_create's EAGAIN after the backend was dialled.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
ST="$TOP_SRCDIR/tests/functional/stress_tool.py"

mm_init tcp_task_budget
PIDS_ROOT=/sys/fs/cgroup/pids
[ -w "$PIDS_ROOT/cgroup.procs" ] ||
    mm_skip "no writable cgroup v1 pids hierarchy at $PIDS_ROOT"
CG="$PIDS_ROOT/mmpx-$$"
mkdir "$CG" || mm_skip "cannot create $CG"
budget_cleanup() {
	local pid i
	for pid in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmdir "$CG" 2>/dev/null && return
		sleep 0.1
	done
}
trap 'rc=$?; budget_cleanup; (exit $rc); mm_cleanup' EXIT
echo 40 >"$CG/pids.max"

mm_netns NS tasks
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
stool() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$ST" "$@"; }
# The daemon enters the cgroup before it execs, so its threads count
# there. nsenter, not ip netns exec, which would remount /sys and hide
# the cgroup from the daemon.
MM_LOG="$MM_TMP/daemon.log"
MM_DAEMON_LOGS+=("$MM_LOG")
sh -c 'echo $$ >"$1/cgroup.procs" && ns=$2 && shift 2 &&
    exec nsenter --net="/run/netns/$ns" "$@"' sh "$CG" "$NS" "$MMPROXYD" \
    -l 127.0.0.1:8443 -4 127.0.0.1:9001 -v 1 >"$MM_LOG" 2>&1 &
D=$!
MM_PIDS+=("$D")
mm_wait_listen "$NS" 8443 1 10 "$D" || { cat "$MM_LOG" >&2; exit 1; }

# 40 tasks, the daemon's main thread among them: (39 - 8 - 1) / 2 = 15.
grep -q "default -max-conns 10000 needs 20000 threads but the task limit" \
    "$MM_LOG" || mm_fail "no warning that the task limit caps -max-conns"
grep -q "capped at 15 connections" "$MM_LOG" ||
    mm_fail "cap is not 15: $(grep 'task limit' "$MM_LOG")"
grep -q "ready: up to 15 connections" "$MM_LOG" ||
    mm_fail "ready line: $(grep ready "$MM_LOG")"

# 40 clients at once, each streaming both ways for a while.
res=$(stool 120 flood --connect 127.0.0.1:8443 --count 40 --parallel 40 \
    --bytes 300000 --timeout 90 --total-timeout 110) ||
    mm_fail "flood client: $res"
assert_json "clients served in full" "$res" ok 40
assert_json "clients reset" "$res" reset 0
assert_json "clients with wrong bytes" "$res" mismatch 0
n=$(grep -c "no thread\|cannot serve\|pthread_create" "$MM_LOG")
assert_eq "thread failures in the log" 0 "$n"
assert_lt "tasks in the cgroup" 41 "$(cat "$CG/pids.current")"
mm_alive "$D" mmproxyd
mm_stop "$D" >"$MM_TMP/rc"
assert_eq "exit status" 0 "$(cat "$MM_TMP/rc")"
mm_finish
