#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# backend-entrypoint -- on the backend host (needs CAP_NET_ADMIN): send the
# service's replies back through the mmproxyd host, since they go to the
# clients' addresses, then run the service ("$@").
#   PROXY_ADDR    the mmproxyd host's address on the shared network
#   PROXY_ADDR6   the same for IPv6 (optional)
#   SERVICE_PORT  the service's port: only its replies take this route
#   TABLE         routing table for them (124)
set -eu
TABLE=${TABLE:-124}
: "${PROXY_ADDR:?set PROXY_ADDR to the mmproxyd host}"
: "${SERVICE_PORT:?set SERVICE_PORT}"

# Only the service's replies (TCP is protocol 6: slim images have no
# /etc/protocols): other traffic keeps the normal routes.
ip rule del ipproto 6 sport "$SERVICE_PORT" lookup "$TABLE" 2>/dev/null || true
ip rule add ipproto 6 sport "$SERVICE_PORT" lookup "$TABLE"
# TABLE has no connected route, so the gateway is given with its device
# and "onlink" (else: "Nexthop has invalid gateway").
dev=$(ip route get "$PROXY_ADDR" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
ip route replace default via "$PROXY_ADDR" dev "$dev" onlink table "$TABLE"
if [ -n "${PROXY_ADDR6:-}" ]; then
	ip -6 rule del ipproto 6 sport "$SERVICE_PORT" lookup "$TABLE" 2>/dev/null || true
	ip -6 rule add ipproto 6 sport "$SERVICE_PORT" lookup "$TABLE"
	dev6=$(ip -6 route get "$PROXY_ADDR6" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
	ip -6 route replace default via "$PROXY_ADDR6" dev "$dev6" onlink table "$TABLE"
fi
exec "$@"
