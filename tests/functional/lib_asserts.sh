#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# lib_asserts.sh -- lib.sh's numeric asserts compare numbers, floats and
# exponents included, and fail on anything else: an empty or garbled
# measurement must not pass as 0. Needs no root: it starts nothing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"
MM_NAME=lib_asserts

# want RC ASSERT ARGS...: the assert, in a subshell, returns RC.
want() {
	local rc=$1 got
	shift
	("$@") 2>/dev/null
	got=$?
	[ "$got" = "$rc" ] ||
	    mm_fail "$1 '$3' '$4' returned $got, wanted $rc"
}

want 0 assert_lt what 3 2
want 1 assert_lt what 3 3
want 0 assert_lt what 0.5 0.005
want 0 assert_lt what 1 1e-05
want 0 assert_lt what 0 -1
want 1 assert_lt what 3 ""
want 1 assert_lt what 3 "timeout"
want 1 assert_lt what 3 "1 2"
want 1 assert_lt what "" 2
want 0 assert_ge what 1 1
want 0 assert_ge what 2.4 2.41
want 1 assert_ge what 2.4 2.39
want 1 assert_ge what 0 ""
want 1 assert_ge what 1 "none"
mm_finish
