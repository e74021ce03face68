#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# allowlist_user.sh -- with -user, an -allowed-subnets (or
# -dynamic-destination-allow) file that the new user cannot read is
# reported at startup with its path and the fix, before a SIGHUP fails on
# it; a readable one is not. The daemon still serves with the list it read
# as root.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init allowlist_user
getent passwd nobody >/dev/null || mm_skip "no user nobody"
mm_netns NS aluser
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"

# Root's 0600 file, in a directory anyone may enter.
chmod 0711 "$MM_TMP"
printf '127.0.0.0/8\n' >"$MM_TMP/secret.txt"
chmod 0600 "$MM_TMP/secret.txt"
printf '127.0.0.0/8\n' >"$MM_TMP/open.txt"
chmod 0644 "$MM_TMP/open.txt"

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -user nobody \
    -allowed-subnets "$MM_TMP/secret.txt" -dynamic-destination \
    -dynamic-destination-allow "$MM_TMP/secret.txt"
D=$MM_PID
L=$MM_LOG
for flag in -allowed-subnets -dynamic-destination-allow; do
	grep -q -- "$flag $MM_TMP/secret.txt cannot be read as -user nobody, so SIGHUP cannot reload it (.*chmod 0644 $MM_TMP/secret.txt): Permission denied" \
	    "$L" || mm_fail "no warning for the unreadable $flag file"
done
mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --src 198.51.100.7:40001 \
    --dst 127.0.0.1:9001 --mode echo >/dev/null ||
    mm_fail "not served with the list read as root"
# The warning was right: the reload fails, the old list stays.
kill -HUP "$D"
mm_wait_until 5 grep -q 'SIGHUP: keeping the old allow-list: .*Permission denied' \
    "$L" || mm_fail "SIGHUP did not fail as warned"
mm_stop "$D" >/dev/null

mm_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9001 -user nobody \
    -allowed-subnets "$MM_TMP/open.txt"
grep -q 'cannot be read as -user' "$MM_LOG" &&
    mm_fail "warning for a readable file: $(grep 'cannot be read' "$MM_LOG")"
kill -HUP "$MM_PID"
mm_wait_until 5 grep -q "SIGHUP: reloaded $MM_TMP/open.txt" "$MM_LOG" ||
    mm_fail "a readable file did not reload"
mm_finish
