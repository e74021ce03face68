/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * target.c -- from a PROXY header, the address to spoof and the backend to
 * connect to. Pure: the TCP relay and the UDP flows share it.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "addr.h"
#include "target.h"

/* -4 or -6 by family; NULL for a family we cannot forward. */
static const struct sockaddr_storage *
target_by_family(const struct endpoint *ep, int family)
{
	if (family == AF_INET)
		return (&ep->target4);
	if (family == AF_INET6)
		return (&ep->target6);
	return (NULL);
}

int
target_choose(const struct options *cfg, const struct endpoint *ep,
    const struct pp_header *hdr, const struct sockaddr *local,
    struct sockaddr_storage *src, int *spoof, struct sockaddr_storage *dst,
    const char **why)
{
	const struct sockaddr_storage	*t;
	struct sockaddr_storage		 loc;
	socklen_t			 len;

	if (hdr->action != PP_ACTION_PROXY) {
		/*
		 * LOCAL (health checks) and v1 UNKNOWN: the load balancer
		 * speaks for itself, so nothing is spoofed. There is no
		 * header destination either, so even -dynamic-destination
		 * picks -4 or -6, by the family the balancer reached us on
		 * (unmapped: on a dual-stack socket an IPv4 balancer
		 * arrives as ::ffff:a.b.c.d).
		 */
		*spoof = 0;
		memset(src, 0, sizeof(*src));
		src->ss_family = AF_UNSPEC;
		if (local == NULL || (len = addr_len(local)) == 0) {
			*why = "unsupported local address family";
			return (-1);
		}
		memset(&loc, 0, sizeof(loc));
		memcpy(&loc, local, len);
		addr_unmap(&loc);
		if ((t = target_by_family(ep, loc.ss_family)) == NULL) {
			*why = "unsupported local address family";
			return (-1);
		}
		*dst = *t;
		return (0);
	}

	*src = hdr->src;
	addr_unmap(src);
	*spoof = 1;
	if (cfg->dynamic_destination) {
		*dst = hdr->dst;
		addr_unmap(dst);
		/* A socket bound to one family cannot reach the other. */
		if (src->ss_family != dst->ss_family) {
			*why = "source and destination families differ";
			return (-1);
		}
		if (target_by_family(ep, dst->ss_family) == NULL) {
			*why = "unsupported address family";
			return (-1);
		}
		return (0);
	}
	if ((t = target_by_family(ep, src->ss_family)) == NULL) {
		*why = "unsupported address family";
		return (-1);
	}
	*dst = *t;
	return (0);
}
