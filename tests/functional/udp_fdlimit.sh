#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_fdlimit.sh -- under an fd limit of 2,000, the default -max-flows
# fits the limit: 3,000 distinct clients each get their echo, the oldest
# flows are evicted (least recently active first), a client seen again
# after its eviction is served, and no flow fails with EMFILE.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_fdlimit
mm_need prlimit
mm_netns NS ufdl

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
# A wrapper that execs, so the daemon keeps the pid we wait on.
printf '#!/bin/sh\nexec prlimit --nofile=2000:2000 %s "$@"\n' "$MMPROXYD" \
    >"$MM_TMP/mmproxyd-limited"
chmod +x "$MM_TMP/mmproxyd-limited"
MMPROXYD="$MM_TMP/mmproxyd-limited"
udp_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9000 -v 1
D=$MM_PID
L=$MM_LOG

# 2000 - 64 reserved - 3 for the socket's own descriptors.
grep -q 'default -max-flows 65536 lowered to 1933 by the fd limit of 2000' \
    "$L" || mm_fail "no line saying the default was lowered: $(head -3 "$L")"
grep -q 'up to 1933 flows each' "$L" ||
    mm_fail "listening line: $(grep listening "$L")"

# One datagram from each of 3000 clients, each waiting for its echo.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 198.51.100.1:20000 \
    --clients 3000 --timeout 2) || mm_fail "3000 clients: $res"
assert_json "clients answered" "$res" echoed 3000

# The first 1067 were evicted, the last 1933 hold their sockets.
udp_bound "$NS" 20000 198.51.100.1 && mm_fail "oldest flow still open"
udp_bound "$NS" 22999 198.51.100.1 || mm_fail "newest flow not open"
udp_bound "$NS" 21067 198.51.100.1 || mm_fail "oldest kept flow not open"
n=$(ip netns exec "$NS" ss -Hun state established 'dport = :9000' | wc -l)
assert_eq "flow sockets" 1933 "$n"

# The first client again: a new flow, evicting the least recent one.
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src 198.51.100.1:20000 \
    --seed 7) || mm_fail "evicted client again: $res"
udp_bound "$NS" 21067 198.51.100.1 && mm_fail "21067 not evicted in turn"

kill -USR1 "$D"
mm_wait_until 5 grep -q 'counters:' "$L" || mm_fail "no counters line"
grep -q 'counters: .* 0 flow failed, 1933 flows open, 3001 opened, 0 expired, 1068 evicted' "$L" ||
    mm_fail "counters: $(grep 'counters:' "$L")"
grep -Eq 'Too many open files|EMFILE' "$L" && mm_fail "EMFILE: $(grep -m3 -E 'Too many|EMFILE' "$L")"
mm_alive "$D" mmproxyd
mm_stop "$D" >/dev/null
assert_eq "daemon exit status" 0 "$MM_RC"
mm_finish
