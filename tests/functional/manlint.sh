#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# manlint.sh -- the man page must be clean for mandoc -Tlint (warnings and
# up). Skips (77) where mandoc is not installed.
command -v mandoc >/dev/null 2>&1 || { echo "mandoc not installed"; exit 77; }
page=${TOP_SRCDIR:-.}/man/mmproxyd.8
out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
rc=$?
[ -n "$out" ] && echo "$out"
[ $rc -eq 0 ] && [ -z "$out" ] || { echo "FAIL: $page is not lint-clean"; exit 1; }
echo "ok: $page is lint-clean"
