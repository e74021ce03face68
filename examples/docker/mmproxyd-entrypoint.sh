#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# mmproxyd-entrypoint -- routes for the replies, then mmproxyd as PID 1.
#
# With MARK set (the two-host setup, see README.md): mmproxyd runs with
# -mark MARK; an nftables rule copies the mark into conntrack and restores
# it on the backend's replies, which "ip rule fwmark MARK" then delivers
# locally, to mmproxyd's transparent sockets. Without MARK: the backend is
# in this container's network namespace, and mmproxyd-routing's loopback
# rules do it. "health" checks that the listener is up.
#   MARK           firewall mark and routing table (unset: loopback setup)
#   LISTEN_PORT    the port the health check looks for (8443)
#   MMPROXYD_USER  user to drop to (mmproxyd; empty: stay root)
set -eu
MARK=${MARK:-}
LISTEN_PORT=${LISTEN_PORT:-8443}
MMPROXYD_USER=${MMPROXYD_USER-mmproxyd}

if [ "${1:-}" = health ]; then
	ss -Htln "sport = :$LISTEN_PORT" | grep -q . || exit 1
	exit 0
fi

# Any IPv6 address at all. (Not conf/all/disable_ipv6: Docker leaves it at
# 1 and enables IPv6 on the container's interfaces one by one. And not
# test -s: files in /proc have size 0.)
have_ipv6() {
	grep -q . /proc/net/if_inet6 2>/dev/null
}

if [ -n "$MARK" ]; then
	# mmproxyd's own connections carry the mark too ("iif lo" is what
	# locally sent packets match): they take the normal routes out to the
	# backend; only the marked replies coming in are delivered locally.
	# Without the first rule the SYNs would go to table MARK's local
	# route and never leave this host.
	for f in -4 -6; do
		[ $f = -6 ] && ! have_ipv6 && continue
		ip $f rule del pref 32000 2>/dev/null || true
		ip $f rule del pref 32001 2>/dev/null || true
		ip $f rule add pref 32000 fwmark "$MARK" iif lo lookup main
		ip $f rule add pref 32001 fwmark "$MARK" lookup "$MARK"
	done
	ip route replace local 0.0.0.0/0 dev lo table "$MARK"
	have_ipv6 && ip -6 route replace local ::/0 dev lo table "$MARK"
	nft -f - <<NFT
table inet mmproxyd
delete table inet mmproxyd
table inet mmproxyd {
	chain out {
		type route hook output priority mangle;
		meta mark $MARK ct mark set meta mark
	}
	chain pre {
		type filter hook prerouting priority mangle;
		iif != lo ct mark $MARK meta mark set ct mark
	}
}
NFT
	set -- -mark "$MARK" "$@"
else
	mmproxyd-routing up "${ROUTING_TABLE:-123}"
fi
[ -n "$MMPROXYD_USER" ] && set -- -user "$MMPROXYD_USER" "$@"
exec mmproxyd "$@"
