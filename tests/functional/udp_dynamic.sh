#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# udp_dynamic.sh -- -p udp -dynamic-destination: datagrams go to the
# header's destination, and a client that turns to another destination is
# re-aimed there (its flow socket is replaced, not reused for the old one).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init udp_dynamic
mm_netns NS udyn

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000 127.0.0.2:9001
udp_daemon "$NS" -l 127.0.0.1:8443 -dynamic-destination -v 2
D=$MM_PID

src=192.0.2.44:5044
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src "$src" \
    --dst 127.0.0.1:9000 --count 2 --seed 1) || mm_fail "first: $res"
assert_json "to the first destination" "$res" echoed 2
res=$(udp_send "$NS" --to 127.0.0.1:8443 --src "$src" \
    --dst 127.0.0.2:9001 --count 3 --seed 2) || mm_fail "second: $res"
assert_json "to the second destination" "$res" echoed 3
assert_eq "datagrams at 127.0.0.1:9000 from $src" 2 \
    "$(grep -F "\"peer\": \"$src\"" "$B" | grep -c -F '"local": "127.0.0.1:9000"')"
assert_eq "datagrams at 127.0.0.2:9001 from $src" 3 \
    "$(grep -F "\"peer\": \"$src\"" "$B" | grep -c -F '"local": "127.0.0.2:9001"')"
grep -q "flow $src closed: destination changed" "$MM_LOG" ||
    mm_fail "no log line for the re-aimed flow"
mm_alive "$D" mmproxyd
mm_finish
