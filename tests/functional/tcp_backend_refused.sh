#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# tcp_backend_refused.sh -- nothing listens on the target port: the client's
# connection is closed promptly (< 3 s) and the daemon keeps serving.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init tcp_backend_refused
mm_netns NS refused

mm_daemon "$NS" -l 127.0.0.1:8443 -4 127.0.0.1:9001 -6 '[::1]:9001' -v 2
D=$MM_PID

n=0
for src in 198.51.100.7:46001 '[2001:db8::7]:46002'; do
	case $src in
	\[*) dst='[2001:db8::1]:443' ;;
	*) dst=192.0.2.1:443 ;;
	esac
	for hdr in v1 v2; do
		n=$((n + 1))
		res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 \
		    --header $hdr --src "${src%:*}:$((${src##*:} + n * 10))" \
		    --dst "$dst" --mode expect-close --payload hello \
		    --timeout 10) || mm_fail "$src $hdr: not closed: $res"
		assert_lt "$src $hdr: seconds until closed" 3 \
		    "$(printf '%s\n' "$res" | jget elapsed)"
	done
done

# Then a backend appears and the same daemon serves it.
mm_backend "$NS" 127.0.0.1:9001 echo "$MM_TMP/backend.log"
res=$(mm_client "$NS" 20 -- --connect 127.0.0.1:8443 --header v1 \
    --src 198.51.100.7:46100 --mode echo) ||
    mm_fail "good connection once the backend is up: $res"
mm_alive "$D" daemon
mm_finish
