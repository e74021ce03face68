#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# skip_report.sh LOG... -- run by make check after the tests: names every
# test that was skipped and why (the "SKIP:" line of its log), so that a
# run without root, where every scenario that moves data skips, cannot
# pass for a full one. Prints nothing when nothing was skipped.
n=0
total=0
list=
for log in "$@"; do
	trs=${log%.log}.trs
	[ -r "$trs" ] || continue
	total=$((total + 1))
	grep -q '^:test-result: SKIP' "$trs" || continue
	n=$((n + 1))
	why=$(sed -n 's/^[^ ]*: SKIP: //p' "$log" | head -n 1)
	# Scripts that do not use lib.sh's mm_skip say it on a line alone.
	[ -n "$why" ] ||
	    why=$(grep -v '(exit status: 77)$' "$log" | head -n 1)
	list="$list  ${log%.log}: ${why:-no reason in its log}
"
done
[ "$n" = 0 ] && exit 0
bar=============================================================
echo "$bar"
echo "SKIPPED: $n of $total tests did not run; they tested nothing."
printf '%s' "$list"
printf '%s' "$list" | sed 's/^[^:]*: //' | sort | uniq -c | sort -rn |
    sed 's/^ *\([0-9]*\) \(.*\)/Reason: \2 (\1)/'
if printf '%s' "$list" | grep -q ': needs root$'; then
	echo "Scenarios in network namespaces need root: run make check as"
	echo "root to test the data path."
fi
echo "$bar"
