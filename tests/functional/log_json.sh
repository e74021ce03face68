#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# log_json.sh -- -log-format json at -v 2: every line the daemon writes,
# TCP and UDP, from start to exit (served, denied, refused by the backend,
# bad header, counters, a reload naming a file whose name needs escaping),
# is one JSON object with time, level and msg; a connection's lines carry
# client, lb, target, and its close line bytes_in, bytes_out, duration_ms
# and reason, with the values the text line says.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
. "$TOP_SRCDIR/tests/functional/udp_lib.sh"

mm_init log_json
mm_netns NS ljson

B4="$MM_TMP/backend4.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$B4"
# A name with a quote, a backslash, a tab and a byte that is not UTF-8.
AL="$MM_TMP/al\"lo\\w"$'\t\xff'".txt"
printf '127.0.0.0/8\n' >"$AL"
printf '192.0.2.0/24\n' >"$MM_TMP/deny.txt"

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9009' -v 2 \
    -log-format json -allowed-subnets "$AL"
D=$MM_PID
L=$MM_LOG
mm_daemon "$NS" -l 127.0.0.1:8444 -4 127.0.0.1:9001 -v 2 \
    -log-format=json -allowed-subnets "$MM_TMP/deny.txt"
DD=$MM_PID
LD=$MM_LOG

res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v2 \
    --src 198.51.100.7:41001 --payload hello --timeout 8) ||
    mm_fail "served client: $res"
# No backend on [::1]:9009: refused.
mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src '[2001:db8::7]:41002' --dst '[2001:db8::1]:443' \
    --mode expect-close --payload x --timeout 8 >/dev/null ||
    mm_fail "refused client"
mm_tool "$NS" 20 garbage --connect 127.0.0.1:8443 --count 2 >/dev/null ||
    mm_fail "garbage"
mm_client "$NS" 20 -- --connect 127.0.0.1:8444 --mode expect-close \
    --payload x --timeout 8 >/dev/null || mm_fail "denied client"
kill -HUP "$D"
kill -USR1 "$D"
mm_wait_until 5 grep -q 'counters' "$L" || mm_fail "no counters line"
mm_wait_until 5 grep -q 'closed after' "$L" || mm_fail "no close line"

B="$MM_TMP/echo.log"
udp_echo "$NS" "$B" 127.0.0.1:9000
udp_daemon "$NS" -l 127.0.0.1:8445 -4 127.0.0.1:9000 -v 2 -log-format json \
    -close-after 1
DU=$MM_PID
LU=$MM_LOG
res=$(udp_send "$NS" --to 127.0.0.1:8445 --src 192.0.2.1:5001) ||
    mm_fail "udp: $res"
udp_send "$NS" --to 127.0.0.1:8445 --kind v1 --expect none >/dev/null
mm_wait_until 5 grep -q 'closed: idle' "$LU" || mm_fail "no idle close"

for d in "$D" "$DD" "$DU"; do
	mm_stop "$d" >/dev/null
	assert_eq "exit status of $d" 0 "$MM_RC"
done

out=$("$PYTHON" - "$L" "$LD" "$LU" "$TOP_SRCDIR/man/mmproxyd.8" <<'PY'
import json, sys
CONN = ["client", "lb", "target", "bytes_in", "bytes_out", "duration_ms",
        "reason"]
bad, seen = [], {}
for path in sys.argv[1:4]:
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if len(lines) < 5:
        bad.append("%s: only %d lines" % (path, len(lines)))
    for line in lines:
        try:
            o = json.loads(line)
        except ValueError as e:
            bad.append("not JSON (%s): %r" % (e, line))
            continue
        if not isinstance(o, dict) or list(o)[:3] != ["time", "level", "msg"]:
            bad.append("keys: %r" % line)
            continue
        if o["level"] not in ("debug", "info", "warn", "error"):
            bad.append("level: %r" % line)
        if not o["time"].endswith("Z") or len(o["time"]) != 24:
            bad.append("time: %r" % line)
        unknown = set(o) - set(["time", "level", "msg"] + CONN)
        if unknown:
            bad.append("unknown keys %s: %r" % (unknown, line))
        m = o["msg"]
        if "closed after" in m:
            seen["close"] = o
            if [k for k in CONN if k not in o]:
                bad.append("close line lacks keys: %r" % line)
            elif "%d bytes in, %d bytes out (%s)" % (o["bytes_in"],
                    o["bytes_out"], o["reason"]) not in m or \
                    not m.startswith("%s via %s -> %s: " % (o["client"],
                    o["lb"], o["target"])):
                bad.append("close keys disagree with msg: %r" % line)
        for what, needle, keys in (
                ("connected", ": connected", ["client", "lb", "target"]),
                ("refused", ": connect: ", ["client", "lb", "target",
                                             "reason"]),
                ("bad", "bad PROXY header", ["lb", "reason"]),
                ("denied", "not in the allowed subnets", ["lb", "reason"]),
                ("reload", "SIGHUP: reloaded", []),
                ("counters", "counters: ", []),
                ("opened", " opened$", ["client", "target"]),
                ("idle", "closed: idle", ["client", "target", "reason"]),
                ("dropped", "dropped", ["lb", "reason"]),
                ("exit", " exit: ", [])):
            if (m.endswith(needle[:-1]) if needle.endswith("$") else
                    needle in m):
                seen[what] = o
                if [k for k in keys if k not in o]:
                    bad.append("%s line lacks %s: %r" % (what, keys, line))
want = ["close", "connected", "refused", "bad", "denied", "reload",
        "counters", "opened", "idle", "dropped", "exit"]
bad += ["no %s line" % w for w in want if w not in seen]
if "reload" in seen and '"lo\\w\t\xff.txt' not in seen["reload"]["msg"]:
    bad.append("reload path: %r" % seen["reload"]["msg"])
if "close" in seen and (seen["close"]["client"] != "198.51.100.7:41001" or
                        seen["close"]["bytes_in"] != 5 or
                        seen["close"]["reason"] != "eof"):
    bad.append("close values: %r" % seen["close"])
# The counters' words are the manual's (SIGNALS, SIGUSR1).
import re
man = open(sys.argv[4], encoding="utf-8").read()
sig = man[man.index(".It Dv SIGUSR1"):man.index(".Sh ENVIRONMENT")]
words = set()
for m in re.finditer(r"^\.It Li (.*)$", sig, re.M):
    words |= {w.strip() for w in m.group(1).split(" , ")}
for what in ("exit", "counters"):
    if what not in seen:
        continue
    m = seen[what]["msg"].split(": ", 1)[-1]
    if m.startswith("listener "):
        m = m.split(": ", 1)[1]
    for part in m.split(", "):
        name = re.sub(r"^\d+ | \d+$", "", part)
        if name not in words:
            bad.append("counter %r is not in the manual" % name)
print("\n".join(bad) if bad else "ok")
PY
)
assert_eq "JSON lines" ok "$out"
mm_finish
