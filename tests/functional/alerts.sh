#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# alerts.sh -- examples/prometheus-alerts.yml passes promtool check rules,
# and promtool test rules with alerts.test.yml: each alert fires for
# series that should fire it, and not for the "good" instance beside
# them. Needs promtool (prometheus); no root, no namespace.
[ -z "${MMPROXYD_SKIP_FUNCTIONAL:-}" ] ||
    { echo "skipped: MMPROXYD_SKIP_FUNCTIONAL"; exit 77; }
command -v promtool >/dev/null 2>&1 || { echo "no promtool"; exit 77; }
TOP_SRCDIR=$(cd "${TOP_SRCDIR:-$(dirname "$0")/../..}" && pwd)
rules=$TOP_SRCDIR/examples/prometheus-alerts.yml
tmp=$(mktemp -d /tmp/mmpx-alerts.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
promtool check rules "$rules" || { echo "FAIL: promtool check rules"; fail=1; }
sed "s|RULES_FILE|$rules|" "$TOP_SRCDIR/tests/functional/alerts.test.yml" \
    >"$tmp/test.yml"
promtool test rules "$tmp/test.yml" ||
    { echo "FAIL: promtool test rules"; fail=1; }
# Every alert in the file has a test that fires it.
for a in $(sed -n 's/^ *- alert: //p' "$rules"); do
	grep -q "alertname: $a\$" "$tmp/test.yml" ||
	    { echo "FAIL: no test for $a"; fail=1; }
done
[ $fail = 0 ] && echo "alerts: PASS"
exit $fail
