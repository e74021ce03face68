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
# rules do it.
#
# Without -allowed-subnets it refuses to start: anyone who reaches the
# port could then claim any client address and have mmproxyd connect from
# it. Give -allowed-subnets FILE (the image has
# /etc/mmproxyd/allowed-subnets.txt: loopback and the private ranges), or
# set MMPROXYD_ALLOW_ALL=1 where a firewall already does that job.
#
# "health": every -l port of the running mmproxyd is bound, TCP or UDP
# as its -p says (the ports and protocol come from its command line).
#   MARK               firewall mark and routing table (unset: loopback)
#   LISTEN_PORT        the port the health check looks for (default: from
#                      mmproxyd's -l, or 8443)
#   MMPROXYD_USER      user to drop to (mmproxyd; empty: stay root)
#   MMPROXYD_ALLOW_ALL 1: run without -allowed-subnets
set -eu
MARK=${MARK:-}
LISTEN_PORT=${LISTEN_PORT:-}
MMPROXYD_USER=${MMPROXYD_USER-mmproxyd}
MMPROXYD_ALLOW_ALL=${MMPROXYD_ALLOW_ALL:-}

# The arguments of the running mmproxyd, one a line.
mmproxyd_args() {
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = mmproxyd ] || continue
		tr '\0' '\n' <"${c%/comm}/cmdline"
		return 0
	done
	return 1
}

# health: "PROTO PORT" lines, one per -l, then each must be bound.
health() {
	args=$(mmproxyd_args) || exit 1
	set -f	# "[::]:8443" is a glob pattern too
	proto=tcp
	ports=""
	prev=""
	for a in $args; do
		case $prev in
		-p|--p) proto=$a ;;
		-l|--l) ports="$ports ${a##*:}" ;;
		esac
		case $a in
		-p=*|--p=*) proto=${a#*=} ;;
		-l=*|--l=*) ports="$ports ${a##*:}" ;;
		esac
		prev=$a
	done
	[ -n "$LISTEN_PORT" ] && ports=$LISTEN_PORT
	[ -n "$ports" ] || ports=8443
	flag=-Htln
	[ "$proto" = udp ] && flag=-Hlun
	for p in $ports; do
		# A range "first-last": its first port.
		ss $flag "sport = :${p%%-*}" | grep -q . || exit 1
	done
	exit 0
}
[ "${1:-}" = health ] && health

case " $* " in
*" -allowed-subnets "*|*" --allowed-subnets "*|*" -allowed-subnets="*|\
*" --allowed-subnets="*) ;;
*)
	if [ "$MMPROXYD_ALLOW_ALL" != 1 ]; then
		echo "mmproxyd-entrypoint: no -allowed-subnets: anyone who" \
		    "reaches the port could claim any client address." \
		    "Give -allowed-subnets FILE" \
		    "(/etc/mmproxyd/allowed-subnets.txt: loopback and private" \
		    "ranges), or set MMPROXYD_ALLOW_ALL=1" >&2
		exit 2
	fi
	;;
esac

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
